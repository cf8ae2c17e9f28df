import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isFedlakeError } from '@fedlake/core'
import type { TableSchema } from '@fedlake/core'
import { batchFromValues, jsonValueDecoders } from '@fedlake/sql'
import type { BatchValue, ResultField, ResultStream } from '@fedlake/sql'
import { createMergeEngine } from '../src/index.js'
import type { SourcedBatch } from '../src/index.js'

const engine = createMergeEngine({ memoryLimit: '64MiB' })
before(async () => { await engine.start() })
after(async () => { await engine.stop() })

async function * batches (fields: ResultField[], ...parts: BatchValue[][][]): AsyncGenerator<SourcedBatch> {
  let source = 0
  for (const rows of parts) {
    await new Promise(resolve => setImmediate(resolve))
    yield { source: source++, batch: batchFromValues(fields, rows) }
  }
}

async function rowsOf (stream: ResultStream): Promise<unknown[][]> {
  const decoders = jsonValueDecoders(stream.fields)
  const rows: unknown[][] = []
  for await (const batch of stream) for (let r = 0; r < batch.rowCount; r++) rows.push(decoders.map((d, c) => d(batch.vectors[c] as never, r)))
  return rows
}

const logs: TableSchema = { dbms: 'kubearmor', table: 'logs', columns: [{ name: 'pod_name', type: 'VARCHAR' }, { name: 'pid', type: 'BIGINT' }, { name: 'ts', type: 'TIMESTAMP' }] }

