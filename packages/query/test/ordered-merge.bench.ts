/**
 * What a big ORDER BY costs the query node, in one process (no network, no JSON), side by side in one run:
 *
 * 1. The ordered merge (src/network/ordered-merge.ts) of OPERATORS sorted streams of ROWS rows in all (a BIGINT
 *    timestamp key, a DOUBLE key, ~560 bytes of text), against the merge DuckDB (createMergeEngine, one thread)
 *    staging the same batches and sorting them in SQL, each at MEMORY MiB: time, and this process's RSS growth.
 * 2. The merge DuckDB's limits: a sort, a window, DISTINCT ... ORDER BY and DISTINCT over those rows, with one
 *    thread and with two, at 64 and 128 MiB (the smallest and the default budget): done, or out of memory.
 *
 * node --conditions=source --import tsx packages/query/test/ordered-merge.bench.ts [ROWS=300000] [OPERATORS=2] [MEMORY=128]
 * (BENCH_MATRIX=0 skips part 2.)
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMergeEngine } from '@fedlake/duckdb'
import type { SourcedBatch } from '@fedlake/duckdb'
import type { ResultBatch, ResultField } from '@fedlake/sql'
import { orderedMergeStream } from '../src/network/ordered-merge.js'
import type { OrderKey } from '../src/index.js'

const ROWS = Number(process.argv[2] ?? 300_000)
const OPERATORS = Number(process.argv[3] ?? 2)
const MEMORY = Number(process.argv[4] ?? 128)
const BATCH = 2048

const FIELDS: ResultField[] = [{ name: '__c0', type: 'BIGINT' }, { name: '__c1', type: 'TIMESTAMP' }, { name: '__c2', type: 'DOUBLE' }, { name: '__c3', type: 'VARCHAR' }]
/** ORDER BY ts DESC, pid, id */
const KEYS: OrderKey[] = [{ column: 1, descending: true, nullsFirst: false }, { column: 2, descending: false, nullsFirst: false }, { column: 0, descending: false, nullsFirst: false }]
const ORDER_SQL = 'SELECT __c0 AS id, __c1 AS ts, __c2 AS pid, __c3 AS payload FROM __p0 ORDER BY 2 DESC, 3, 1'

function rssMb (): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))
  return m === null ? NaN : Number(m[1]) / 1024
}

/** Operator `op`'s rows (every OPERATORS-th id), sorted by KEYS, in batches as an operator sends them. */
function * operatorBatches (op: number): Generator<ResultBatch> {
  const ids = Array.from({ length: Math.ceil((ROWS - op) / OPERATORS) }, (_, k) => op + k * OPERATORS)
  const ts = (id: number): bigint => 1_780_000_000_000_000n - BigInt((id * 2654435761) % 86_400_000) * 1000n
  const pid = (id: number): number => (id * 40503) % 50_000
  ids.sort((a, b) => ts(b) > ts(a) ? 1 : ts(b) < ts(a) ? -1 : pid(a) - pid(b) || a - b)
  for (let at = 0; at < ids.length; at += BATCH) {
    const slice = ids.slice(at, at + BATCH)
    yield {
      rowCount: slice.length,
      vectors: [
        { kind: 'i64', values: BigInt64Array.from(slice, BigInt), valid: null },
        { kind: 'i64', values: BigInt64Array.from(slice, ts), valid: null },
        { kind: 'f64', values: Float64Array.from(slice, pid), valid: null },
        { kind: 'text', values: slice.map(id => `/usr/bin/process-${id % 977} ${'abcdefghij'.repeat(54)}`), valid: null }
      ]
    }
  }
}

async function * tagged (source: number): AsyncGenerator<SourcedBatch> {
  for (const batch of operatorBatches(source)) yield { source, batch }
}

async function * plain (op: number): AsyncGenerator<ResultBatch> {
  yield * operatorBatches(op)
}

interface Run { readonly ms: number, readonly rows: number, readonly rssGrowthMb: number, readonly error?: string }

