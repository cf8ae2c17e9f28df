/**
 * npm run bench:idle — what fedlake node processes cost while nobody asks them anything.
 *
 * The layout of bench:fanout without data: one query node and N `fedlake node --roles operator` processes
 * (compiled dist, free ports, each seeded with the query node), N from BENCH_OPERATORS (default 10,50), started
 * BENCH_START_BATCH (5) at a time. Once the query node's liveness view shows every operator active and a settling
 * pause (BENCH_SETTLE_SECONDS, 10) has let the connections reach their target, the CPU time (utime + stime from
 * /proc, all threads) of every process is read over BENCH_IDLE_SECONDS (20). CPU time, unlike latency, hardly
 * depends on what else runs on the machine. Per size: the query node's and the operators' CPU ms per second
 * (mean, max), all processes together in cores, the operators' CPU split by thread (main thread vs the rest), and
 * the connections per node. FEDLAKE_CPU_PROF_DIR=<dir> profiles every process (processes.ts).
 */
import '@fedlake/core/polyfills'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from '@fedlake/core'
import { restCommand, startFedlake } from '../test/helpers/processes.js'
import type { Child } from '../test/helpers/processes.js'
import { processCpuMs } from './measure.js'

const SIZES = (process.env.BENCH_OPERATORS ?? '10,50').split(',').map(Number)
const START_BATCH = Number(process.env.BENCH_START_BATCH ?? 5)
const SETTLE_MS = Number(process.env.BENCH_SETTLE_SECONDS ?? 10) * 1000
const IDLE_MS = Number(process.env.BENCH_IDLE_SECONDS ?? 20) * 1000

/** CPU ms of a process's main thread (the task whose id is the pid) and of all its other threads. */
function threadCpuMs (pid: number | undefined): { main: number, other: number } {
  if (pid === undefined) return { main: 0, other: 0 }
  let main = 0
  let other = 0
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const ms = (Number(fields[11]) + Number(fields[12])) * 10
      if (Number(tid) === pid) main += ms
      else other += ms
    }
  } catch { /* gone */ }
  return { main, other }
}

interface LivenessRow { 'Node Status'?: string }

async function activeNodes (url: string): Promise<number> {
  const reply = await restCommand(url, 'test network metadata version where format=json')
  if (reply.status !== 200) return 0
  const rows = reply.json() as LivenessRow[]
  return Array.isArray(rows) ? rows.filter(r => r['Node Status'] === 'active').length : 0
}

/** p2p connections per pid: established TCP sockets (`ss`) to or from a node's p2p port. Not /metrics: its first scrape loads prom-client, whose own timers would then count as idle cost. */
function connectionsByPid (p2pPorts: ReadonlySet<string>): Map<number, number> {
  const counts = new Map<number, number>()
  for (const line of execFileSync('ss', ['-Htnp', 'state', 'established'], { encoding: 'utf8' }).split('\n')) {
    const m = /:(\d+)\s+\S+:(\d+)\s+users:\(\("[^"]*",pid=(\d+)/.exec(line)
    if (m === null || !(p2pPorts.has(m[1] as string) || p2pPorts.has(m[2] as string))) continue
    counts.set(Number(m[3]), (counts.get(Number(m[3])) ?? 0) + 1)
  }
  return counts
}

const p2pPort = (c: Child): string => /\/tcp\/(\d+)/.exec(c.ready.p2p ?? '')?.[1] ?? ''

const root = mkdtempSync(join(tmpdir(), 'fedlake-bench-idle-'))
const query = await startFedlake(['node', '--name', 'query-1', '--roles', 'query', '--rest-port', '0', '--p2p-port', '0', '--data-dir', join(root, 'query-1')])
const url = query.ready.rest ?? ''
const operators: Child[] = []

async function addOperators (count: number): Promise<void> {
  while (operators.length < count) {
    const batch = Array.from({ length: Math.min(START_BATCH, count - operators.length) }, (_, b) => operators.length + b + 1)
    operators.push(...await Promise.all(batch.map(async k => await startFedlake(['node', '--name', `op-${k}`, '--roles', 'operator', '--rest-port', '0', '--p2p-port', '0',
      '--data-dir', join(root, `op-${k}`), '--seeds', query.ready.p2p ?? ''], { readyTimeoutMs: 300_000 }))))
  }
}

const fmt = (n: number): string => n.toFixed(1)

try {
  process.stdout.write(`idle: CPU over ${IDLE_MS / 1000} s once all nodes are active and ${SETTLE_MS / 1000} s settled (utime + stime, /proc)\n\n` +
    '| operators | query node CPU | operator CPU mean (max) | operator main thread / other threads | all processes | connections: query node, operator mean | active (query node view) | load avg (1 min) |\n' +
    '|---|---|---|---|---|---|---|---|\n')
  for (const size of SIZES) {
    await addOperators(size)
    // on a loaded machine a few nodes' status may flicker: nine in ten active is connected enough to measure
    await waitFor(async () => await activeNodes(url) >= Math.ceil(0.9 * (size + 1)), { timeoutMs: 300_000, intervalMs: 500, what: `the query node to see ${size} operators active` })
    await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
    const pids = [query.proc.pid, ...operators.map(o => o.proc.pid)]
    const before = pids.map(processCpuMs)
    const threadsBefore = operators.map(o => threadCpuMs(o.proc.pid))
    const started = performance.now()
    await new Promise(resolve => setTimeout(resolve, IDLE_MS))
    const seconds = (performance.now() - started) / 1000
    const perSecond = pids.map((pid, i) => (processCpuMs(pid) - (before[i] ?? 0)) / seconds)
    const threads = operators.map((o, i) => {
      const now = threadCpuMs(o.proc.pid)
      const was = threadsBefore[i] ?? { main: 0, other: 0 }
      return { main: (now.main - was.main) / seconds, other: (now.other - was.other) / seconds }
    })
    const ops = perSecond.slice(1)
    const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)
    const links = connectionsByPid(new Set([query, ...operators].map(p2pPort)))
    const opConnections = operators.map(o => links.get(o.proc.pid ?? -1) ?? 0)
    process.stdout.write(`| ${size} | ${fmt(perSecond[0] ?? NaN)} ms/s | ${fmt(mean(ops))} (${fmt(Math.max(...ops))}) ms/s | ` +
      `${fmt(mean(threads.map(t => t.main)))} / ${fmt(mean(threads.map(t => t.other)))} ms/s | ${(perSecond.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} cores | ` +
      `${links.get(query.proc.pid ?? -1) ?? 0}, ${fmt(mean(opConnections))} | ${await activeNodes(url)} of ${size + 1} | ${(loadavg()[0] ?? NaN).toFixed(1)} |\n`)
  }
  process.stdout.write(`\n${availableParallelism()} cores; CPU ms/s = ms of CPU per second of wall time (10 ms ticks)\n`)
} finally {
  await Promise.all([query, ...operators].map(async c => await c.stop()))
  rmSync(root, { recursive: true, force: true })
}
