/**
 * The node's configuration: one zod schema, validated once, defaults documented here and in
 * docs/configuration.md. Sources in increasing precedence: defaults < JSON file < FEDLAKE_* env < flags.
 */
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { z } from 'zod'
import { CORE_ERRORS, FedlakeError } from './errors.js'

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')
const name = z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)')
const identifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case SQL identifier')
const dbmsName = z.string().regex(/^[a-z0-9_]{1,63}$/, 'lower-case dbms name: letters, digits and _ (at most 63)')

export const RoleSchema = z.enum(['operator', 'query'])
export type Role = z.infer<typeof RoleSchema>

export const IngestConfigSchema = z.object({
  batchRows: z.number().int().min(1).max(1_000_000).default(8192)
    .describe('Rows buffered per table before they are appended to DuckDB in one transaction.'),
  flushIntervalMs: z.number().int().min(10).max(60_000).default(1000)
    .describe('A non-empty buffer is flushed at least this often (ms): the most a row waits before it is queryable.'),
  idleFlushMs: z.number().int().min(0).max(60_000).default(50)
    .describe('Buffered rows of a table are also flushed once no row has arrived for it for this long (ms), so the end of a burst is queryable at once; batches still grow under load. 0 disables.'),
  maxBufferedMs: z.number().int().min(100).max(600_000).default(1500)
    .describe('Most received-but-uncommitted events, in time at the measured commit rate (rows committed per second over the last 10 s): the KubeArmor streams are paused once this much is buffered. It is what a kill -9 loses, since KubeArmor does not replay. A DuckDB checkpoint that holds commits for longer than this pauses the streams too, and KubeArmor then drops events for this subscriber once its queue (1,000 events) is full: see docs/kubearmor.md, Durability.'),
  maxBufferedRows: z.number().int().min(1024).max(100_000_000).default(262_144)
    .describe('Most rows held in memory waiting for DuckDB, over all tables (~160 bytes each for KubeArmor logs: ~42 MB at the default), and at most the ingest share of limits.memoryBudgetMb. The streams pause at maxBufferedMs, and at the latest at half of this; rows beyond it (from sources that cannot pause) are dropped and counted.'),
  mappingFile: z.string().optional()
    .describe('JSON file with mapping policies (one or an array) that replace the built-in KubeArmor ones, per stream.'),
  reconnectInitialMs: z.number().int().min(10).default(250)
    .describe('First delay before re-subscribing to a KubeArmor source (ms); doubles up to reconnectMaxMs, with jitter.'),
  reconnectMaxMs: z.number().int().min(100).default(10_000)
    .describe('Longest delay between re-subscription attempts (ms).'),
  maxPutBytes: z.number().int().min(1024).default(64 * 1024 * 1024)
    .describe('Largest accepted REST request body (PUT ingestion), in bytes.'),
  putReadOnlyDbms: z.array(dbmsName).default([])
    .describe('Databases PUT may not write on this node: such a PUT answers 403 PUT_READ_ONLY_DBMS and changes nothing. Queries are not affected.'),
  allowPutIntoConnectorDbms: z.boolean().default(false)
    .describe('Let PUT write into the database the KubeArmor connector feeds (`dbms`, on a node with `kubearmor` sources). Off: such a PUT answers 403 PUT_READ_ONLY_DBMS, so no client can add fake events, or columns, to the KubeArmor tables.')
}).strict()

export const KubeArmorTlsConfigSchema = z.object({
  enabled: z.boolean().default(false)
    .describe('Connect to every KubeArmor endpoint over TLS (KubeArmor and the relay with tlsEnabled). Off: plaintext, KubeArmor\'s default.'),
  caFile: z.string().min(1).optional()
    .describe('PEM file of the CA(s) that sign KubeArmor\'s certificate (e.g. the ca.crt under /var/lib/kubearmor/tls). Default: Node\'s bundled root CAs.'),
  certFile: z.string().min(1).optional()
    .describe('PEM client certificate, for KubeArmor with mTLS; needs keyFile.'),
  keyFile: z.string().min(1).optional()
    .describe('PEM private key of certFile.'),
  serverName: z.string().min(1).optional()
    .describe('Name KubeArmor\'s certificate must carry. Default: the host of each endpoint.')
}).strict()

