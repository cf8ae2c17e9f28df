/**
 * Metadata propagation benchmark: time from publish on one node until every node holds the
 * policy, p50/p95 over 50 publishes, for 5 nodes as separate processes and for 5, 20 and 50
 * in-process libp2p nodes on loopback. Compared with EdgeLake's default 30 s ledger pull.
 *
 *   npm run bench:metadata                 # all sizes
 *   npm run bench:metadata -- --sizes 5,20 --publishes 20 --no-processes
 */
import '@fedlake/core/polyfills'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { silentLogger, waitFor } from '@fedlake/core'
import { createMetadataNode } from '@fedlake/metadata'
import type { MetadataNode } from '@fedlake/metadata'
import { MetadataProcess, hostPort, killAll } from '../packages/metadata/test/fixtures/process-harness.js'

const EDGELAKE_SYNC_MS = 30_000

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '5,20,50' },
    publishes: { type: 'string', default: '50' },
    processes: { type: 'boolean', default: true },
    'no-processes': { type: 'boolean', default: false },
    'process-sizes': { type: 'string', default: '5' },
    'process-heartbeat': { type: 'string', default: '1000' },
    'large-heartbeat': { type: 'string', default: '5000' }
  }
})
const SIZES = (args.sizes ?? '5,20,50').split(',').map(Number)
const PUBLISHES = Number(args.publishes)
const TIMEOUT_MS = 60_000

interface Result { label: string, nodes: number, samples: number[], setupMs: number }

async function withTimeout (work: Promise<void>, message: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([work, new Promise<void>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(message())) }, TIMEOUT_MS) })])
  } finally {
    clearTimeout(timer)
  }
}

function percentile (sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))
  return sorted[i] ?? NaN
}

const SETTINGS = { heartbeatIntervalMs: 1000, unreachableAfterMs: 4000, antiEntropyIntervalMs: 5000, networkName: 'bench' }

/** One core runs every in-process node: past 20 nodes, 1 s heartbeats (N² signed messages) saturate it. */
function heartbeatFor (size: number): number {
  return size > 20 ? Number(args['large-heartbeat']) : SETTINGS.heartbeatIntervalMs
}

