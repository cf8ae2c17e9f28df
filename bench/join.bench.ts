/**
 * npm run bench:join — joins of logs with a small lookup table, over the network, with key shipping, without it,
 * and on one DuckDB, side by side in one run.
 *
 * Three operator processes each hold BENCH_ROWS log rows (default 300,000; built straight into their DuckDB files,
 * 40 pods, 60% of the rows on 5 of them); the first also holds `pods` (40 rows: team, tier). One DuckDB in this
 * process holds the same rows as the baseline. For each query: p50 of fedlake with key shipping (the default),
 * of fedlake with `key_shipping = false` (the big side pulled whole after its own filters), and of the baseline
 * (DuckDB's query plus JSON of its rows), run in turn so all see the same machine, and the ratios.
 * BENCH_RUNS sets the runs per query (default 15).
 */
import '@fedlake/core/polyfills'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import { waitFor } from '@fedlake/core'
import type { TableSchema } from '@fedlake/core'
import { createKubeArmorMappings } from '@fedlake/operator'
import { restCommand, startFedlake } from '../test/helpers/processes.js'

const ROWS = Number(process.env.BENCH_ROWS ?? 300_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 15)
const WARMUP = 3
const PODS = 40

const QUERIES: readonly { name: string, sql: string }[] = [
  { name: 'join, filter on the lookup table (4 pods)', sql: 'select p.team, count(*) as n, max(l.pid) as m from logs l join pods p using (pod_name) where p.tier = 1 group by p.team' },
  { name: 'IN (lookup subquery) (4 pods)', sql: 'select count(*) as n, max(pid) as m from logs where pod_name in (select pod_name from pods where tier = 1)' },
  { name: 'join, every pod (no filter: not cut)', sql: 'select p.team, count(*) as n from logs l join pods p using (pod_name) group by p.team' }
]

/** Log rows with the columns the queries read (the others NULL): 40 pods, 60% of the rows on the first 5. */
function logsSql (rows: number, seed: number): string {
  return `INSERT INTO logs (pod_name, pid, operation, "timestamp") SELECT
    'pod-' || CASE WHEN hash(i, ${seed}, 1) % 10 < 6 THEN hash(i, ${seed}, 2) % 5 ELSE hash(i, ${seed}, 3) % ${PODS} END,
    (hash(i, ${seed}, 4) % 50000)::INTEGER, 'File', TIMESTAMP '2026-03-01' + INTERVAL (i) SECOND
    FROM range(${rows}) t(i)`
}

/** Tier 1: pods 5..8, outside the heavy five (a selective filter). */
const PODS_TABLE = [
  'CREATE TABLE pods (pod_name VARCHAR, team VARCHAR, tier BIGINT)',
  `INSERT INTO pods SELECT 'pod-' || i, 'team-' || (i % 4), CASE WHEN i BETWEEN 5 AND 8 THEN 1 ELSE 2 END FROM range(${PODS}) t(i)`
]

function percentile (values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN
}

const fmt = (ms: number): string => ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)

async function build (file: string, schema: TableSchema, seed: number, withPods: boolean): Promise<void> {
  const instance = await DuckDBInstance.create(file)
  const c = await instance.connect()
  await fill(c, schema, seed, withPods)
  await c.run('CHECKPOINT')
  c.closeSync()
  instance.closeSync()
}

async function fill (c: DuckDBConnection, schema: TableSchema, seed: number, withPods: boolean): Promise<void> {
  await c.run(`CREATE TABLE IF NOT EXISTS logs (${schema.columns.map(col => `"${col.name}" ${col.type}`).join(', ')})`)
  await c.run(logsSql(ROWS, seed))
  if (withPods) for (const sql of PODS_TABLE) await c.run(sql)
}

const root = mkdtempSync(join(tmpdir(), 'fedlake-bench-join-'))
const schema = (createKubeArmorMappings({ dbms: 'kubearmor' }).byStream.logs[0] as { schema: TableSchema }).schema
const baselineInstance = await DuckDBInstance.create(':memory:')
const baseline = await baselineInstance.connect()
process.stdout.write(`building 3 × ${ROWS.toLocaleString('en')} log rows and ${PODS} pods on op-1...\n`)
for (let op = 0; op < 3; op++) {
  const dir = join(root, `op-${op + 1}`, 'duckdb')
  mkdirSync(dir, { recursive: true })
  await build(join(dir, 'kubearmor.duckdb'), schema, op + 1, op === 0)
  await fill(baseline, schema, op + 1, op === 0)
}
const query = await startFedlake(['node', '--name', 'query-1', '--roles', 'query', '--rest-port', '0', '--p2p-port', '0', '--data-dir', join(root, 'query-1')])
const operators = await Promise.all([0, 1, 2].map(async op => await startFedlake([
  'node', '--name', `op-${op + 1}`, '--roles', 'operator', '--rest-port', '0', '--p2p-port', '0', '--data-dir', join(root, `op-${op + 1}`),
  '--cluster', `cluster-${op + 1}`, '--seeds', query.ready.p2p ?? ''])))
const url = query.ready.rest ?? ''
const ask = async (sql: string, options = ''): Promise<string> => {
  const reply = await restCommand(url, `sql kubearmor ${options}format = json and stat = false "${sql}"`, { headers: { destination: 'network', timeout: '120' } })
  if (reply.status !== 200) throw new Error(`${sql}: ${reply.text}`)
  return reply.text
}
try {
  await waitFor(async () => {
    const [logs, pods] = await Promise.all([ask('select count(*) as n from logs'), ask('select count(*) as n from pods')]).catch(() => ['', ''])
    return logs.includes(`"n":${3 * ROWS}`) && pods.includes(`"n":${PODS}`)
  }, { timeoutMs: 60_000, intervalMs: 250, what: 'the query node to see every operator\'s rows' })
  const lines = [`fedlake (3 operators × ${ROWS.toLocaleString('en')} log rows, pods on op-1) vs one DuckDB, ${RUNS} runs each, p50`, '',
    '| query | key shipping | pulled whole | one DuckDB | whole / shipping | shipping / DuckDB |', '|---|---|---|---|---|---|']
  for (const q of QUERIES) {
    const variants: (() => Promise<unknown>)[] = [
      async () => await ask(q.sql),
      async () => await ask(q.sql, 'key_shipping = false and '),
      async () => { JSON.stringify((await baseline.runAndReadAll(q.sql)).getRowObjectsJson()) }
    ]
    const times: number[][] = variants.map(() => [])
    for (let i = 0; i < WARMUP + RUNS; i++) {
      for (const [k, run] of variants.entries()) {
        const started = performance.now()
        await run()
        if (i >= WARMUP) times[k]?.push(performance.now() - started)
      }
    }
    const [shipped, whole, duck] = times.map(t => percentile(t, 0.5)) as [number, number, number]
    lines.push(`| ${q.name} | ${fmt(shipped)} ms | ${fmt(whole)} ms | ${fmt(duck)} ms | ${(whole / shipped).toFixed(1)}× | ${(shipped / duck).toFixed(1)} |`)
  }
  lines.push('', `load average (1, 5 min) at the end: ${loadavg().slice(0, 2).map(l => l.toFixed(1)).join(', ')} on ${availableParallelism()} cores`)
  process.stdout.write(lines.join('\n') + '\n')
} finally {
  await Promise.all([query, ...operators].map(async c => await c.stop()))
  baseline.closeSync()
  baselineInstance.closeSync()
  rmSync(root, { recursive: true, force: true })
}