export const MetadataConfigSchema = z.object({
  networkName: name.default('fedlake')
    .describe('Nodes with another network name ignore each other (separate gossip topics).'),
  networkKeyFile: z.string().optional()
    .describe('Pre-shared network key file (libp2p private network): nodes without the same key cannot connect at all.'),
  admins: z.array(z.string()).default([])
    .describe('Peer ids allowed to delete any policy (besides each policy\'s author).'),
  heartbeatIntervalMs: z.number().int().min(100).default(1000)
    .describe('How often a node sends each connected peer a liveness frame (ms); evidence of other nodes travels one hop per interval.'),
  unreachableAfterMs: z.number().int().min(300).default(4000)
    .describe('A node with no evidence of being alive for this long (ms) is reported unreachable and not sent queries.'),
  targetPeers: z.number().int().min(1).max(64).default(8)
    .describe('Connections a node keeps open: it dials known peers until it has this many (more cost more liveness frames and gossip).'),
  antiEntropyIntervalMs: z.number().int().min(200).default(5000)
    .describe('How often a node compares its policy digest with a peer and repairs differences (ms).')
}).strict()

export const LimitsConfigSchema = z.object({
  memoryBudgetMb: z.number().int().min(128).max(1_048_576).default(256)
    .describe('Memory the node plans for (MiB), split by resourcePlan(): DuckDB\'s memory_limit for each open database gets half (a query that needs more spills to <dataDir>/duckdb/<dbms>.duckdb.tmp, or fails alone with an out-of-memory error), replies of the queries in progress a quarter (shared by maxConcurrentQueries), the ingest buffer the rest (and at most ingest.maxBufferedRows).'),
  maxConcurrentQueries: z.number().int().min(1).max(64).default(4)
    .describe('Queries (SQL commands and sub-queries) running at once on this node; more wait their turn within their deadline.'),
  maxReplyBytes: z.number().int().min(1024).optional()
    .describe('Largest one-document SQL reply (format json, json:list, table), in bytes; bigger results are refused with SQL_RESULT_TOO_LARGE (json:output streams without a cap). Default: the reply share of memoryBudgetMb divided by maxConcurrentQueries (16 MiB at the defaults).'),
  maxReplyRows: z.number().int().min(1).default(1_000_000)
    .describe('Most rows in a one-document SQL reply (format json, json:list, table); more are refused with SQL_RESULT_TOO_LARGE.'),
  maxMergeRows: z.number().int().min(1).default(10_000_000)
    .describe('Most rows the operators may send a query node for one network query that it merges in its DuckDB (a join, a window, a holistic aggregate... pulls rows); more fail the query with NETWORK_MERGE_TOO_LARGE. A query may ask for less with the sql option max_merge_rows.'),
  maxMergeBytes: z.number().int().min(1024).default(1024 * 1024 * 1024)
    .describe('Most bytes (values as received: 8 per number, the text\'s length per string) the operators may send a query node for one merged network query; more fail it with NETWORK_MERGE_TOO_LARGE. What exceeds the merge DuckDB\'s memory_limit spills to <dataDir>/merge.tmp. A query may ask for less with the sql option max_merge_bytes.'),
  maxShippedKeys: z.number().int().min(1).default(10_000)
    .describe('Most distinct key values a query node ships to operators to cut down one side of a join (key shipping, see docs/sql.md); more and that side is pulled without the cut. A query may ask for less with the sql option max_shipped_keys.'),
  maxShippedKeyBytes: z.number().int().min(1024).default(1024 * 1024)
    .describe('Most bytes (the keys as text) of the key values one cut ships; more and that side is pulled without the cut.'),
  commandTimeoutMs: z.number().int().min(100).max(86_400_000).default(20_000)
    .describe('Deadline of a command without a timeout header (ms). It covers the whole request: planning, execution, encoding and sending.'),
  maxCommandTimeoutMs: z.number().int().min(100).max(86_400_000).default(300_000)
    .describe('Longest deadline a request may ask for with the timeout header or max_time (ms); a longer one is refused with 400.')
}).strict()

