/**
 * Metadata bench worker: one process hosting `count` metadata nodes (started by metadata.bench.ts).
 * Init is a JSON argument; commands arrive as JSON lines on stdin (`{"id":1,"cmd":"publish",...}`)
 * and replies leave as JSON lines on stdout. Unsolicited lines carry an `event` key: `ready` (the
 * nodes' peer ids and addresses) and `has` (node `node` now holds benchmark policy `id`, at `at` =
 * performance.timeOrigin + performance.now(), a wall-clock ms value comparable across processes
 * on one machine).
 */
import '@fedlake/core/polyfills'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { silentLogger } from '@fedlake/core'
import { createMetadataNode } from '@fedlake/metadata'
import type { MetadataNode } from '@fedlake/metadata'
import { hostPort, sendLine, serveJsonLines } from '../test/helpers/json-lines.js'
import type { JsonLinesRequest } from '../test/helpers/json-lines.js'

export interface WorkerInit {
  /** Global index of this worker's first node (names, data dirs). */
  firstIndex: number
  count: number
  root: string
  /** host:port seeds of nodes in other workers; each node takes the first and one random other. */
  seeds: string[]
  networkName: string
  heartbeatIntervalMs: number
  unreachableAfterMs: number
  antiEntropyIntervalMs: number
  targetPeers?: number
}

export interface WorkerNodeInfo { index: number, peerId: string, address: string }

const init = JSON.parse(process.argv[2] ?? '{}') as WorkerInit
const now = (): number => performance.timeOrigin + performance.now()

const nodes: MetadataNode[] = []
const known = [...init.seeds]
const infos: WorkerNodeInfo[] = []
for (let j = 0; j < init.count; j++) {
  const index = init.firstIndex + j
  const pick = known[Math.floor(Math.random() * known.length)]
  const seeds = known.length === 0 ? [] : [...new Set([known[0] as string, pick as string])]
  const node = await createMetadataNode({
    dataDir: join(init.root, `n${index}`), host: '127.0.0.1', p2pPort: 0, seeds, admins: [], logger: silentLogger,
    nodeInfo: { name: `n${index}`, roles: ['operator'], cluster: `c${index % 4}` },
    networkName: init.networkName, heartbeatIntervalMs: init.heartbeatIntervalMs,
    unreachableAfterMs: init.unreachableAfterMs, antiEntropyIntervalMs: init.antiEntropyIntervalMs,
    ...(init.targetPeers !== undefined ? { targetPeers: init.targetPeers } : {})
  })
  node.onPolicyChange(c => {
    if (c.type === 'benchmark' && c.kind === 'added') sendLine({ event: 'has', node: index, id: c.id, at: now() })
  })
  await node.start()
  nodes.push(node)
  const address = hostPort(node.p2pAddresses()[0] as string)
  known.push(address)
  infos.push({ index, peerId: node.peerId, address })
}
const lag = monitorEventLoopDelay({ resolution: 10 })
lag.enable()
sendLine({ event: 'ready', nodes: infos })

let stopping = false
async function shutdown (): Promise<never> {
  if (!stopping) {
    stopping = true
    await Promise.allSettled(nodes.map(n => n.stop()))
  }
  process.exit(0)
}
process.on('SIGTERM', () => { void shutdown() })
process.on('SIGINT', () => { void shutdown() })

async function handle (req: JsonLinesRequest): Promise<unknown> {
  switch (req.cmd) {
    case 'versions': return nodes.map(n => n.version())
    // Open connections per node: what every per-peer cost (liveness frames, gossip) scales with.
    case 'peers': return nodes.map(n => n.peers().length)
    // CPU time this process has used so far (µs).
    case 'cpu': { const u = process.cpuUsage(); return u.user + u.system }
    case 'publish': {
      const node = nodes[(req.node as number) - init.firstIndex]
      if (node === undefined) throw new Error(`no node ${String(req.node)} here`)
      const stored = await node.publish(req.policy)
      return (Object.values(stored)[0] as { id: string }).id
    }
    // Event-loop delay since the last reset (ms): how starved this process is.
    case 'lag': {
      const r = { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 }
      if (req.reset === true) lag.reset()
      return r
    }
    case 'stop': setImmediate(() => { void shutdown() }); return null
    default: throw new Error(`unknown command ${req.cmd}`)
  }
}

serveJsonLines(handle, () => { void shutdown() })