describe('merge engine', () => {
  it('describes a query over empty copies of its tables, as one DuckDB names and types its result', async () => {
    const fields = await engine.describe('kubearmor', [logs], 'select pod_name, count(*), avg(pid), max(ts) as latest from logs group by all')
    assert.deepEqual(fields, [
      { name: 'pod_name', type: 'VARCHAR' }, { name: 'count_star()', type: 'BIGINT' }, { name: 'avg(pid)', type: 'DOUBLE' }, { name: 'latest', type: 'TIMESTAMP' }
    ])
    await assert.rejects(engine.describe('kubearmor', [logs], 'select nosuch from logs'), (err: unknown) => isFedlakeError(err, 'SQL_UNKNOWN_COLUMN'))
    const wider: TableSchema = { ...logs, columns: [...logs.columns, { name: 'extra', type: 'INTEGER' }] }
    assert.deepEqual(await engine.describe('kubearmor', [wider], 'select extra from logs'), [{ name: 'extra', type: 'INTEGER' }], 'a changed schema is picked up')
  })

  it('stages partials from several streams and merges them with SQL, types kept exactly', async () => {
    const fields: ResultField[] = [{ name: 'pod_name', type: 'VARCHAR' }, { name: '__n', type: 'BIGINT' }, { name: '__s', type: 'HUGEINT' }, { name: '__d', type: 'DECIMAL(38,3)' }, { name: '__l', type: 'INTEGER[]' }]
    const stream = await engine.run([{
      name: '__p0',
      fields,
      batches: batches(fields,
        [['a', 2, '170141183460469231731687303715884105000', '1.500', [1]], ['b', 1, '5', '0.001', null]],
        [],
        [['a', 3, '700', '2.250', [2, 3]], [null, 4, null, null, []]])
    }], 'select pod_name, sum(__n) as n, sum(__s) as s, sum(__d) as d, flatten(list(__l)) as l from __p0 group by pod_name order by pod_name nulls last')
    assert.deepEqual(stream.fields.map(f => f.type), ['VARCHAR', 'HUGEINT', 'HUGEINT', 'DECIMAL(38,3)', 'INTEGER[]'])
    assert.deepEqual(await rowsOf(stream), [
      ['a', 5, '170141183460469231731687303715884105700', 3.75, [1, 2, 3]],
      ['b', 1, 5, 0.001, []],
      [null, 4, null, null, []]
    ])
  })

  it('stages partials too big to write inline in a table, with the same answer', async () => {
    const f: ResultField[] = [{ name: 'k', type: 'VARCHAR' }, { name: 'n', type: 'HUGEINT' }, { name: 'ts', type: 'TIMESTAMP' }]
    const rows = (from: number): BatchValue[][] => Array.from({ length: 3000 }, (_, i) => [`k${(from + i) % 7}`, String(BigInt(from + i) * 10n ** 20n), 1_700_000_000_000_000 + from + i])
    const stream = await engine.run([{ name: '__p0', fields: f, batches: batches(f, rows(0), rows(3000)), excluded: () => new Set([1]) }],
      'select count(*) as c, sum(n) as s, min(ts) as first from __p0')
    assert.deepEqual(await rowsOf(stream), [[3000, String((2999n * 3000n / 2n) * 10n ** 20n), '2023-11-14 22:13:20.000000']])
  })

  it('stages several fragments too big to write inline (a holistic aggregate\'s value counts beside the partials)', async () => {
    const f: ResultField[] = [{ name: 'k', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }]
    const rows = (from: number): BatchValue[][] => Array.from({ length: 3000 }, (_, i) => [`k${(from + i) % 7}`, from + i])
    // the second fragment's batches arrive while the first is being appended
    async function * slowly (parts: BatchValue[][][]): AsyncGenerator<SourcedBatch> {
      for (const [source, part] of parts.entries()) {
        await new Promise(resolve => setTimeout(resolve, 30))
        yield { source, batch: batchFromValues(f, part) }
      }
    }
    const stream = await engine.run([
      { name: '__p0', fields: f, batches: slowly([rows(0), rows(3000), []]) },
      { name: '__p1', fields: f, batches: batches(f, rows(6000), rows(9000)) }
    ], 'select (select count(*) from __p0) as a, (select sum(n) from __p1) as b')
    assert.deepEqual(await rowsOf(stream), [[6000, (6000 + 11999) * 6000 / 2]])
  })

  it('merges several fragments, staged or inline, also under a WITH RECURSIVE merge statement', async () => {
    const f: ResultField[] = [{ name: 'k', type: 'INTEGER' }, { name: 'v', type: 'VARCHAR' }]
    const big = (from: number): BatchValue[][] => Array.from({ length: 2500 }, (_, i) => [(from + i) % 10, `v${from + i}`])
    const join = 'select a.k, count(*) as n from __p0 a join __p1 b on a.k = b.k group by a.k order by a.k'
    const staged = await engine.run([
      { name: '__p0', fields: f, batches: batches(f, big(0), big(2500)) },
      { name: '__p1', fields: f, batches: batches(f, [[1, 'x'], [2, 'y']], [[2, 'z']]) }
    ], join)
    assert.deepEqual(await rowsOf(staged), [[1, 500], [2, 1000]])
    const recursive = await engine.run([
      { name: '__p0', fields: f, batches: batches(f, [[1, 'x'], [3, 'y']]) },
      { name: '__p1', fields: f, batches: batches(f, [[2, 'z']]) }
    ], 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 4) SELECT r.n, count(a.k) + count(b.k) AS c FROM r LEFT JOIN __p0 a ON a.k = r.n LEFT JOIN __p1 b ON b.k = r.n GROUP BY r.n ORDER BY r.n')
    assert.deepEqual(await rowsOf(recursive), [[1, 1], [2, 1], [3, 1], [4, 0]])
  })

  it('leaves out the rows of sources it is told to exclude', async () => {
    const f: ResultField[] = [{ name: 'x', type: 'INTEGER' }]
    const stream = await engine.run([{ name: '__p0', fields: f, batches: batches(f, [[1], [2]], [[10]], [[100]]), excluded: () => new Set([1]) }], 'select sum(x) from __p0')
    assert.deepEqual(await rowsOf(stream), [[103]])
  })

  it('keeps concurrent runs apart and refuses what the operators are refused', async () => {
    const f: ResultField[] = [{ name: 'x', type: 'INTEGER' }]
    const [one, two] = await Promise.all([
      engine.run([{ name: '__p0', fields: f, batches: batches(f, [[1], [2]]) }], 'select sum(x) from __p0'),
      engine.run([{ name: '__p0', fields: f, batches: batches(f, [[10]]) }], 'select sum(x) from __p0')
    ])
    assert.deepEqual([await rowsOf(one as ResultStream), await rowsOf(two as ResultStream)], [[[3]], [[10]]])
    await assert.rejects(async () => await rowsOf(await engine.run([], "select * from read_csv('/etc/passwd')")), (err: unknown) => isFedlakeError(err))
  })
})
