import { parseArgs } from 'node:util'
import { configFromStrings, createLogger, loadNodeConfig } from '@fedlake/core'
import type { LogLevel } from '@fedlake/core'
import type { CliCommand } from '../command.js'
import { UsageError } from '../command.js'

const HELP = `Usage: fedlake node [options]

Runs one fedlake node. Roles: 'operator' pulls KubeArmor streams into a local DuckDB and answers
sub-queries; 'query' accepts SQL over REST and fans it out. Prints 'ready rest=... p2p=...' when up.
Every option can also be set in the JSON config file or by environment variable (docs/configuration.md).

Options:
  --config FILE           JSON config file
  --name NAME             node name (FEDLAKE_NAME; default fedlake-<hostname>)
  --roles LIST            operator,query (FEDLAKE_ROLES; default both)
  --host H                address to bind and advertise (FEDLAKE_HOST; default 127.0.0.1)
  --rest-port P           REST port, 0 = any free port (FEDLAKE_REST_PORT; default 32349)
  --rest-token T          bearer token every REST request must carry, except /health, /ready and /ui
                          (FEDLAKE_REST_TOKEN, safer than the flag: the process list shows flags)
  --p2p-port P            libp2p port, 0 = any free port (FEDLAKE_P2P_PORT; default 32348)
  --data-dir D            DuckDB files, keys and metadata (FEDLAKE_DATA_DIR; default .fedlake/data)
  --seeds LIST            host:port of nodes to join (FEDLAKE_SEEDS)
  --kubearmor LIST        KubeArmor endpoints host:port to pull (FEDLAKE_KUBEARMOR)
  --kubearmor-tls         connect to them over TLS (FEDLAKE_KUBEARMOR_TLS=true; default plaintext)
  --kubearmor-ca-file F   PEM CA of KubeArmor's certificate (FEDLAKE_KUBEARMOR_CA_FILE; default Node's roots)
  --kubearmor-cert-file F PEM client certificate for mTLS (FEDLAKE_KUBEARMOR_CERT_FILE; needs the key)
  --kubearmor-key-file F  PEM key of the client certificate (FEDLAKE_KUBEARMOR_KEY_FILE)
  --kubearmor-server-name N  name KubeArmor's certificate must carry (FEDLAKE_KUBEARMOR_SERVER_NAME;
                          default the endpoint's host)
  --dbms NAME             database for the KubeArmor tables (FEDLAKE_DBMS; default kubearmor)
  --cluster NAME          cluster of this operator (FEDLAKE_CLUSTER; default <name>-cluster)
  --network-name NAME     network name (FEDLAKE_NETWORK_NAME; default fedlake)
  --network-key-file F    pre-shared network key; nodes without it cannot connect (FEDLAKE_NETWORK_KEY_FILE)
  --mapping-file F        JSON mapping policies replacing the built-in KubeArmor ones (FEDLAKE_MAPPING_FILE)
  --log-level L           debug|info|warn|error|silent (FEDLAKE_LOG_LEVEL; default info)
  env FEDLAKE_STOP_ON_STDIN_END=1  stop when stdin ends (for supervisors: fedlake demo sets it, so a node
                          never outlives a killed demo)
  -h, --help              this text
`

const FLAG_TO_KEY: Record<string, string> = {
  name: 'name',
  roles: 'roles',
  host: 'host',
  'rest-port': 'restPort',
  'rest-token': 'restToken',
  'p2p-port': 'p2pPort',
  'data-dir': 'dataDir',
  seeds: 'seeds',
  kubearmor: 'kubearmor',
  'kubearmor-tls': 'kubearmorTls.enabled',
  'kubearmor-ca-file': 'kubearmorTls.caFile',
  'kubearmor-cert-file': 'kubearmorTls.certFile',
  'kubearmor-key-file': 'kubearmorTls.keyFile',
  'kubearmor-server-name': 'kubearmorTls.serverName',
  dbms: 'dbms',
  cluster: 'cluster',
  'network-name': 'metadata.networkName',
  'network-key-file': 'metadata.networkKeyFile',
  'mapping-file': 'ingest.mappingFile',
  'log-level': 'logLevel'
}

/** Flags that take no value. */
const BOOLEAN_FLAGS = new Set(['kubearmor-tls'])

export const nodeCommand: CliCommand = {
  name: 'node',
  summary: 'run one fedlake node (operator and/or query role)',
  help: HELP,
  async run (argv) {
    const options = Object.fromEntries([...Object.keys(FLAG_TO_KEY), 'config'].map(k => [k, { type: BOOLEAN_FLAGS.has(k) ? 'boolean' as const : 'string' as const }]))
    let values: Record<string, string | undefined>
    try {
      const parsed = parseArgs({ args: argv, options, allowPositionals: false }).values as Record<string, string | boolean | undefined>
      values = Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'boolean' ? String(v) : v]))
    } catch (err) { throw new UsageError((err as Error).message) }
    const flat: Record<string, string | undefined> = {}
    for (const [flag, key] of Object.entries(FLAG_TO_KEY)) flat[key] = values[flag]
    const config = loadNodeConfig({ file: values.config, env: process.env, overrides: configFromStrings(flat) })
    // the storage worker loads DuckDB on the second core while this thread loads the node's modules
    if (config.roles.includes('operator')) (await import('@fedlake/node/early-worker')).startStorageWorkerEarly()
    const { createFedlakeNode } = await import('@fedlake/node')
    const logger = createLogger({ level: config.logLevel as LogLevel, component: 'node', fields: { node: config.name } })
    const node = createFedlakeNode(config, { logger })
    await node.start()
    process.stdout.write(`ready rest=${node.restUrl()} p2p=${node.p2pAddresses().join(',') || '-'} name=${config.name} roles=${config.roles.join(',')}\n`)

    let stopping = false
    await new Promise<void>(resolve => {
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopping) { logger.warn('second signal: exiting without waiting', { signal }); process.exit(130) }
        stopping = true
        logger.info('stopping', { signal })
        node.stop().then(resolve, (err: unknown) => { logger.error('stop failed', { error: (err as Error).message }); resolve() })
      }
      process.once('SIGINT', onSignal)
      process.once('SIGTERM', onSignal)
      // a supervisor (fedlake demo) holds our stdin: when it ends, the supervisor is gone, so stop rather than
      // linger as an orphan holding ports and DuckDB files
      if (process.env.FEDLAKE_STOP_ON_STDIN_END === '1') {
        process.stdin.once('end', () => { if (!stopping) onSignal('SIGTERM') })
        process.stdin.on('data', () => {}) // read (and drop) so 'end' is seen
      }
    })
    if (process.env.FEDLAKE_STOP_ON_STDIN_END === '1') process.stdin.destroy()
    return 0
  }
}
