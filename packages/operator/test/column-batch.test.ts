import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { ColumnType } from '@fedlake/core'
import { columnBatchFromRows, columnBatchRows, createColumnBatchBuilder } from '../src/storage/index.js'
import type { StorageValue } from '../src/storage/index.js'
import { isColumnBatch } from '../src/storage/column-batch.js'

const TYPES: ColumnType[] = ['TIMESTAMP', 'VARCHAR', 'INTEGER', 'DOUBLE', 'BOOLEAN', 'BIGINT']

describe('column batches', () => {
  it('dictionary-encodes strings, keeps numbers in typed arrays and gives back exactly the rows added', () => {
    const rows: StorageValue[][] = Array.from({ length: 5000 }, (_, i) => [
      1_700_000_000_000_000 + i, i % 10 === 0 ? null : `host-${i % 4}`, i % 7 === 0 ? null : i, i / 8, i % 2 === 0, -i
    ])
    const batch = columnBatchFromRows(TYPES, rows)
    assert.equal(batch.rowCount, 5000)
    assert.ok(isColumnBatch(batch, TYPES.length))
    const [ts, host, n, x, flag, big] = batch.columns
    assert.equal(ts?.kind, 'numbers')
    assert.equal(host?.kind, 'strings')
    assert.deepEqual(host?.kind === 'strings' ? [...host.dict].sort() : [], ['host-0', 'host-1', 'host-2', 'host-3'])
    assert.equal(n?.kind === 'numbers' ? n.nulls?.filter(v => v === 1).length : -1, 715)
    assert.equal(x?.kind, 'numbers')
    assert.equal(flag?.kind, 'values')
    assert.equal(big?.kind === 'numbers' ? big.nulls : undefined, null)
    assert.deepEqual(columnBatchRows(batch), rows)
    assert.deepEqual(structuredClone(batch), batch, 'plain data: survives the hand-off to the storage thread')
  })

  it('falls back to plain values for a value of an unexpected type, keeping earlier rows', () => {
    const rows: StorageValue[][] = [
      [1, 'a', 1, 1.5, true, 10],
      [2, null, null, null, null, null],
      [3n, 42, 2 ** 40, 'x', false, 2n ** 62n]
    ]
    const batch = columnBatchFromRows(TYPES, rows)
    assert.deepEqual(batch.columns.map(c => c.kind), ['values', 'values', 'numbers', 'values', 'values', 'values'])
    assert.deepEqual(columnBatchRows(batch), rows)
  })

  it('grows past its initial capacity, treats missing values as NULL, and starts over after build()', () => {
    const builder = createColumnBatchBuilder(['VARCHAR', 'INTEGER'], 1)
    for (let i = 0; i < 300; i++) builder.add(i % 3 === 0 ? [`s${i % 5}`] : [`s${i % 5}`, i])
    assert.equal(builder.rowCount, 300)
    const first = builder.build()
    assert.equal(builder.rowCount, 0)
    assert.deepEqual(columnBatchRows(first).slice(0, 4), [['s0', null], ['s1', 1], ['s2', 2], ['s3', null]])
    builder.add(['again', 7])
    const second = builder.build()
    assert.deepEqual(columnBatchRows(second), [['again', 7]])
    assert.deepEqual(second.columns[0]?.kind === 'strings' ? second.columns[0].dict : [], ['again'], 'a fresh dictionary per batch')
    assert.equal(columnBatchRows(first).length, 300, 'an earlier batch is not changed by later rows')
  })

  it('recognises malformed batches', () => {
    const batch = columnBatchFromRows(['VARCHAR', 'DOUBLE'], [['a', 1], ['b', 2]])
    assert.ok(isColumnBatch(batch, 2))
    assert.equal(isColumnBatch(batch, 3), false)
    assert.equal(isColumnBatch({ rowCount: 3, columns: batch.columns }, 2), false)
    assert.equal(isColumnBatch({ rowCount: 1, columns: [{ kind: 'numbers', values: new Float64Array(1), nulls: new Uint8Array(2) }] }, 1), false)
  })
})
