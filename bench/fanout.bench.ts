/**
 * npm run bench:fanout — how a network query's latency grows with the number of operators it fans out to.
 *
 * One query node and up to 50 `fedlake node --roles operator` processes on this machine (compiled dist, free
 * ports, each its own cluster, seeded with the query node), each holding BENCH_ROWS small rows (default 2,000)
 * PUT over REST. The operators are added in steps (BENCH_OPERATORS, default 5,10,20,50), BENCH_START_BATCH at a
 * time (default 5), and at each step, once the query node's count(*) sees every operator's rows (metadata
 * converged), count(*) and a GROUP BY run BENCH_RUNS times each (default 40), alternately with the baseline:
 * one DuckDB in this process over the union of the same rows. Per step: p50/p95 on both sides, the CPU the query
 * node and the operators spent per query, the CPU all processes use while idle, and RSS. At the end: ms per extra
 * operator (least-squares slope of the p50s). FEDLAKE_CPU_PROF_DIR=<dir> profiles every process (processes.ts).
 */
import '@fedlake/core/polyfills'
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import { waitFor } from '@fedlake/core'
import { restCommand, startFedlake } from '../test/helpers/processes.js'
import type { Child } from '../test/helpers/processes.js'
import { fmt, percentile, processCpuMs, rssMb, timedSideBySide } from './measure.js'

const SIZES = (process.env.BENCH_OPERATORS ?? '5,10,20,50').split(',').map(Number)
const ROWS = Number(process.env.BENCH_ROWS ?? 2000)
const RUNS = Number(process.env.BENCH_RUNS ?? 40)
const START_BATCH = Number(process.env.BENCH_START_BATCH ?? 5)
const WARMUP = 5
const DBMS = 'fanout'
const PODS = 40
const NAMESPACES = ['default', 'prod', 'dev', 'kube-system']

interface FanoutQuery { readonly name: string, readonly sql: string }

/** Same text on both sides: plain SQL, which the network answers as one DuckDB over the union would. */
const FANOUT_QUERIES: readonly FanoutQuery[] = [
  { name: 'count(*)', sql: 'select count(*) as n from events' },
  { name: 'group by pod_name', sql: 'select pod_name, count(*) as n, sum(v) as s from events group by pod_name order by pod_name' }
]

interface Row { readonly pod_name: string, readonly namespace: string, readonly n: number, readonly v: number }

/** Operator k's rows (v always has a fraction, so PUT infers DOUBLE). */
function rowsOf (k: number): Row[] {
  return Array.from({ length: ROWS }, (_, i) => ({
    pod_name: `pod-${(i * 7 + k) % PODS}`,
    namespace: NAMESPACES[(i + k) % NAMESPACES.length] as string,
    n: k * ROWS + i,
    v: (i % 1000) + 0.5
  }))
}

async function put (url: string, rows: readonly Row[]): Promise<void> {
  const res = await fetch(url, { method: 'PUT', headers: { 'User-Agent': 'AnyLog/1.23', type: 'json', dbms: DBMS, table: 'events' }, body: rows.map(r => JSON.stringify(r)).join('\n') })
  if (res.status !== 200) throw new Error(`PUT failed (${res.status}): ${await res.text()}`)
}

async function addToBaseline (baseline: DuckDBConnection, rows: readonly Row[]): Promise<void> {
  for (let from = 0; from < rows.length; from += 1000) {
    const values = rows.slice(from, from + 1000).map(r => `('${r.pod_name}', '${r.namespace}', ${r.n}, ${r.v})`).join(', ')
    await baseline.run(`INSERT INTO events VALUES ${values}`)
  }
}

async function networkRows (url: string, sql: string): Promise<Record<string, unknown>[]> {
  const reply = await restCommand(url, `sql ${DBMS} format=json and stat=false "${sql}"`, { headers: { destination: 'network', timeout: '60' } })
  if (reply.status !== 200) throw new Error(`${sql}: ${reply.status} ${reply.text}`)
  return (reply.json() as { Query?: Record<string, unknown>[] }).Query ?? []
}

/** The baseline's rows as the REST reply gives them (JSON numbers, sums rounded the same way). */
async function baselineRows (baseline: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await baseline.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]
}

