/**
 * docker-compose.yml's fedlake services run as processes, each in its own network namespace with one address,
 * as containers on a compose network: the same command and FEDLAKE_* variables (data volumes become
 * temporary directories), names resolved through a per-namespace /etc/hosts as Docker's DNS resolves service
 * names. The host queries the query node over the network and sees both operators. Needs root and iproute2:
 * without them this fails, saying so.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { waitFor } from '@fedlake/core'
import { fedlakeTopology, loadComposeFile, startOrder } from './helpers/compose-file.js'
import type { ComposeService, FedlakeTopology } from './helpers/compose-file.js'
import { createNetnsNetwork, leftovers, requireNetns, startInNamespace } from './helpers/netns.js'
import type { NetnsNetwork } from './helpers/netns.js'
import { FEDLAKE_BIN, restCommand, tempDir } from './helpers/processes.js'
import type { Child } from './helpers/processes.js'

const COMPOSE = fileURLToPath(new URL('../docker-compose.yml', import.meta.url))
const COUNT_LOGS = 'run client () sql kubearmor "select count(*) from logs"'

const cleanups: Array<() => Promise<unknown> | unknown> = []
after(async () => { for (const c of cleanups.reverse()) { try { await c() } catch { /* the next cleanup still runs */ } } })

/** The container's environment: the image's PATH and HOME, then the service's variables. */
function containerEnv (service: ComposeService, dataDirs: ReadonlyMap<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...service.environment }
  const dataDir = env.FEDLAKE_DATA_DIR === undefined ? undefined : dataDirs.get(env.FEDLAKE_DATA_DIR)
  if (dataDir !== undefined) env.FEDLAKE_DATA_DIR = dataDir
  return env
}

/** Healthchecks run `node ...` in the image; here the test's own node binary. */
function healthcheckArgv (service: ComposeService): string[] {
  const check = service.healthcheck
  assert.ok(check !== undefined && check.kind === 'CMD', `${service.name}: a CMD healthcheck`)
  const [command, ...args] = check.argv
  return [command === 'node' ? process.execPath : command ?? '', ...args]
}

interface NetworkStatistics { Count?: number, Nodes?: number }

