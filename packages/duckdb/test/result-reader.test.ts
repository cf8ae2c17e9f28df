import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import { jsonTextEncoders } from '@fedlake/sql'
import type { ResultBatch } from '@fedlake/sql'
import { createResultReader, transferablesOf } from '../src/index.js'

let instance: DuckDBInstance
let connection: DuckDBConnection

before(async () => {
  instance = await DuckDBInstance.create(':memory:')
  connection = await instance.connect()
})
after(() => { connection.closeSync(); instance.closeSync() })

async function readAll (sql: string): Promise<{ batches: ResultBatch[], fields: { name: string, type: string }[] }> {
  const result = await connection.stream(sql)
  const reader = createResultReader(result.columnNames(), result.columnTypes())
  const batches: ResultBatch[] = []
  for (;;) {
    const chunk = await result.fetchChunk()
    if (chunk === null || chunk.rowCount === 0) break
    batches.push(reader.read(chunk))
  }
  return { batches, fields: [...reader.fields] }
}

describe('DuckDB result reader', () => {
  it('reads strings exactly: short and long, repeated, unicode, empty, NULL, across chunks', async () => {
    const sql = `SELECT CASE WHEN i % 7 = 0 THEN NULL
      WHEN i % 5 = 0 THEN 'héllo wörld ✓ ' || (i % 3)
      WHEN i % 3 = 0 THEN repeat('long-value-', 3) || (i % 4)
      WHEN i % 11 = 0 THEN ''
      ELSE 'v' || (i % 13) END AS s FROM range(5000) t(i) ORDER BY i`
    const { batches } = await readAll(sql)
    const expected = (await connection.runAndReadAll(sql)).getRows().map(r => r[0] as string | null)
    const got = batches.flatMap(b => b.vectors[0]?.values as (string | null)[])
    assert.equal(batches.length, 3, '5000 rows come in 2048-row chunks')
    assert.deepEqual(got, expected)
    for (const batch of batches) {
      const v = batch.vectors[0]
      assert.ok(v?.kind === 'text')
      for (let r = 0; r < batch.rowCount; r++) assert.equal(v.valid?.[r] === 0, v.values[r] === null)
    }
  })

  it('carries each type in its vector kind, with DuckDB\'s own text for the ones JSON cannot hold', async () => {
    const sql = `SELECT true AS b, 7::TINYINT AS t, -3::INTEGER AS i, 9007199254740993::BIGINT AS big, 2.5::DOUBLE AS d,
      DATE '2024-02-29' AS dt, TIMESTAMP '2024-01-02 03:04:05.123456' AS ts, 170141183460469231731687303715884105727::HUGEINT AS h,
      12345678901234567.891::DECIMAL(38,3) AS dec, INTERVAL '1 day 2 hours' AS iv, '6ba7b810-9dad-11d1-80b4-00c04fd430c8'::UUID AS u,
      [1, NULL, 3] AS l, {'a': 1, 'b': 'x'} AS s, NULL::VARCHAR AS n`
    const { batches, fields } = await readAll(sql)
    const batch = batches[0] as ResultBatch
    assert.deepEqual(batch.vectors.map(v => v.kind), ['bool', 'f64', 'f64', 'i64', 'f64', 'f64', 'i64', 'text', 'text', 'text', 'text', 'json', 'json', 'text'])
    const casts = (await connection.runAndReadAll(`SELECT h::VARCHAR, dec::VARCHAR, iv::VARCHAR, u::VARCHAR FROM (${sql})`)).getRows()[0]
    assert.deepEqual([7, 8, 9, 10].map(c => (batch.vectors[c]?.values as string[])[0]), casts)
    const encoders = jsonTextEncoders(fields)
    const row = JSON.parse(`{${fields.map((f, c) => `${JSON.stringify(f.name)}:${(encoders[c] as (v: never, r: number) => string)(batch.vectors[c] as never, 0)}`).join(',')}}`) as Record<string, unknown>
    assert.deepEqual(row, {
      b: true, t: 7, i: -3, big: '9007199254740993', d: 2.5, dt: '2024-02-29', ts: '2024-01-02 03:04:05.123456',
      h: '170141183460469231731687303715884105727', dec: '12345678901234567.891', iv: '1 day 02:00:00',
      u: '6ba7b810-9dad-11d1-80b4-00c04fd430c8', l: [1, null, 3], s: { a: 1, b: 'x' }, n: null
    })
  })

  it('gives every typed array its own buffer, so a batch can be transferred to another thread', async () => {
    const { batches } = await readAll('SELECT i::BIGINT AS a, i::DOUBLE AS b, i % 2 = 0 AS c, CASE WHEN i % 3 = 0 THEN NULL ELSE i END AS d FROM range(3000) t(i)')
    const buffers = batches.flatMap(transferablesOf)
    assert.equal(new Set(buffers).size, buffers.length, 'no two vectors share a buffer')
    const { port1, port2 } = new MessageChannel()
    const received = new Promise<ResultBatch>(resolve => { port2.once('message', resolve) })
    port1.postMessage(batches[0], transferablesOf(batches[0] as ResultBatch))
    const copy = await received
    port1.close()
    assert.equal(copy.rowCount, 2048)
    assert.equal((copy.vectors[0]?.values as BigInt64Array)[2047], 2047n)
    assert.equal(copy.vectors[3]?.valid?.[3], 0)
  })
})
