/**
 * The query node's merge of sorted operator streams against DuckDB's own ORDER BY: rows of edge values (NULLs,
 * NaN, ±0, ±infinity, strings that order differently in UTF-16 and UTF-8, timestamps and dates at ±infinity)
 * spread over operators, each operator's rows sorted by DuckDB, merged, and compared with one DuckDB sorting
 * the union, for every direction and NULL order. A unique last key makes the order total, so positions compare.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import { createResultReader } from '@fedlake/duckdb'
import type { ResultBatch, ResultField } from '@fedlake/sql'
import { orderedMergeStream } from '../src/network/ordered-merge.js'
import { compareCodePoints, uncomparableKey } from '../src/network/row-order.js'
import type { OrderKey } from '../src/index.js'

const OPERATORS = 3
const ROWS = 3000

const COLUMNS = [
  ['d', 'DOUBLE', "(['nan', 'inf', '-inf', '0', '-0', '1.5', '-2.25', '1e300'])[1 + ({h} % 8)]::DOUBLE"],
  ['s', 'VARCHAR', "(['', 'a', 'B', 'a' || chr(0), 'ab', 'é', chr(65535), '😀', '😀a', 'Z'])[1 + ({h} % 10)]"],
  ['t', 'TIMESTAMP', "(['infinity', '-infinity', '2026-03-01 10:00:00', '2026-03-01 10:00:00.000001', '1969-12-31 23:59:59'])[1 + ({h} % 5)]::TIMESTAMP"],
  ['dt', 'DATE', "(['infinity', '-infinity', '2026-03-01', '1900-01-01'])[1 + ({h} % 4)]::DATE"],
  ['b', 'BOOLEAN', '({h} % 2) = 0'],
  ['i', 'INTEGER', '({h} % 7)::INTEGER - 3'],
  ['n', 'BIGINT', '({h} % 5)::BIGINT * 9007199254740993']
] as const

describe('ordered merge of sorted operator streams', () => {
  let instance: DuckDBInstance
  let c: DuckDBConnection
  before(async () => {
    instance = await DuckDBInstance.create(':memory:', { threads: '1' })
    c = await instance.connect()
    // {h}: a hash per row and column, so the columns vary independently; NULLs one row in 9 per column
    const select = COLUMNS.map(([name, , expr], k) => `CASE WHEN hash(id, ${k}) % 9 = 0::UBIGINT THEN NULL ELSE ${expr.replaceAll('{h}', `(hash(id, ${k} + 100) % 1000000)::BIGINT`)} END AS ${name}`)
    await c.run(`CREATE TABLE rows AS SELECT id, (id % ${OPERATORS})::INTEGER AS op, ${select.join(', ')} FROM range(${ROWS}) r(id)`)
  })
  after(() => { c.closeSync(); instance.closeSync() })

  /** Each operator's rows as DuckDB sorts them, read into batches as an operator sends them. */
  const operatorStreams = async (select: string, orderBy: string): Promise<{ fields: readonly ResultField[], streams: ResultBatch[][] }> => {
    const streams: ResultBatch[][] = []
    let fields: readonly ResultField[] = []
    for (let op = 0; op < OPERATORS; op++) {
      const result = await c.stream(`SELECT ${select} FROM rows WHERE op = ${op} ORDER BY ${orderBy}`)
      const reader = createResultReader(result.columnNames(), result.columnTypes())
      fields = reader.fields
      const batches: ResultBatch[] = []
      for (let chunk = await result.fetchChunk(); chunk !== null && chunk.rowCount > 0; chunk = await result.fetchChunk()) batches.push(reader.read(chunk))
      streams.push(batches)
    }
    return { fields, streams }
  }

  const merged = async (fields: readonly ResultField[], streams: readonly ResultBatch[][], keys: readonly OrderKey[], offset = 0, limit: number | null = null): Promise<bigint[]> => {
    const sources = streams.map(list => (async function * () { yield * list })())
    const stream = orderedMergeStream(fields, fields.slice(0, 1), sources, { keys, columns: 1, offset, limit, cancel: () => {} })
    const ids: bigint[] = []
    for await (const batch of stream) {
      assert.equal(batch.vectors.length, 1, 'hidden key columns are dropped')
      ids.push(...(batch.vectors[0] as { values: BigInt64Array }).values)
    }
    return ids
  }

  const reference = async (orderBy: string, offset = 0, limit: number | null = null): Promise<bigint[]> =>
    (await c.runAndReadAll(`SELECT id FROM rows ORDER BY ${orderBy}${limit === null ? '' : ` LIMIT ${limit}`} OFFSET ${offset}`)).getRows().map(r => r[0] as bigint)

  for (const [name, type] of COLUMNS) {
    for (const descending of [false, true]) {
      for (const nulls of ['', 'NULLS FIRST', 'NULLS LAST']) {
        const term = `${name}${descending ? ' DESC' : ''}${nulls === '' ? '' : ` ${nulls}`}`
        it(`${type}: ORDER BY ${term}, id`, async () => {
          const orderBy = `${term}, id`
          const { fields, streams } = await operatorStreams(`id, ${name}`, orderBy)
          assert.equal(uncomparableKey(fields, [{ column: 1, descending, nullsFirst: false }]), undefined)
          const keys: OrderKey[] = [{ column: 1, descending, nullsFirst: nulls === 'NULLS FIRST' }, { column: 0, descending: false, nullsFirst: false }]
          assert.deepEqual(await merged(fields, streams, keys), await reference(orderBy))
        })
      }
    }
  }

  it('several keys, OFFSET and LIMIT', async () => {
    const orderBy = 's DESC NULLS FIRST, d, t DESC, id DESC'
    const { fields, streams } = await operatorStreams('id, s, d, t', orderBy)
    const keys: OrderKey[] = [
      { column: 1, descending: true, nullsFirst: true }, { column: 2, descending: false, nullsFirst: false },
      { column: 3, descending: true, nullsFirst: false }, { column: 0, descending: true, nullsFirst: false }
    ]
    assert.deepEqual(await merged(fields, streams, keys), await reference(orderBy))
    assert.deepEqual(await merged(fields, streams, keys, 2500, 300), await reference(orderBy, 2500, 300))
    assert.deepEqual(await merged(fields, streams, keys, 0, 5), await reference(orderBy, 0, 5))
    assert.deepEqual(await merged(fields, streams, keys, ROWS + 1, 10), [])
  })

  it('reads no further than the LIMIT needs, and cancels the operators then', async () => {
    const { fields, streams } = await operatorStreams('id, i', 'i, id')
    let pulled = 0
    let cancelled = 0
    const sources = streams.map(list => (async function * () { for (const b of list) { pulled++; yield b } })())
    const stream = orderedMergeStream(fields, fields, sources, { keys: [{ column: 1, descending: false, nullsFirst: false }, { column: 0, descending: false, nullsFirst: false }], columns: 2, offset: 0, limit: 10, cancel: () => { cancelled++ } })
    let rows = 0
    for await (const batch of stream) rows += batch.rowCount
    assert.equal(rows, 10)
    assert.ok(cancelled > 0, 'the operators are cancelled once the limit is reached')
    assert.equal(pulled, OPERATORS, 'one batch of each operator, not the whole streams')
  })

  it('refuses types whose transported values do not order as in DuckDB', () => {
    const fields = [{ name: 'a', type: 'DECIMAL(18,3)' }, { name: 'b', type: 'VARCHAR[]' }, { name: 'c', type: 'VARCHAR' }]
    assert.equal(uncomparableKey(fields, [{ column: 2, descending: false, nullsFirst: false }]), undefined)
    assert.equal(uncomparableKey(fields, [{ column: 2, descending: false, nullsFirst: false }, { column: 0, descending: false, nullsFirst: false }]), 'a DECIMAL(18,3)')
    assert.equal(uncomparableKey(fields, [{ column: 1, descending: false, nullsFirst: false }]), 'b VARCHAR[]')
  })

  it('compares strings by code point, as UTF-8 bytes order them', () => {
    assert.ok(compareCodePoints('\uffff', '😀') < 0, 'U+FFFF before U+1F600 (JavaScript\'s < says otherwise)')
    assert.ok('\uffff' > '😀')
    assert.ok(compareCodePoints('a', 'a\u0000') < 0)
    assert.equal(compareCodePoints('é', 'é'), 0)
  })
})
