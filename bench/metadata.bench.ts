/**
 * Metadata propagation benchmark: time from publish on one node until every node holds the
 * policy, p50/p95 over 50 publishes, for 5, 20 and 50 libp2p nodes on loopback. Nodes run in
 * several worker processes (bench/metadata-worker.ts), a few per process, so the machine's cores
 * are all used and no single event loop carries every libp2p stack. Each worker stamps "node X
 * holds policy P" with performance.timeOrigin + performance.now() (one machine clock); a sample is
 * the last node's stamp minus the publisher's own stamp. Compared with EdgeLake's 30 s ledger pull.
 *
 *   npm run bench:metadata                                   # 5x1, 4x5, 5x10 (processes x nodes)
 *   npm run bench:metadata -- --layouts 5x1,10x5 --publishes 20
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { waitFor } from '@fedlake/core'
import { JsonLinesChild } from '../test/helpers/json-lines.js'
import type { WorkerInit, WorkerNodeInfo } from './metadata-worker.js'

const EDGELAKE_SYNC_MS = 30_000
const WORKER = fileURLToPath(new URL('./metadata-worker.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url))
/** Extra node flags for the workers, e.g. BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'. */
const WORKER_NODE_ARGS = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(a => a !== '')

const { values: args } = parseArgs({
  options: {
    layouts: { type: 'string', default: '5x1,4x5,5x10' },
    publishes: { type: 'string', default: '50' },
    heartbeat: { type: 'string', default: '1000' },
    'target-peers': { type: 'string', default: '8' }
  }
})
const LAYOUTS = (args.layouts ?? '5x1,4x5,5x10').split(',').map(l => {
  const [procs, perProc] = l.split('x').map(Number)
  if (procs === undefined || perProc === undefined || !(procs > 0) || !(perProc > 0)) throw new Error(`bad layout ${l} (want PROCESSESxNODES)`)
  return { procs, perProc }
})
const PUBLISHES = Number(args.publishes)
const TIMEOUT_MS = 60_000
// The library defaults (docs/metadata.md) unless --heartbeat / --target-peers say otherwise.
const HEARTBEAT_MS = Number(args.heartbeat)
const TARGET_PEERS = Number(args['target-peers'])
const SETTINGS = { heartbeatIntervalMs: HEARTBEAT_MS, unreachableAfterMs: 4 * HEARTBEAT_MS, antiEntropyIntervalMs: 5000, networkName: 'bench' }

interface Result { label: string, nodes: number, samples: number[], setupMs: number, lagP99: number, lagMax: number, peersMean: number, peersMax: number, cores: number, idleCores: number }
interface HasEvent { node: number, id: string, at: number }

type Worker = JsonLinesChild<{ nodes: WorkerNodeInfo[] }>

/** One bench worker process (bench/metadata-worker.ts); `has` events go to onHas. */
function startWorker (label: string, init: WorkerInit, onHas: (e: HasEvent) => void): Worker {
  return new JsonLinesChild({
    label,
    script: WORKER,
    args: [JSON.stringify(init)],
    cwd: REPO_ROOT,
    nodeArgs: WORKER_NODE_ARGS,
    // a worker hosting ten busy libp2p stacks can take seconds to answer
    callTimeoutMs: 30_000,
    onEvent: msg => { if (msg.event === 'has') onHas(msg as unknown as HasEvent) }
  })
}

function percentile (sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))
  return sorted[i] ?? NaN
}

