/**
 * Answers as Grafana reads them: typed columns (time in epoch ms, numbers as numbers), time series one per value
 * column and label, ascending, on Grafana's grid when asked, info replies typed from their values, and the caps.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isFedlakeError } from '@fedlake/core'
import { batchFromValues } from '@fedlake/sql'
import type { BatchValue, ResultField, ResultStream } from '@fedlake/sql'
import { readAnswer } from '../src/grafana/answer-columns.js'
import { replyTable, seriesElements, tableElement } from '../src/grafana/frames.js'

const CAPS = { maxRows: 1000, maxBytes: 1_000_000 }

function streamOf (fields: ResultField[], ...batches: BatchValue[][][]): ResultStream & { cancelled: unknown[] } {
  const cancelled: unknown[] = []
  return {
    fields,
    cancelled,
    cancel: reason => { cancelled.push(reason) },
    async * [Symbol.asyncIterator] () { for (const rows of batches) yield batchFromValues(fields, rows) }
  }
}

const T0 = Date.UTC(2026, 2, 2, 10, 0, 0)
const us = (ms: number): bigint => BigInt(ms) * 1000n + 789n

describe('Grafana answers', () => {
  it('reads timestamps as epoch ms and every number as a number', async () => {
    const answer = await readAnswer(streamOf([
      { name: 'timestamp', type: 'TIMESTAMP' }, { name: 'count_star()', type: 'BIGINT' }, { name: 'total', type: 'HUGEINT' },
      { name: 'ratio', type: 'DOUBLE' }, { name: 'price', type: 'DECIMAL(18,3)' }, { name: 'day', type: 'DATE' },
      { name: 'pod', type: 'VARCHAR' }, { name: 'ok', type: 'BOOLEAN' }, { name: 'tags', type: 'VARCHAR[]' }
    ], [[us(T0), 3, '170141183460469231731687303715884105727', Number.NaN, '12.500', 20514, 'vault-0', true, ['a']],
      [us(-1), null, '2', 0.25, '1', 0, null, false, null]]), CAPS)
    assert.deepEqual(answer.fields.map(f => [f.name, f.kind]), [['timestamp', 'time'], ['count(*)', 'number'], ['total', 'number'], ['ratio', 'number'],
      ['price', 'number'], ['day', 'time'], ['pod', 'string'], ['ok', 'boolean'], ['tags', 'other']])
    assert.deepEqual(answer.values.map(c => c[0]), [T0, 3, 1.7014118346046923e38, null, 12.5, 20514 * 86_400_000, 'vault-0', true, ['a']])
    assert.deepEqual(answer.values.map(c => c[1]), [-1, null, 2, 0.25, 1, 0, null, false, null], 'a µs before the epoch is in ms -1 (floor)')
    const table = tableElement('A', answer)
    assert.deepEqual(table.columns[0], { text: 'timestamp', type: 'time' })
    assert.deepEqual(table.rows[1]?.slice(0, 3), [-1, null, 2])
  })

  it('refuses an answer over the row or byte cap and cancels its query', async () => {
    const rows: BatchValue[][] = Array.from({ length: 50 }, (_v, i) => [i, 'x'.repeat(100)])
    const fields = [{ name: 'n', type: 'INTEGER' }, { name: 's', type: 'VARCHAR' }]
    for (const caps of [{ maxRows: 40, maxBytes: 1_000_000 }, { maxRows: 1000, maxBytes: 2000 }]) {
      const stream = streamOf(fields, rows)
      await assert.rejects(readAnswer(stream, caps), (err: unknown) => isFedlakeError(err, 'SQL_RESULT_TOO_LARGE') && /aggregate/.test(err.message))
      assert.equal(stream.cancelled.length, 1)
    }
  })

  it('makes one ascending series per value column and label, named as EdgeLake names them', async () => {
    const answer = await readAnswer(streamOf([{ name: 'timestamp', type: 'TIMESTAMP' }, { name: 'result', type: 'VARCHAR' }, { name: 'row_count', type: 'BIGINT' }],
      [[us(T0 + 2000), 'Passed', 5], [us(T0), 'Passed', 3], [us(T0), 'Permission denied', 1], [null, 'Passed', 9]]), CAPS)
    const series = seriesElements(answer, { refId: 'B' })
    assert.deepEqual(series, [
      { target: 'Passed', refId: 'B', datapoints: [[3, T0], [5, T0 + 2000]], tags: { result: 'Passed' } },
      { target: 'Permission denied', refId: 'B', datapoints: [[1, T0]], tags: { result: 'Permission denied' } }
    ])
    const generated = await readAnswer(streamOf([{ name: 'timestamp', type: 'TIMESTAMP' }, { name: 'avg_val', type: 'DOUBLE' }, { name: 'max_val', type: 'INTEGER' }],
      [[us(T0), 2.5, 4]]), CAPS)
    assert.deepEqual(seriesElements(generated, { refId: 'A', seriesNames: { base: 'alert', suffixes: { avg_val: '<avg>', max_val: '<max>' } } }).map(s => s.target), ['alert<avg>', 'alert<max>'])
  })

  it('puts points on Grafana\'s grid with nulls in empty slots (data_points: fixed)', async () => {
    const answer = await readAnswer(streamOf([{ name: 'timestamp', type: 'TIMESTAMP' }, { name: 'v', type: 'DOUBLE' }], [[us(T0 + 2500), 7], [us(T0 + 500), 1]]), CAPS)
    const [series] = seriesElements(answer, { refId: 'A', grid: { range: { fromMs: T0, toMs: T0 + 3000 }, intervalMs: 1000 } })
    assert.deepEqual(series?.datapoints, [[1, T0], [null, T0 + 1000], [7, T0 + 2000], [null, T0 + 3000]])
  })

  it('refuses a time series without a timestamp or a number', async () => {
    const noTime = await readAnswer(streamOf([{ name: 'pod', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }], [['a', 1]]), CAPS)
    assert.throws(() => seriesElements(noTime, { refId: 'A' }), (err: unknown) => isFedlakeError(err, 'GRAFANA_NO_TIME_COLUMN'))
    const noValue = await readAnswer(streamOf([{ name: 't', type: 'TIMESTAMP' }, { name: 'pod', type: 'VARCHAR' }], [[us(T0), 'a']]), CAPS)
    assert.throws(() => seriesElements(noValue, { refId: 'A' }), (err: unknown) => isFedlakeError(err, 'GRAFANA_NO_VALUE_COLUMN'))
  })

  it('types command replies from their values', () => {
    const table = replyTable('A', { kind: 'table', columns: ['Node', 'ms', 'Main', 'Note'], rows: [['op-1', 1.5, true, null], ['op-2', 3, false, { a: 1 }]] })
    assert.deepEqual(table.columns, [{ text: 'Node', type: 'string' }, { text: 'ms', type: 'number' }, { text: 'Main', type: 'boolean' }, { text: 'Note', type: 'string' }])
    assert.deepEqual(table.rows[1], ['op-2', 3, false, '{"a":1}'])
    assert.deepEqual(replyTable('A', { kind: 'raw', contentType: 'application/json', body: '{"Query":[{"a":1},{"a":2,"b":"x"}]}' }).rows, [[1, null], [2, 'x']])
    assert.deepEqual(replyTable('A', { kind: 'text', body: 'query-1@127.0.0.1:32348 running\n' }), { type: 'table', refId: 'A', columns: [{ text: 'result', type: 'string' }], rows: [['query-1@127.0.0.1:32348 running']] })
    assert.throws(() => replyTable('A', { kind: 'stream', contentType: 'x', body: (async function * () {})(), errorTrailer: () => '' }), (err: unknown) => isFedlakeError(err, 'GRAFANA_BAD_PAYLOAD'))
  })
})