export const NodeConfigSchema = z.object({
  name: name.optional()
    .describe('Node name, unique in the network. Default: fedlake-<hostname>.'),
  roles: z.array(RoleSchema).min(1).default(['operator', 'query'])
    .describe('operator: ingests KubeArmor streams and PUT bodies and answers sub-queries; query: accepts network queries.'),
  host: z.string().min(1).default('127.0.0.1')
    .describe('Address the REST and p2p listeners bind to and advertise.'),
  restPort: z.number().int().min(0).max(65535).default(32349)
    .describe('REST API port (0 = any free port, printed in the ready line).'),
  restToken: z.string().min(16, 'at least 16 characters').max(512).regex(/^[A-Za-z0-9\-._~+/]+=*$/, 'letters, digits and - . _ ~ + / (a bearer token), = only at the end').optional()
    .describe('Bearer token every REST request must carry (`Authorization: Bearer <token>`): EdgeLake commands, PUT, Grafana, /metrics, /mcp. Not needed by GET /health, GET /ready and the console\'s static files. Unset: no token is asked. Prefer the environment variable or the config file to the flag, which other local users can read in the process list.'),
  p2pPort: z.number().int().min(0).max(65535).default(32348)
    .describe('libp2p port for metadata gossip and node-to-node traffic (0 = any free port).'),
  dataDir: z.string().min(1).default('.fedlake/data')
    .describe('DuckDB files, the node key and the policy store.'),
  seeds: z.array(z.string().min(1)).default([])
    .describe('p2p addresses (host:port or multiaddr) of nodes to join.'),
  kubearmor: z.array(hostPort).default([])
    .describe('KubeArmor LogService endpoints (daemon or relay, host:port) this operator pulls.'),
  kubearmorTls: KubeArmorTlsConfigSchema.default(KubeArmorTlsConfigSchema.parse({})),
  dbms: identifier.default('kubearmor')
    .describe('Database the KubeArmor tables (logs, alert, message, rejects) go to.'),
  cluster: name.optional()
    .describe('Cluster this operator belongs to. Default: <name>-cluster.'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info')
    .describe('Lowest level written to the JSON log on stderr.'),
  ingest: IngestConfigSchema.default(IngestConfigSchema.parse({})),
  metadata: MetadataConfigSchema.default(MetadataConfigSchema.parse({})),
  limits: LimitsConfigSchema.default(LimitsConfigSchema.parse({}))
}).strict()

export type NodeConfigInput = z.input<typeof NodeConfigSchema>
export type NodeConfig = Readonly<Omit<z.infer<typeof NodeConfigSchema>, 'name' | 'cluster'>> & { readonly name: string, readonly cluster: string }

/** FEDLAKE_* environment variables and the config key each sets. Lists are comma-separated. */
export const ENV_KEYS: Readonly<Record<string, string>> = {
  FEDLAKE_NAME: 'name',
  FEDLAKE_ROLES: 'roles',
  FEDLAKE_HOST: 'host',
  FEDLAKE_REST_PORT: 'restPort',
  FEDLAKE_REST_TOKEN: 'restToken',
  FEDLAKE_P2P_PORT: 'p2pPort',
  FEDLAKE_DATA_DIR: 'dataDir',
  FEDLAKE_SEEDS: 'seeds',
  FEDLAKE_KUBEARMOR: 'kubearmor',
  FEDLAKE_KUBEARMOR_TLS: 'kubearmorTls.enabled',
  FEDLAKE_KUBEARMOR_CA_FILE: 'kubearmorTls.caFile',
  FEDLAKE_KUBEARMOR_CERT_FILE: 'kubearmorTls.certFile',
  FEDLAKE_KUBEARMOR_KEY_FILE: 'kubearmorTls.keyFile',
  FEDLAKE_KUBEARMOR_SERVER_NAME: 'kubearmorTls.serverName',
  FEDLAKE_DBMS: 'dbms',
  FEDLAKE_CLUSTER: 'cluster',
  FEDLAKE_LOG_LEVEL: 'logLevel',
  FEDLAKE_NETWORK_NAME: 'metadata.networkName',
  FEDLAKE_NETWORK_KEY_FILE: 'metadata.networkKeyFile',
  FEDLAKE_MAPPING_FILE: 'ingest.mappingFile',
  FEDLAKE_PUT_READ_ONLY_DBMS: 'ingest.putReadOnlyDbms',
  FEDLAKE_ALLOW_PUT_INTO_CONNECTOR_DBMS: 'ingest.allowPutIntoConnectorDbms',
  FEDLAKE_MEMORY_BUDGET_MB: 'limits.memoryBudgetMb'
}

const LIST_KEYS = new Set(['roles', 'seeds', 'kubearmor', 'metadata.admins', 'ingest.putReadOnlyDbms'])
const NUMBER_KEYS = new Set(['restPort', 'p2pPort', 'limits.memoryBudgetMb'])
/** true/1/yes or false/0/no; anything else is passed on for the schema to refuse. */
const BOOLEAN_KEYS = new Set(['kubearmorTls.enabled', 'ingest.allowPutIntoConnectorDbms'])
const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = { true: true, 1: true, yes: true, false: false, 0: false, no: false }

function defaultNodeName (): string {
  return `fedlake-${hostname().replace(/[^a-zA-Z0-9_.-]/g, '-')}`.slice(0, 64)
}

function setPath (target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.')
  let cur = target
  for (const p of parts.slice(0, -1)) {
    const next = cur[p]
    if (typeof next !== 'object' || next === null) cur[p] = {}
    cur = cur[p] as Record<string, unknown>
  }
  cur[parts[parts.length - 1] as string] = value
}

/** Turns a flat `key -> string` map (env or CLI flags) into config input. */
export function configFromStrings (values: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, raw] of Object.entries(values)) {
    if (raw === undefined) continue
    let value: unknown = raw
    if (LIST_KEYS.has(key)) value = raw.split(',').map(s => s.trim()).filter(s => s.length > 0)
    else if (NUMBER_KEYS.has(key)) value = Number(raw)
    else if (BOOLEAN_KEYS.has(key)) value = BOOLEAN_WORDS[raw.trim().toLowerCase()] ?? raw
    setPath(out, key, value)
  }
  return out
}

