/**
 * npm run bench:kill9 — what a kill -9 during ingest loses, in seconds of the ingest rate.
 *
 * A KubeArmor simulator (in this process) feeds a `fedlake node --roles operator` process, which is killed with
 * SIGKILL at a random moment, then started again on the same data directory (without sources) to count what it
 * committed. KubeArmor does not replay, so delivered − committed is lost. Two sources, BENCH_KILLS rounds each:
 *  - saturated: the simulator sends as fast as the operator reads (it drops for the operator only when the
 *    operator stops reading for over a second, as a KubeArmor producing faster than its subscriber would);
 *  - fixed rate: BENCH_RATE events/s (default 10,000), KubeArmor's behaviour: a full queue drops at once.
 * Each round prints the loss as a ratio to the ingest rate (events/s handed to the operator over the 10 s before
 * the kill) and the events the source dropped. BENCH_INGEST='{"idleFlushMs":0}' sets ingest settings;
 * BENCH_BUFFERED_MS=750,1500,3000 cycles the rounds through those ingest.maxBufferedMs values (the trade-off
 * between loss on a kill and drops at the source, side by side); BENCH_SEED fixes the kill moments.
 */
import '@fedlake/core/polyfills'
import { createKubeArmorSimulator } from '@fedlake/kubearmor-sim'
import type { KubeArmorSimulator } from '@fedlake/kubearmor-sim'
import { killRestart } from '../test/helpers/kill-restart.js'
import type { KillRound } from '../test/helpers/kill-restart.js'
import { tempDir } from '../test/helpers/processes.js'

const KILLS = Number(process.env.BENCH_KILLS ?? 5)
const RATE = Number(process.env.BENCH_RATE ?? 10_000)
const INGEST = JSON.parse(process.env.BENCH_INGEST ?? '{}') as Record<string, unknown>
/** ingest.maxBufferedMs of each round in turn; undefined: the configured one. */
const BUFFERED_MS: ReadonlyArray<number | undefined> = (process.env.BENCH_BUFFERED_MS ?? '').split(',').filter(v => v !== '').map(Number)
const VALUES = BUFFERED_MS.length > 0 ? BUFFERED_MS : [undefined]
const SEED = Number(process.env.BENCH_SEED ?? Math.floor(Math.random() * 1e9))
/** Kill moments: uniformly within this span after events start flowing (past the 10 s the commit rate is measured over). */
const KILL_AFTER_MS = [10_000, 25_000] as const
const BOUND_SECONDS = 2

/** mulberry32: kill moments that BENCH_SEED reproduces. */
function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')

interface Round extends KillRound { readonly bufferedMs: number | undefined }

async function mode (name: string, sim: KubeArmorSimulator, next: () => number): Promise<Round[]> {
  const dir = tempDir('bench-kill9')
  const rounds: Round[] = []
  let killAt = 0
  await sim.start()
  const runs = killRestart({ sim, dir: dir.path, ingest: INGEST, killWhen: ({ elapsedMs }) => elapsedMs >= killAt })
  try {
    console.log(`\n${name}`)
    console.log('round  maxBufferedMs  kill at   rate (ev/s)   delivered   committed        lost   lost / rate   lost / (2 s × rate)   dropped at source')
    for (let i = 1; i <= KILLS * VALUES.length; i++) {
      const bufferedMs = VALUES[(i - 1) % VALUES.length]
      killAt = KILL_AFTER_MS[0] + next() * (KILL_AFTER_MS[1] - KILL_AFTER_MS[0])
      const r = await runs.round(bufferedMs === undefined ? INGEST : { ...INGEST, maxBufferedMs: bufferedMs })
      rounds.push({ ...r, bufferedMs })
      console.log(`${String(i).padStart(5)}  ${(bufferedMs === undefined ? 'default' : String(bufferedMs)).padStart(13)}  ${(r.ranMs / 1000).toFixed(1).padStart(6)} s  ${fmt(r.rate).padStart(12)}  ${fmt(r.delivered).padStart(10)}  ` +
        `${fmt(r.committed).padStart(10)}  ${fmt(r.lost).padStart(10)}  ${r.lostSeconds.toFixed(2).padStart(10)} s  ` +
        `${(r.lostSeconds / BOUND_SECONDS).toFixed(2).padStart(20)}  ${fmt(r.sourceDropped).padStart(18)}`)
    }
  } finally {
    await runs.close()
    await sim.stop()
    dir.remove()
  }
  for (const bufferedMs of VALUES) {
    const mine = rounds.filter(r => r.bufferedMs === bufferedMs)
    const seconds = mine.map(r => r.lostSeconds).sort((x, y) => x - y)
    const median = seconds[Math.floor(seconds.length / 2)] ?? 0
    const dropped = mine.reduce((sum, r) => sum + r.sourceDropped, 0)
    const delivered = mine.reduce((sum, r) => sum + r.delivered, 0)
    console.log(`${name}${bufferedMs === undefined ? '' : `, maxBufferedMs ${bufferedMs}`}: lost ${median.toFixed(2)} s of the ingest rate (median), ` +
      `${(seconds[seconds.length - 1] ?? 0).toFixed(2)} s at most (bound ${BOUND_SECONDS} s); the source dropped ${fmt(dropped)} events for the operator ` +
      `= ${(dropped * 1e6 / Math.max(1, delivered + dropped)).toFixed(0)} per million`)
  }
  return rounds
}

const next = random(SEED)
console.log(`kill -9 benchmark: ${KILLS} kills per source${BUFFERED_MS.length > 0 ? ` and maxBufferedMs value (${BUFFERED_MS.join(', ')})` : ''}, kill moments ${KILL_AFTER_MS[0] / 1000}-${KILL_AFTER_MS[1] / 1000} s after events flow, ` +
  `seed ${SEED}, ingest settings ${JSON.stringify(INGEST)}`)
const saturated = await mode('saturated: the simulator as fast as the operator reads',
  createKubeArmorSimulator({ host: '127.0.0.1', port: 0, seed: 11, nodes: 4, pods: 16 }), next)
const fixed = await mode(`fixed rate: ${fmt(RATE)} events/s`,
  createKubeArmorSimulator({ host: '127.0.0.1', port: 0, seed: 11, nodes: 4, pods: 16, rate: RATE }), next)
const worst = Math.max(...[...saturated, ...fixed].map(r => r.lostSeconds))
console.log(`\nworst loss: ${worst.toFixed(2)} s of the ingest rate = ${(worst / BOUND_SECONDS).toFixed(2)} of the ${BOUND_SECONDS} s bound`)
process.exit(0)