/** Rows as comparable text: numbers (DuckDB gives BIGINT as text) as numbers, names as they are. */
const normal = (rows: readonly Record<string, unknown>[]): string =>
  JSON.stringify(rows.map(r => Object.values(r).map(v => typeof v === 'string' && !/^-?\d/.test(v) ? v : Number(v))))

/** Cores all the given processes use together over `ms` while nothing is asked of them. */
async function idleCores (pids: readonly (number | undefined)[], ms: number): Promise<number> {
  const before = pids.reduce<number>((sum, pid) => sum + processCpuMs(pid), 0)
  await new Promise(resolve => setTimeout(resolve, ms))
  return (pids.reduce<number>((sum, pid) => sum + processCpuMs(pid), 0) - before) / ms
}

/** Least-squares slope of y over x. */
function slope (xs: readonly number[], ys: readonly number[]): number {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length
  const my = ys.reduce((a, b) => a + b, 0) / ys.length
  const num = xs.reduce((sum, x, i) => sum + (x - mx) * ((ys[i] as number) - my), 0)
  const den = xs.reduce((sum, x) => sum + (x - mx) ** 2, 0)
  return den === 0 ? NaN : num / den
}

interface QueryFigures { readonly fed: number[], readonly duck: number[] }
interface StepFigures {
  readonly operators: number
  readonly convergedMs: number
  readonly queries: Map<string, QueryFigures>
  /** CPU ms per fedlake query beyond the idle background: the query node's, all operators' together. */
  readonly cpuPerQuery: { readonly query: number, readonly operators: number }
  readonly idleCores: number
  readonly queryRss: number
  readonly operatorRss: { readonly mean: number, readonly max: number }
  readonly load: number
}

const root = mkdtempSync(join(tmpdir(), 'fedlake-bench-fanout-'))
const baselineInstance = await DuckDBInstance.create(':memory:')
const baseline = await baselineInstance.connect()
await baseline.run('CREATE TABLE events (pod_name VARCHAR, namespace VARCHAR, n BIGINT, v DOUBLE)')
const query = await startFedlake(['node', '--name', 'query-1', '--roles', 'query', '--rest-port', '0', '--p2p-port', '0', '--data-dir', join(root, 'query-1')])
const url = query.ready.rest ?? ''
const operators: Child[] = []
const steps: StepFigures[] = []

async function addOperators (count: number): Promise<void> {
  while (operators.length < count) {
    const batch = Array.from({ length: Math.min(START_BATCH, count - operators.length) }, (_, b) => operators.length + b + 1)
    const started = await Promise.all(batch.map(async k => {
      const op = await startFedlake(['node', '--name', `op-${k}`, '--roles', 'operator', '--rest-port', '0', '--p2p-port', '0',
        '--data-dir', join(root, `op-${k}`), '--seeds', query.ready.p2p ?? ''], { readyTimeoutMs: 300_000 })
      const rows = rowsOf(k)
      await put(op.ready.rest ?? '', rows)
      await addToBaseline(baseline, rows)
      return op
    }))
    operators.push(...started)
  }
}