export function configFromEnv (env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const flat: Record<string, string | undefined> = {}
  for (const [envKey, key] of Object.entries(ENV_KEYS)) flat[key] = env[envKey]
  return configFromStrings(flat)
}

function deepMerge (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k]
    out[k] = (typeof v === 'object' && v !== null && !Array.isArray(v) && typeof prev === 'object' && prev !== null && !Array.isArray(prev))
      ? deepMerge(prev as Record<string, unknown>, v as Record<string, unknown>)
      : v
  }
  return out
}

function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

export interface LoadConfigOptions {
  file?: string
  env?: Readonly<Record<string, string | undefined>>
  /** Already-structured overrides, e.g. from command-line flags. */
  overrides?: Record<string, unknown>
}

/** Checks across keys that the schema's per-key rules cannot express. */
function kubeArmorTlsProblems (tls: z.infer<typeof KubeArmorTlsConfigSchema>): string[] {
  const problems: string[] = []
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) problems.push('kubearmorTls: certFile and keyFile go together (mTLS needs both)')
  const set = (['caFile', 'certFile', 'keyFile', 'serverName'] as const).filter(k => tls[k] !== undefined)
  if (!tls.enabled && set.length > 0) problems.push(`kubearmorTls: ${set.join(', ')} given but enabled is false (set kubearmorTls.enabled, --kubearmor-tls or FEDLAKE_KUBEARMOR_TLS=true)`)
  return problems
}