describe('the docker-compose.yml topology in network namespaces', { timeout: 300_000 }, () => {
  let topology: FedlakeTopology
  let network: NetnsNetwork
  const running = new Map<string, Child>()
  let queryUrl = ''

  before(async () => {
    requireNetns()
    const compose = loadComposeFile(COMPOSE)
    topology = fedlakeTopology(compose)
    const services = [...topology.simulators, ...topology.nodes].map(s => s.service)
    network = createNetnsNetwork(services.map(s => s.name))
    cleanups.push(() => { network.destroy() })

    const started = new Map<string, Promise<Child>>()
    for (const name of startOrder(compose, services.map(s => s.name))) {
      const service = compose.services.get(name) as ComposeService
      // each volume of the service becomes a directory of its own
      const dataDirs = new Map(service.volumes.filter(v => v.kind === 'volume').map(v => {
        const dir = tempDir(`netns-${name}`)
        cleanups.push(() => { dir.remove() })
        return [v.target, dir.path] as const
      }))
      started.set(name, (async () => {
        await Promise.all(Object.keys(service.dependsOn).map(async d => await started.get(d)))
        const child = await startInNamespace(network, name, [process.execPath, FEDLAKE_BIN, ...service.command], containerEnv(service, dataDirs))
        cleanups.push(async () => { await child.stop('SIGKILL') })
        running.set(name, child)
        return child
      })())
    }
    await Promise.all(started.values())
    const query = topology.nodes.find(n => n.config.roles.includes('query'))
    assert.ok(query !== undefined)
    queryUrl = `http://${network.address(query.service.name)}:${query.config.restPort}`
  })

  it('starts every node on its service name\'s address: the ready line, and the address the metadata advertises', async () => {
    for (const { service, config } of topology.nodes) {
      assert.equal(running.get(service.name)?.ready.rest, service.environment.FEDLAKE_URL, `${service.name} serves REST at its service name`)
      assert.match(running.get(service.name)?.ready.p2p ?? '', new RegExp(`^/ip4/${network.address(service.name).replaceAll('.', '\\.')}/tcp/${config.p2pPort}/`))
    }
    const operators = topology.nodes.filter(n => n.config.roles.includes('operator'))
    const advertised = await waitFor(async () => {
      const reply = await restCommand(queryUrl, 'blockchain get operator')
      const policies = (reply.json() as Array<{ operator: { name: string, ip: string } }>).map(p => p.operator)
      return policies.length === operators.length ? policies : undefined
    }, { timeoutMs: 60_000, intervalMs: 250, what: 'both operator policies on the query node' })
    assert.deepEqual(
      Object.fromEntries(advertised.map(p => [p.name, p.ip])),
      Object.fromEntries(operators.map(o => [o.config.name, network.address(o.service.name)])))
  })

  it('answers run client () from the host with both operators\' KubeArmor rows', async () => {
    const statistics = await waitFor(async () => {
      const reply = await restCommand(queryUrl, COUNT_LOGS)
      if (reply.status !== 200) return undefined
      const body = reply.json() as { Query: Array<Record<string, number>>, Statistics: NetworkStatistics[] }
      const stats = body.Statistics[0]
      return stats?.Nodes === 2 && (body.Query[0]?.['count(*)'] ?? 0) > 0 ? stats : undefined
    }, { timeoutMs: 90_000, intervalMs: 500, what: 'a count over both operators' })
    assert.equal(statistics.Nodes, 2)

    const perCluster = await restCommand(queryUrl, 'run client () sql kubearmor format=json "select cluster_name, count(*) as n from logs group by cluster_name order by cluster_name"')
    assert.equal(perCluster.status, 200, perCluster.text)
    const clusters = (perCluster.json() as { Query: Array<{ cluster_name: string, n: number }> }).Query
    assert.deepEqual(clusters.map(c => c.cluster_name), topology.simulators.map(s => s.init.cluster).sort(), 'rows of every simulator')
    assert.ok(clusters.every(c => c.n > 0))

    // the user's command, through the fedlake client
    const client = spawn(process.execPath, [FEDLAKE_BIN, 'client', '--url', queryUrl, COUNT_LOGS], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    client.stdout.setEncoding('utf8').on('data', (d: string) => { out += d })
    client.stderr.setEncoding('utf8').on('data', (d: string) => { out += d })
    const code = await new Promise(resolve => client.once('exit', resolve))
    assert.equal(code, 0, out)
    assert.match(out, /"Nodes": 2/)
  })

  it('passes every service\'s healthcheck, run in its namespace as Docker runs it', async () => {
    for (const { service } of [...topology.simulators, ...topology.nodes]) {
      const result = await network.run(service.name, healthcheckArgv(service), containerEnv(service, new Map()))
      assert.equal(result.code, 0, `${service.name} healthcheck: ${result.stdout}${result.stderr}`)
    }
  })

  it('stops a node gracefully on SIGTERM, after which its healthcheck fails', async () => {
    const operator = topology.nodes.find(n => n.config.roles.includes('operator'))?.service
    assert.ok(operator !== undefined)
    assert.equal(await running.get(operator.name)?.stop('SIGTERM'), 0, running.get(operator.name)?.output())
    const result = await network.run(operator.name, healthcheckArgv(operator), containerEnv(operator, new Map()))
    assert.notEqual(result.code, 0)
  })

  it('removes its namespaces, hosts files and bridge', async () => {
    for (const child of running.values()) await child.stop('SIGTERM')
    assert.ok(leftovers(network).length > 0, 'the network exists before')
    network.destroy()
    assert.deepEqual(leftovers(network), [])
  })
})
