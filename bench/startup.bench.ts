/**
 * npm run bench:startup — how long `fedlake` takes to start, run from its TypeScript sources through tsx
 * (FEDLAKE_FROM_SOURCE=1) and from the compiled packages/*\/dist (as installed), side by side in one run:
 *  - node ready: from spawning `fedlake node` (operator and query roles, REST and libp2p on free ports, an empty
 *    data directory) until its `ready` line, BENCH_STARTS times per mode (default 5), the modes alternating;
 *  - `fedlake client --url URL "get status"` against a running (compiled) node, wall time of the whole process,
 *    BENCH_RUNS times per mode (default 10), alternating;
 *  - `fedlake --help`: the process with nothing to do (bin, polyfills, the command table);
 *  - baseline: `node -e 0`, Node's own start on this machine in this run, which nothing in fedlake can go below.
 * Prints p50 and max per mode, compiled / from source, and compiled / baseline. The script builds dist first
 * (npm run bench:startup). The memory side of the same change is bench:ingest part (e) (BENCH_PARTS=e).
 */
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { FEDLAKE_BIN, startFedlake, tempDir } from '../test/helpers/processes.js'

const STARTS = Number(process.env.BENCH_STARTS ?? 5)
const RUNS = Number(process.env.BENCH_RUNS ?? 10)
const MODES = [
  { name: 'from source', env: { FEDLAKE_FROM_SOURCE: '1' } },
  { name: 'compiled', env: { FEDLAKE_FROM_SOURCE: '0' } }
] as const

interface Row { readonly name: string, readonly times: ReadonlyArray<readonly number[]> }

const p50 = (xs: readonly number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] as number }
const max = (xs: readonly number[]): number => Math.max(...xs)
const ms = (x: number): string => `${Math.round(x)} ms`

function timed (args: readonly string[], env: Record<string, string>): number {
  const started = performance.now()
  const run = spawnSync(process.execPath, args, { env: { ...process.env, ...env }, encoding: 'utf8' })
  const took = performance.now() - started
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited ${run.status}: ${run.stderr}`)
  return took
}

async function nodeReady (): Promise<Row> {
  const times: number[][] = MODES.map(() => [])
  const dir = tempDir('bench-startup')
  try {
    for (let i = 0; i < STARTS; i++) {
      for (const [m, mode] of MODES.entries()) {
        const started = performance.now()
        const node = await startFedlake(['node', '--name', `n${i}${m}`, '--rest-port', '0', '--p2p-port', '0', '--data-dir', join(dir.path, `${i}-${m}`)], { env: mode.env })
        times[m]?.push(performance.now() - started)
        await node.stop()
      }
    }
  } finally {
    dir.remove()
  }
  return { name: 'node ready', times }
}

async function cliCalls (): Promise<{ rows: Row[], baseline: number[] }> {
  const dir = tempDir('bench-startup-cli')
  const node = await startFedlake(['node', '--name', 'target', '--rest-port', '0', '--p2p-port', '0', '--data-dir', dir.path], { env: MODES[1].env })
  try {
    const url = node.ready.rest ?? ''
    const client: number[][] = MODES.map(() => [])
    const help: number[][] = MODES.map(() => [])
    const baseline: number[] = []
    for (let i = 0; i < RUNS; i++) {
      baseline.push(timed(['-e', '0'], {}))
      for (const [m, mode] of MODES.entries()) {
        client[m]?.push(timed([FEDLAKE_BIN, 'client', '--url', url, 'get status'], mode.env))
        help[m]?.push(timed([FEDLAKE_BIN, '--help'], mode.env))
      }
    }
    return { rows: [{ name: 'client "get status"', times: client }, { name: 'fedlake --help', times: help }], baseline }
  } finally {
    await node.stop()
    dir.remove()
  }
}

console.log(`start-up benchmark: ${STARTS} node starts and ${RUNS} CLI calls per mode, alternating`)
const ready = await nodeReady()
const { rows, baseline } = await cliCalls()
console.log(`baseline: node -e 0 p50 ${ms(p50(baseline))}, max ${ms(max(baseline))}`)
console.log('                      from source p50 (max)   compiled p50 (max)   compiled / source   compiled / baseline')
for (const row of [ready, ...rows]) {
  const [source = [], compiled = []] = row.times
  console.log(`${row.name.padEnd(22)}${`${ms(p50(source))} (${ms(max(source))})`.padEnd(24)}${`${ms(p50(compiled))} (${ms(max(compiled))})`.padEnd(21)}` +
    `${(p50(compiled) / p50(source)).toFixed(2).padEnd(20)}${(p50(compiled) / p50(baseline)).toFixed(2)}`)
}