async function inProcess (size: number): Promise<Result> {
  const hb = heartbeatFor(size)
  const root = mkdtempSync(join(tmpdir(), 'fedlake-bench-md-'))
  const nodes: MetadataNode[] = []
  const t0 = Date.now()
  try {
    const seeds: string[] = []
    for (let i = 0; i < size; i++) {
      // Each node knows the first node and one random earlier node; the rest it learns from heartbeats.
      const mySeeds = i === 0 ? [] : [...new Set([seeds[0] as string, seeds[Math.floor(Math.random() * i)] as string])]
      const node = await createMetadataNode({
        dataDir: join(root, `n${i}`), host: '127.0.0.1', p2pPort: 0, seeds: mySeeds, admins: [], logger: silentLogger,
        nodeInfo: { name: `n${i}`, roles: ['operator'], cluster: `c${i % 4}` }, ...SETTINGS,
        heartbeatIntervalMs: hb, unreachableAfterMs: 4 * hb, ...(size > 20 ? { targetPeers: 4 } : {})
      })
      await node.start()
      nodes.push(node)
      seeds.push(hostPort(node.p2pAddresses()[0] as string))
    }
    await waitFor(() => new Set(nodes.map(n => n.version())).size === 1, { timeoutMs: 240_000, intervalMs: 250, what: `${size} nodes converged` })
    // Let the gossip mesh settle (gossipsub grafts on its 1 s heartbeat).
    await new Promise(resolve => setTimeout(resolve, 3000))
    const setupMs = Date.now() - t0
    const samples: number[] = []
    for (let k = 0; k < PUBLISHES; k++) {
      const publisher = nodes[Math.floor(Math.random() * nodes.length)] as MetadataNode
      const content = { benchmark: { run: t0, seq: k, size } }
      let expectedId = ''
      const missing = new Set(nodes.map(n => n.peerId))
      let resolveAll!: () => void
      const all = new Promise<void>(resolve => { resolveAll = resolve })
      const offs = nodes.map(n => n.onPolicyChange(c => {
        if (c.type === 'benchmark' && (expectedId === '' || c.id === expectedId) && c.kind === 'added') {
          missing.delete(n.peerId)
          if (missing.size === 0) resolveAll()
        }
      }))
      const start = performance.now()
      const stored = await publisher.publish(content)
      expectedId = (stored.benchmark as { id: string }).id
      await withTimeout(all, () => `publish ${k} not everywhere after ${TIMEOUT_MS} ms (${missing.size} of ${size} missing)`)
      samples.push(performance.now() - start)
      for (const off of offs) off()
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    return { label: `${size} in-process (hb ${hb / 1000} s)`, nodes: size, samples, setupMs }
  } finally {
    await Promise.allSettled(nodes.map(n => n.stop()))
    rmSync(root, { recursive: true, force: true })
  }
}

async function processes (size: number, heartbeatIntervalMs = SETTINGS.heartbeatIntervalMs): Promise<Result> {
  const root = mkdtempSync(join(tmpdir(), 'fedlake-bench-mdp-'))
  const t0 = Date.now()
  try {
    const init = (i: number, seeds: string[]): Record<string, unknown> => ({
      dataDir: join(root, `p${i}`), seeds, events: true, nodeInfo: { name: `p${i}`, roles: ['operator'], cluster: 'c' }, ...SETTINGS,
      heartbeatIntervalMs, unreachableAfterMs: 4 * heartbeatIntervalMs
    })
    const first = new MetadataProcess('p0', init(0, []))
    const seed = hostPort((await first.ready).addresses[0] as string)
    const procs = [first]
    const seeds = [seed]
    for (let i = 1; i < size; i++) {
      const p = new MetadataProcess(`p${i}`, init(i, [...new Set([seed, seeds[Math.floor(Math.random() * seeds.length)] as string])]))
      procs.push(p)
      // Start in small waves so process start-up (tsx, imports) does not starve the running ones.
      if (i % 5 === 0) seeds.push(hostPort((await p.ready).addresses[0] as string))
    }
    await Promise.all(procs.map(p => p.ready))
    await waitFor(async () => new Set(await Promise.all(procs.map(p => p.call<string>('version')))).size === 1, { timeoutMs: 60_000, what: 'processes converged' })
    await new Promise(resolve => setTimeout(resolve, 3000))
    const setupMs = Date.now() - t0
    const samples: number[] = []
    for (let k = 0; k < PUBLISHES; k++) {
      const publisher = procs[Math.floor(Math.random() * procs.length)] as MetadataProcess
      // Receive times are each process's Date.now() (same machine clock); publish time is taken
      // inside the publisher's own change event, so the figure excludes the stdin round trip.
      const got = new Map<string, number>()
      let expectedId = ''
      let resolveAll!: () => void
      const all = new Promise<void>(resolve => { resolveAll = resolve })
      const offs = procs.map(p => p.onEvent(e => {
        if (e.type !== 'benchmark' || e.kind !== 'added') return
        if (expectedId !== '' && e.id !== expectedId) return
        got.set(p.label, e.at)
        if (got.size === procs.length) resolveAll()
      }))
      const stored = await publisher.call<Record<string, { id: string }>>('publish', { policy: { benchmark: { run: t0, seq: k } } })
      expectedId = (stored.benchmark as { id: string }).id
      await withTimeout(all, () => `publish ${k} not everywhere after ${TIMEOUT_MS} ms`)
      const published = got.get(publisher.label) as number
      samples.push(Math.max(...got.values()) - published)
      for (const off of offs) off()
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    return { label: `${size} processes (hb ${heartbeatIntervalMs / 1000} s)`, nodes: size, samples, setupMs }
  } finally {
    await killAll()
    rmSync(root, { recursive: true, force: true })
  }
}

function report (r: Result): void {
  const sorted = [...r.samples].sort((a, b) => a - b)
  const p50 = percentile(sorted, 50)
  const p95 = percentile(sorted, 95)
  const max = sorted[sorted.length - 1] ?? NaN
  console.log(`${r.label.padEnd(28)} publishes=${String(r.samples.length).padStart(3)}  p50=${p50.toFixed(1).padStart(7)} ms  p95=${p95.toFixed(1).padStart(7)} ms  max=${max.toFixed(1).padStart(7)} ms  ` +
    `p95/30s=${(p95 / EDGELAKE_SYNC_MS).toFixed(5)} (1/${Math.round(EDGELAKE_SYNC_MS / p95)})  setup=${(r.setupMs / 1000).toFixed(1)} s`)
}

console.log('fedlake metadata propagation: publish on one node -> policy held by every node')
console.log(`loopback, this machine; heartbeat ${SETTINGS.heartbeatIntervalMs} ms, anti-entropy ${SETTINGS.antiEntropyIntervalMs} ms, ${PUBLISHES} publishes per size from random nodes`)
console.log(`EdgeLake reference: every node pulls the ledger every ${EDGELAKE_SYNC_MS / 1000} s (worst case ${EDGELAKE_SYNC_MS} ms)`)
const results: Result[] = []
try {
  if (args.processes === true && args['no-processes'] !== true) {
    for (const size of (args['process-sizes'] ?? '5').split(',').map(Number)) {
      const r = await processes(size, size > 20 ? Number(args['process-heartbeat']) : SETTINGS.heartbeatIntervalMs)
      report(r)
      results.push(r)
    }
  }
  for (const size of SIZES) {
    const r = await inProcess(size)
    report(r)
    results.push(r)
  }
} finally {
  await killAll()
}
const worst = Math.max(...results.map(r => percentile([...r.samples].sort((a, b) => a - b), 95)))
console.log(`target p95 < 1000 ms at the largest size: ${worst < 1000 ? 'met' : 'NOT met'} (worst p95 ${worst.toFixed(1)} ms)`)
process.exit(0)