async function measureStep (size: number): Promise<StepFigures> {
  const startedAt = performance.now()
  await addOperators(size)
  await waitFor(async () => {
    // throws what it saw instead, which the timeout's message then names
    const n = Number((await networkRows(url, 'select count(*) as n from events'))[0]?.n)
    if (n !== size * ROWS) throw new Error(`count(*) ${n}, not ${size * ROWS}`)
    return true
  }, { timeoutMs: 300_000, intervalMs: 500, what: `the query node to see all ${size} operators' rows` })
  const convergedMs = performance.now() - startedAt
  for (const q of FANOUT_QUERIES) {
    const [fed, duck] = [await networkRows(url, q.sql), await baselineRows(baseline, q.sql)]
    if (normal(fed) !== normal(duck)) throw new Error(`${q.name} over ${size} operators differs from one DuckDB:\n${JSON.stringify(fed).slice(0, 400)}\n${JSON.stringify(duck).slice(0, 400)}`)
  }
  const pids = [query.proc.pid, ...operators.map(o => o.proc.pid)]
  const idle = await idleCores(pids, 3000)
  const cpuBefore = { query: processCpuMs(query.proc.pid), operators: operators.reduce((sum, o) => sum + processCpuMs(o.proc.pid), 0) }
  const queries = new Map<string, QueryFigures>()
  const measuring = performance.now()
  for (const q of FANOUT_QUERIES) {
    const [fed, duck] = await timedSideBySide(RUNS, async () => { await networkRows(url, q.sql) }, async () => { JSON.stringify(await baselineRows(baseline, q.sql)) }, WARMUP)
    queries.set(q.name, { fed, duck })
  }
  const asked = FANOUT_QUERIES.length * (RUNS + WARMUP)
  // what the processes would have used idle meanwhile is not the queries' (liveness, gossip: mostly the operators')
  const idleShare = (share: number): number => idle * share * (performance.now() - measuring)
  const cpuPerQuery = {
    query: Math.max(0, processCpuMs(query.proc.pid) - cpuBefore.query - idleShare(1 / pids.length)) / asked,
    operators: Math.max(0, operators.reduce((sum, o) => sum + processCpuMs(o.proc.pid), 0) - cpuBefore.operators - idleShare(1 - 1 / pids.length)) / asked
  }
  const operatorRss = operators.map(o => rssMb(o.proc.pid))
  return {
    operators: size,
    convergedMs,
    queries,
    cpuPerQuery,
    idleCores: idle,
    queryRss: rssMb(query.proc.pid),
    operatorRss: { mean: operatorRss.reduce((a, b) => a + b, 0) / operatorRss.length, max: Math.max(...operatorRss) },
    load: loadavg()[0] ?? NaN
  }
}

function header (): string {
  const head = FANOUT_QUERIES.map(q => `${q.name} p50 | p95 | one DuckDB p50`).join(' | ')
  return [`fan-out: ${ROWS.toLocaleString('en')} rows per operator, ${RUNS} runs per query and size, alternating with one DuckDB over the union (this process)`, '',
    `| operators | ${head} | query node CPU / query | operators' CPU / query (beyond idle) | idle CPU, all processes | query node RSS | operator RSS mean (max) | load avg (1 min) | up and converged |`,
    '|---'.repeat(8 + 3 * FANOUT_QUERIES.length) + '|'].join('\n') + '\n'
}

/** One step's row of the table, printed as soon as it is measured (a later step may not finish on a loaded machine). */
function row (s: StepFigures): string {
  const cells = FANOUT_QUERIES.map(q => {
    const f = s.queries.get(q.name) as QueryFigures
    return `${fmt(percentile(f.fed, 0.5))} ms | ${fmt(percentile(f.fed, 0.95))} ms | ${fmt(percentile(f.duck, 0.5))} ms`
  }).join(' | ')
  return `| ${s.operators} | ${cells} | ${fmt(s.cpuPerQuery.query)} ms | ${fmt(s.cpuPerQuery.operators)} ms | ${s.idleCores.toFixed(2)} cores | ${s.queryRss} MB | ${Math.round(s.operatorRss.mean)} (${s.operatorRss.max}) MB | ${s.load.toFixed(1)} | ${(s.convergedMs / 1000).toFixed(1)} s |\n`
}

function report (): void {
  const lines = ['']
  const xs = steps.map(s => s.operators)
  for (const q of FANOUT_QUERIES) {
    const p50s = steps.map(s => percentile((s.queries.get(q.name) as QueryFigures).fed, 0.5))
    lines.push(`${q.name}: +${fmt(slope(xs, p50s))} ms of p50 per extra operator (least squares over ${xs.join(', ')})`)
  }
  lines.push(`query node CPU: +${fmt(slope(xs, steps.map(s => s.cpuPerQuery.query)))} ms per query per extra operator; operators' CPU: +${fmt(slope(xs, steps.map(s => s.cpuPerQuery.operators)))} ms`)
  lines.push(`load average (1, 5 min) at the end: ${loadavg().slice(0, 2).map(l => l.toFixed(1)).join(', ')} on ${availableParallelism()} cores`)
  process.stdout.write(lines.join('\n') + '\n')
}

try {
  process.stdout.write(header())
  for (const size of SIZES) {
    const step = await measureStep(size)
    steps.push(step)
    process.stdout.write(row(step))
  }
  report()
} finally {
  await Promise.all([query, ...operators].map(async c => await c.stop()))
  baseline.closeSync()
  baselineInstance.closeSync()
  rmSync(root, { recursive: true, force: true })
}