/** Runs `work` (which returns the rows it read), sampling this process's RSS. */
async function measured (work: () => Promise<number>): Promise<Run> {
  global.gc?.()
  const before = rssMb()
  let peak = before
  const sampler = setInterval(() => { peak = Math.max(peak, rssMb()) }, 20)
  const started = performance.now()
  try {
    const rows = await work()
    return { ms: performance.now() - started, rows, rssGrowthMb: peak - before }
  } catch (err) {
    return { ms: performance.now() - started, rows: 0, rssGrowthMb: peak - before, error: (err as Error).message.split('\n')[0] }
  } finally {
    clearInterval(sampler)
  }
}

async function mergeEngineRun (sql: string, memoryMb: number, threads: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'fedlake-bench-merge-'))
  const engine = createMergeEngine({ memoryLimit: `${memoryMb}MiB`, threads, tempDirectory: join(dir, 'merge.tmp') })
  await engine.start()
  try {
    return await measured(async () => {
      const batches = (async function * () { for (let op = 0; op < OPERATORS; op++) yield * tagged(op) })()
      let rows = 0
      for await (const batch of await engine.run([{ name: '__p0', fields: FIELDS, batches }], sql)) rows += batch.rowCount
      return rows
    })
  } finally {
    await engine.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function orderedRun (): Promise<Run> {
  return await measured(async () => {
    const stream = orderedMergeStream(FIELDS, FIELDS, Array.from({ length: OPERATORS }, (_, op) => plain(op)), { keys: KEYS, columns: FIELDS.length, offset: 0, limit: null, cancel: () => {} })
    let rows = 0
    for await (const batch of stream) rows += batch.rowCount
    return rows
  })
}

const show = (r: Run): string => r.error === undefined ? `${(r.ms / 1000).toFixed(2)} s, ${r.rows.toLocaleString('en')} rows, RSS +${r.rssGrowthMb.toFixed(0)} MB` : /out of memory/i.test(r.error) ? `**out of memory** after ${(r.ms / 1000).toFixed(2)} s` : `failed: ${r.error.slice(0, 120)}`

const lines = [`${ROWS.toLocaleString('en')} rows (~600 bytes each) from ${OPERATORS} operators, ORDER BY ts DESC, pid, id; merge DuckDB at ${MEMORY} MiB, one thread`, '',
  '| run | ordered merge (query node, no DuckDB) | merge DuckDB: stage + sort | DuckDB / ordered merge |', '|---|---|---|---|']
for (let run = 1; run <= 2; run++) {
  const ordered = await orderedRun()
  const sql = await mergeEngineRun(ORDER_SQL, MEMORY, 1)
  lines.push(`| ${run} | ${show(ordered)} | ${show(sql)} | ${sql.error === undefined ? (sql.ms / ordered.ms).toFixed(1) : '—'} |`)
}
process.stdout.write(lines.join('\n') + '\n\n')

if (process.env.BENCH_MATRIX !== '0') {
  const shapes: ReadonlyArray<readonly [string, string]> = [
    ['ORDER BY', ORDER_SQL],
    ['window (row_number() OVER (ORDER BY ts, id))', 'SELECT __c0 AS id, __c3 AS payload, row_number() OVER (ORDER BY __c1, __c0) AS rn FROM __p0'],
    ['DISTINCT ... ORDER BY', 'SELECT DISTINCT __c3 AS payload, __c0 AS id FROM __p0 ORDER BY 1, 2'],
    ['DISTINCT', 'SELECT DISTINCT __c3 AS payload, __c0 AS id FROM __p0']
  ]
  const matrix = ['The merge DuckDB over the same rows (staged, then the statement):', '', '| statement | memory_limit | 1 thread | 2 threads |', '|---|---|---|---|']
  for (const [name, sql] of shapes) {
    for (const memory of [64, 128]) {
      const one = await mergeEngineRun(sql, memory, 1)
      const two = await mergeEngineRun(sql, memory, 2)
      matrix.push(`| ${name} | ${memory} MiB | ${show(one)} | ${show(two)} |`)
    }
  }
  process.stdout.write(matrix.join('\n') + '\n\n')
}
process.stdout.write(`load average (1, 5 min): ${loadavg().slice(0, 2).map(l => l.toFixed(1)).join(', ')} on ${availableParallelism()} cores\n`)