/** Replies held at once must fit in the memory budget. */
function limitsProblems (limits: z.infer<typeof LimitsConfigSchema>): string[] {
  if (limits.maxReplyBytes === undefined) return []
  const held = limits.maxReplyBytes * limits.maxConcurrentQueries
  const budget = limits.memoryBudgetMb * 1024 * 1024
  return held > budget / 2
    ? [`limits: maxReplyBytes × maxConcurrentQueries (${held} bytes) is over half of memoryBudgetMb (${budget} bytes); raise memoryBudgetMb or lower them`]
    : []
}

/** Validates once and freezes. Throws CONFIG_INVALID naming every bad key. */
export function loadNodeConfig (options: LoadConfigOptions = {}): NodeConfig {
  let input: Record<string, unknown> = {}
  if (options.file !== undefined) {
    try {
      input = JSON.parse(readFileSync(options.file, 'utf8')) as Record<string, unknown>
    } catch (err) {
      throw new FedlakeError(CORE_ERRORS.CONFIG_INVALID, `cannot read config file ${options.file}: ${(err as Error).message}`)
    }
  }
  input = deepMerge(input, configFromEnv(options.env ?? {}))
  input = deepMerge(input, options.overrides ?? {})
  const parsed = NodeConfigSchema.safeParse(input)
  const problems = parsed.success
    ? [...kubeArmorTlsProblems(parsed.data.kubearmorTls), ...limitsProblems(parsed.data.limits)]
    : parsed.error.issues.map(i => `${i.path.join('.') || '(root)'}: ${i.message}`)
  if (!parsed.success || problems.length > 0) {
    throw new FedlakeError(CORE_ERRORS.CONFIG_INVALID, `invalid configuration: ${problems.join('; ')}`, { problems })
  }
  const nodeName = parsed.data.name ?? defaultNodeName()
  const config = { ...parsed.data, name: nodeName, cluster: parsed.data.cluster ?? `${nodeName}-cluster` }
  return deepFreeze(config)
}

export type IngestConfig = z.infer<typeof IngestConfigSchema>
export type LimitsConfig = z.infer<typeof LimitsConfigSchema>

/** How limits.memoryBudgetMb is spent (see its description). */
export interface ResourcePlan {
  /** DuckDB memory_limit of each open database, as DuckDB takes it (e.g. '128MiB'). */
  readonly duckdbMemoryLimit: string
  /** Bytes of the largest one-document SQL reply. */
  readonly maxReplyBytes: number
  readonly maxReplyRows: number
  readonly maxConcurrentQueries: number
  /** Bytes the ingest buffer may hold (rows are ~160 bytes each for KubeArmor logs). */
  readonly ingestBufferBytes: number
}

const MIB = 1024 * 1024

export function resourcePlan (limits: LimitsConfig): ResourcePlan {
  const budget = limits.memoryBudgetMb * MIB
  return {
    duckdbMemoryLimit: `${Math.floor(limits.memoryBudgetMb / 2)}MiB`,
    maxReplyBytes: limits.maxReplyBytes ?? Math.floor(budget / 4 / limits.maxConcurrentQueries),
    maxReplyRows: limits.maxReplyRows,
    maxConcurrentQueries: limits.maxConcurrentQueries,
    ingestBufferBytes: Math.floor(budget / 4)
  }
}
export type MetadataConfig = z.infer<typeof MetadataConfigSchema>
export type KubeArmorTlsConfig = z.infer<typeof KubeArmorTlsConfigSchema>
