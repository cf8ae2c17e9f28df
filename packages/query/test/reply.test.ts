import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { QueryResult } from '@fedlake/core'
import { formatElapsed, formatSqlReply } from '../src/index.js'
import type { SqlReplyOptions } from '../src/index.js'

const result: QueryResult = {
  columns: [{ name: 'device', type: 'VARCHAR' }, { name: 'count(*)', type: 'BIGINT' }, { name: 'avg(value)', type: 'DOUBLE' }, { name: 'ts', type: 'TIMESTAMP' }],
  rows: [
    ['d0', 200, 50.007445000000004, '2025-01-02 03:04:05.123456'],
    ['d1', 3, null, '2025-01-02 03:04:06.000000']
  ]
}
const empty: QueryResult = { columns: result.columns, rows: [] }
const base: SqlReplyOptions = { format: 'json', stat: true, elapsedMs: 3723_456.7891, nodes: 2 }
const rowObjects = [
  { device: 'd0', 'count(*)': 200, 'avg(value)': 50.007445000000004, ts: '2025-01-02 03:04:05.123456' },
  { device: 'd1', 'count(*)': 3, 'avg(value)': null, ts: '2025-01-02 03:04:06.000000' }
]
const stats = { Count: 2, Time: '01:02:03', 'Time ms': 3723456.789, Nodes: 2 }

function ndjson (body: string): unknown[] {
  assert.ok(body.endsWith('\n'), 'NDJSON ends with a newline')
  return body.slice(0, -1).split('\n').map(line => JSON.parse(line) as unknown)
}

describe('formatSqlReply', () => {
  it('json with statistics: one document, rows keyed by column in column order', () => {
    const reply = formatSqlReply(result, base)
    assert.equal(reply.kind, 'raw')
    assert.equal(reply.contentType, 'application/json')
    assert.deepEqual(JSON.parse(reply.body), { Query: rowObjects, Statistics: [stats] })
    assert.ok(reply.body.startsWith('{"Query":[{"device":"d0","count(*)":200,"avg(value)":50.007445000000004,"ts":"2025-01-02 03:04:05.123456"}'))
  })

  it('json with stat=false, and the empty cases', () => {
    assert.deepEqual(JSON.parse(formatSqlReply(result, { ...base, stat: false }).body), { Query: rowObjects })
    assert.deepEqual(JSON.parse(formatSqlReply(empty, { ...base, stat: false }).body), { reply: 'Empty data set' })
    assert.deepEqual(JSON.parse(formatSqlReply(empty, base).body), { Query: [], Statistics: [{ ...stats, Count: 0 }] })
  })

  it('json:list: a bare array, with statistics as a second NDJSON line', () => {
    const plain = formatSqlReply(result, { ...base, format: 'json:list', stat: false })
    assert.equal(plain.contentType, 'application/json')
    assert.deepEqual(JSON.parse(plain.body), rowObjects)
    const withStats = formatSqlReply(result, { ...base, format: 'json:list' })
    assert.equal(withStats.contentType, 'application/x-ndjson')
    assert.deepEqual(ndjson(withStats.body), [rowObjects, { Statistics: [stats] }])
    assert.deepEqual(JSON.parse(formatSqlReply(empty, { ...base, format: 'json:list', stat: false }).body), [])
  })

  it('json:output: one object per line, each line starting with {', () => {
    const reply = formatSqlReply(result, { ...base, format: 'json:output' })
    assert.equal(reply.contentType, 'application/x-ndjson')
    for (const line of reply.body.trimEnd().split('\n')) assert.ok(line.startsWith('{'), line)
    assert.deepEqual(ndjson(reply.body), [...rowObjects, { Statistics: [stats] }])
    assert.deepEqual(ndjson(formatSqlReply(result, { ...base, format: 'json:output', stat: false }).body), rowObjects)
    assert.equal(formatSqlReply(empty, { ...base, format: 'json:output', stat: false }).body, '')
  })

  it('table: EdgeLake text table and a statistics block that is valid JSON', () => {
    const reply = formatSqlReply(result, { ...base, format: 'table' })
    assert.equal(reply.contentType, 'text/plain; charset=utf-8')
    const [blank, header, dashes, first, second, gap, ...statLines] = reply.body.split('\n')
    assert.equal(blank, '')
    assert.match(header ?? '', /^device count\(\*\)\s+avg\(value\)\s+ts$/)
    assert.match(dashes ?? '', /^------ -------- -+ -+$/)
    assert.match(first ?? '', /^d0\s+200 50\.007445000000004 2025-01-02 03:04:05\.123456$/)
    assert.match(second ?? '', /^d1\s+3\s+2025-01-02 03:04:06\.000000$/)
    assert.equal(gap, '')
    assert.deepEqual(JSON.parse(statLines.join('\n')), { Statistics: [stats] })
    assert.ok(statLines.length >= 3, 'the statistics are spread over lines like EdgeLake\'s')
    const noStats = formatSqlReply(result, { ...base, format: 'table', stat: false })
    assert.ok(!noStats.body.includes('Statistics'))
  })

  it('reports target and participating nodes when some did not reply', () => {
    const partial = JSON.parse(formatSqlReply(result, { ...base, nodes: { target: 3, participating: 2 } }).body) as { Statistics: Record<string, unknown>[] }
    assert.deepEqual(partial.Statistics[0], { Count: 2, Time: '01:02:03', 'Time ms': 3723456.789, 'Target Nodes': 3, 'Participating Nodes': 2 })
    const all = JSON.parse(formatSqlReply(result, { ...base, nodes: { target: 2, participating: 2 } }).body) as { Statistics: Record<string, unknown>[] }
    assert.equal(all.Statistics[0]?.Nodes, 2)
  })

  it('keeps column order for numeric-looking names and keeps repeated names apart', () => {
    const odd: QueryResult = { columns: [{ name: 'b', type: 'BIGINT' }, { name: '1', type: 'BIGINT' }, { name: 'b', type: 'BIGINT' }], rows: [[1, 2, 3]] }
    const body = formatSqlReply(odd, { ...base, stat: false }).body
    assert.equal(body, '{"Query":[{"b":1,"1":2,"b_1":3}]}')
  })

  it('formats elapsed time as HH:MM:SS', () => {
    assert.equal(formatElapsed(0), '00:00:00')
    assert.equal(formatElapsed(999), '00:00:00')
    assert.equal(formatElapsed(61_000), '00:01:01')
    assert.equal(formatElapsed(100 * 3600_000), '100:00:00')
  })
})