async function run (procs: number, perProc: number): Promise<Result> {
  const size = procs * perProc
  const root = mkdtempSync(join(tmpdir(), 'fedlake-bench-md-'))
  // id -> node index -> time it held that policy
  const holders = new Map<string, Map<number, number>>()
  const waiters = new Set<() => void>()
  const onHas = (e: HasEvent): void => {
    let m = holders.get(e.id)
    if (m === undefined) holders.set(e.id, m = new Map())
    m.set(e.node, e.at)
    for (const w of waiters) w()
  }
  const workers: Worker[] = []
  const t0 = Date.now()
  try {
    const init = (w: number, seeds: string[]): WorkerInit => ({
      firstIndex: w * perProc, count: perProc, root, seeds, ...SETTINGS, targetPeers: TARGET_PEERS
    })
    // The first worker's nodes seed the rest; the others start together.
    workers.push(startWorker('w0', init(0, []), onHas))
    const seeds = (await (workers[0] as Worker).ready).nodes.map(n => n.address)
    for (let w = 1; w < procs; w++) workers.push(startWorker(`w${w}`, init(w, seeds), onHas))
    const nodeOwner: Worker[] = []
    for (const [w, worker] of workers.entries()) for (const _n of (await worker.ready).nodes) nodeOwner.push(workers[w] as Worker)
    let lastNote = Date.now()
    await waitFor(async () => {
      const versions = (await Promise.all(workers.map(w => w.call<string[]>('versions')))).flat()
      const distinct = new Set(versions).size
      if (Date.now() - lastNote > 10_000) {
        lastNote = Date.now()
        const lags = await Promise.all(workers.map(w => w.call<{ p99: number }>('lag', { reset: true })))
        console.error(`  ${size} nodes: ${distinct} distinct versions after ${((Date.now() - t0) / 1000).toFixed(0)} s; loop lag p99 ${lags.map(l => l.p99.toFixed(0)).join('/')} ms`)
      }
      return distinct === 1
    }, { timeoutMs: 120_000, intervalMs: 250, what: `${size} nodes converged` })
    // Let the gossip mesh settle (gossipsub grafts on its 1 s heartbeat).
    await new Promise(resolve => setTimeout(resolve, 3000))
    const setupMs = Date.now() - t0
    await Promise.all(workers.map(w => w.call('lag', { reset: true })))
    const cpuTotal = async (): Promise<number> => (await Promise.all(workers.map(w => w.call<number>('cpu')))).reduce((a, b) => a + b, 0)
    // background cost (liveness, gossipsub upkeep, anti-entropy) over a quiet 5 s, then the publishing phase
    const idleCpu = await cpuTotal()
    const idleWall = performance.now()
    await new Promise(resolve => setTimeout(resolve, 5000))
    const cpuBefore = await cpuTotal()
    const wallBefore = performance.now()
    const idleCores = (cpuBefore - idleCpu) / 1000 / (wallBefore - idleWall)
    const samples: number[] = []
    for (let k = 0; k < PUBLISHES; k++) {
      const publisher = Math.floor(Math.random() * size)
      const id = await (nodeOwner[publisher] as Worker).call<string>('publish', { node: publisher, policy: { benchmark: { run: t0, seq: k, size } } })
      let timer: NodeJS.Timeout | undefined
      let check!: () => void
      try {
        await new Promise<void>((resolve, reject) => {
          check = () => { if ((holders.get(id)?.size ?? 0) === size) resolve() }
          waiters.add(check)
          check()
          timer = setTimeout(() => { reject(new Error(`publish ${k} not everywhere after ${TIMEOUT_MS} ms (${size - (holders.get(id)?.size ?? 0)} of ${size} missing)`)) }, TIMEOUT_MS)
        })
      } finally {
        clearTimeout(timer)
        waiters.delete(check)
      }
      const got = holders.get(id) as Map<number, number>
      samples.push(Math.max(...got.values()) - (got.get(publisher) as number))
      holders.delete(id)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    const cores = (await cpuTotal() - cpuBefore) / 1000 / (performance.now() - wallBefore)
    const lags = await Promise.all(workers.map(w => w.call<{ p99: number, max: number }>('lag')))
    const peers = (await Promise.all(workers.map(w => w.call<number[]>('peers')))).flat()
    return {
      cores,
      idleCores,
      peersMean: peers.reduce((a, b) => a + b, 0) / peers.length,
      peersMax: Math.max(...peers),
      label: `${size} nodes = ${procs} proc x ${perProc}`, nodes: size, samples, setupMs,
      lagP99: Math.max(...lags.map(l => l.p99)), lagMax: Math.max(...lags.map(l => l.max))
    }
  } finally {
    await Promise.allSettled(workers.map(w => w.stop()))
    rmSync(root, { recursive: true, force: true })
  }
}

function report (r: Result): number {
  const sorted = [...r.samples].sort((a, b) => a - b)
  const p50 = percentile(sorted, 50)
  const p95 = percentile(sorted, 95)
  const max = sorted[sorted.length - 1] ?? NaN
  console.log(`${r.label.padEnd(36)} publishes=${String(r.samples.length).padStart(3)}  p50=${p50.toFixed(1).padStart(7)} ms  p95=${p95.toFixed(1).padStart(7)} ms  max=${max.toFixed(1).padStart(7)} ms  ` +
    `p95/30s=${(p95 / EDGELAKE_SYNC_MS).toFixed(5)} (1/${Math.round(EDGELAKE_SYNC_MS / p95)})  setup=${(r.setupMs / 1000).toFixed(1)} s  ` +
    `loop lag p99/max=${r.lagP99.toFixed(0)}/${r.lagMax.toFixed(0)} ms  connections/node mean/max=${r.peersMean.toFixed(1)}/${r.peersMax}  ` +
    `CPU of all nodes: ${r.idleCores.toFixed(2)} cores idle, ${r.cores.toFixed(2)} while publishing`)
  return p95
}

console.log('fedlake metadata propagation: publish on one node -> policy held by every node')
console.log(`loopback, this machine (${availableParallelism()} cores); heartbeat ${SETTINGS.heartbeatIntervalMs} ms, unreachable ${SETTINGS.unreachableAfterMs} ms, ` +
  `anti-entropy ${SETTINGS.antiEntropyIntervalMs} ms, targetPeers ${TARGET_PEERS}${HEARTBEAT_MS === 1000 && TARGET_PEERS === 8 ? ' (the library defaults)' : ''}; ` +
  `${PUBLISHES} publishes per size from random nodes`)
console.log('times: one machine clock (performance.timeOrigin + now() in each process); sample = last node holding it - publisher holding it')
console.log(`EdgeLake reference: every node pulls the ledger every ${EDGELAKE_SYNC_MS / 1000} s (worst case ${EDGELAKE_SYNC_MS} ms)`)
let worst = 0
for (const { procs, perProc } of LAYOUTS) {
  try {
    worst = Math.max(worst, report(await run(procs, perProc)))
  } catch (err) {
    worst = Infinity
    console.log(`${procs * perProc} nodes (${procs} proc x ${perProc}): no result: ${(err as Error).message}`)
  }
}
console.log(`target p95 < 1000 ms at every size: ${worst < 1000 ? 'met' : 'NOT met'} (worst p95 ${Number.isFinite(worst) ? `${worst.toFixed(1)} ms` : 'no result'})`)
process.exit(0)
