import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { isFedlakeError } from '@fedlake/core'
import { batchFromValues, resolveTimeZone } from '@fedlake/sql'
import type { BatchValue, ResultField, TimeZone } from '@fedlake/sql'
import { createReplyEncoder, errorRecord, formatElapsed } from '../src/index.js'
import type { ReplyOptions, ReplyStatistics } from '../src/index.js'

const fields: ResultField[] = [
  { name: 'device', type: 'VARCHAR' }, { name: 'count_star()', type: 'BIGINT' }, { name: 'avg(value)', type: 'DOUBLE' }, { name: 'ts', type: 'TIMESTAMP' }
]
const TS1 = Date.UTC(2025, 0, 2, 3, 4, 5) * 1000 + 123_456
const TS2 = Date.UTC(2025, 0, 2, 3, 4, 6) * 1000
const rows: BatchValue[][] = [['d0', 200, 50.007445000000004, TS1], ['d1', 3, null, TS2]]
const base: ReplyOptions = { format: 'json', stat: true, maxBytes: 1 << 20, maxRows: 1000 }
const statistics: ReplyStatistics = { elapsedMs: 3723_456.7891, nodes: 2 }
const rowObjects = [
  { device: 'd0', 'count(*)': 200, 'avg(value)': 50.007445000000004, ts: '2025-01-02 03:04:05.123456' },
  { device: 'd1', 'count(*)': 3, 'avg(value)': null, ts: '2025-01-02 03:04:06.000000' }
]
const stats = { Count: 2, Time: '01:02:03', 'Time ms': 3723456.789, Nodes: 2 }

/** The reply of `batches` (each a list of rows) in one call per batch, as a stream would deliver them. */
function encode (options: Partial<ReplyOptions>, batches: BatchValue[][][] = [rows], at: ReplyStatistics = statistics, over: ResultField[] = fields): { body: string, contentType: string, sentEarly: string } {
  const encoder = createReplyEncoder(over, { ...base, ...options })
  let sentEarly = ''
  for (const batch of batches) sentEarly += encoder.add(batchFromValues(over, batch))
  return { body: sentEarly + encoder.finish(at), contentType: encoder.contentType, sentEarly }
}

function ndjson (body: string): unknown[] {
  assert.ok(body.endsWith('\n'), 'NDJSON ends with a newline')
  return body.slice(0, -1).split('\n').map(line => JSON.parse(line) as unknown)
}

describe('reply encoder', () => {
  it('json with statistics: one document, rows keyed by column in column order, count_star() as count(*)', () => {
    const reply = encode({})
    assert.equal(reply.contentType, 'application/json')
    assert.equal(reply.sentEarly, '', 'a one-document reply sends nothing before the result has ended')
    assert.deepEqual(JSON.parse(reply.body), { Query: rowObjects, Statistics: [stats] })
    assert.ok(reply.body.startsWith('{"Query":[{"device":"d0","count(*)":200,"avg(value)":50.007445000000004,"ts":"2025-01-02 03:04:05.123456"}'))
  })

  it('json over several batches equals json in one batch', () => {
    assert.equal(encode({}, [[rows[0] as BatchValue[]], [], [rows[1] as BatchValue[]]]).body, encode({}).body)
  })

  it('json with stat=false, and the empty cases', () => {
    assert.deepEqual(JSON.parse(encode({ stat: false }).body), { Query: rowObjects })
    assert.deepEqual(JSON.parse(encode({ stat: false }, []).body), { reply: 'Empty data set' })
    assert.deepEqual(JSON.parse(encode({}, [[]]).body), { Query: [], Statistics: [{ ...stats, Count: 0 }] })
  })

  it('json:list: a bare array, with statistics as a second NDJSON line', () => {
    const plain = encode({ format: 'json:list', stat: false })
    assert.equal(plain.contentType, 'application/json')
    assert.deepEqual(JSON.parse(plain.body), rowObjects)
    const withStats = encode({ format: 'json:list' })
    assert.equal(withStats.contentType, 'application/x-ndjson')
    assert.deepEqual(ndjson(withStats.body), [rowObjects, { Statistics: [stats] }])
    assert.deepEqual(JSON.parse(encode({ format: 'json:list', stat: false }, []).body), [])
  })

  it('json:output: rows are sent as each batch arrives, one object per line, then the statistics', () => {
    const reply = encode({ format: 'json:output' }, [[rows[0] as BatchValue[]], [rows[1] as BatchValue[]]])
    assert.equal(reply.contentType, 'application/x-ndjson')
    assert.deepEqual(ndjson(reply.sentEarly), rowObjects)
    for (const line of reply.body.trimEnd().split('\n')) assert.ok(line.startsWith('{'), line)
    assert.deepEqual(ndjson(reply.body), [...rowObjects, { Statistics: [stats] }])
    assert.deepEqual(ndjson(encode({ format: 'json:output', stat: false }).body), rowObjects)
    assert.equal(encode({ format: 'json:output', stat: false }, []).body, '')
  })

  it('json:output error record: one line naming the error and the rows sent before it', () => {
    const record = JSON.parse(errorRecord({ err_code: 26, err_text: 'Time Out', code: 'COMMAND_TIMEOUT' }, 2048)) as Record<string, unknown>
    assert.deepEqual(record, { Error: { err_code: 26, err_text: 'Time Out', code: 'COMMAND_TIMEOUT', rows_sent: 2048 } })
  })

  it('table: EdgeLake text table and a statistics block that is valid JSON', () => {
    const reply = encode({ format: 'table' })
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
    assert.ok(!encode({ format: 'table', stat: false }).body.includes('Statistics'))
  })

  it('refuses a one-document reply over the row or byte cap with SQL_RESULT_TOO_LARGE naming the way out', () => {
    for (const format of ['json', 'json:list', 'table'] as const) {
      assert.throws(() => encode({ format, maxRows: 1 }), (err: unknown) =>
        isFedlakeError(err, 'SQL_RESULT_TOO_LARGE') && /json:output/.test(err.message) && err.details.setting === 'limits.maxReplyRows', format)
      assert.throws(() => encode({ format, maxBytes: 40 }), (err: unknown) =>
        isFedlakeError(err, 'SQL_RESULT_TOO_LARGE') && err.details.setting === 'limits.maxReplyBytes', format)
    }
    assert.doesNotThrow(() => encode({ format: 'json:output', maxRows: 1, maxBytes: 40 }), 'json:output streams without a cap')
  })

  it('checks a table against the cap at its rendered size, every cell padded to its column\'s width', () => {
    const one: ResultField[] = [{ name: 'v', type: 'VARCHAR' }, { name: 'n', type: 'BIGINT' }]
    const batches: BatchValue[][][] = [[['x'.repeat(100), 1]], Array.from({ length: 200 }, (_, i) => ['y', i])]
    const rendered = encode({ format: 'table', stat: false }, batches, statistics, one).body
    assert.ok(rendered.length > 20_000, 'the one long value pads every row')
    assert.throws(() => encode({ format: 'table', stat: false, maxBytes: 10_000 }, batches, statistics, one), (err: unknown) =>
      isFedlakeError(err, 'SQL_RESULT_TOO_LARGE') && err.details.setting === 'limits.maxReplyBytes')
    assert.doesNotThrow(() => encode({ format: 'table', stat: false, maxBytes: rendered.length + 200 }, batches, statistics, one))
  })

  it('reports target and participating nodes when some did not reply', () => {
    const partial = JSON.parse(encode({}, [rows], { ...statistics, nodes: { target: 3, participating: 2 } }).body) as { Statistics: Record<string, unknown>[] }
    assert.deepEqual(partial.Statistics[0], { Count: 2, Time: '01:02:03', 'Time ms': 3723456.789, 'Target Nodes': 3, 'Participating Nodes': 2 })
    const all = JSON.parse(encode({}, [rows], { ...statistics, nodes: { target: 2, participating: 2 } }).body) as { Statistics: Record<string, unknown>[] }
    assert.equal(all.Statistics[0]?.Nodes, 2)
  })

  it('keeps column order for numeric-looking names and keeps repeated names apart', () => {
    const odd: ResultField[] = [{ name: 'b', type: 'BIGINT' }, { name: '1', type: 'BIGINT' }, { name: 'b', type: 'BIGINT' }]
    assert.equal(encode({ stat: false }, [[[1, 2, 3]]], statistics, odd).body, '{"Query":[{"b":1,"1":2,"b_1":3}]}')
  })

  it('writes every number DuckDB returns as valid JSON without loss', () => {
    const wide: ResultField[] = [
      { name: 'big', type: 'BIGINT' }, { name: 'small', type: 'BIGINT' }, { name: 'huge', type: 'HUGEINT' }, { name: 'dec', type: 'DECIMAL(38,3)' },
      { name: 'dec2', type: 'DECIMAL(10,2)' }, { name: 'inf', type: 'DOUBLE' }, { name: 'ninf', type: 'DOUBLE' }, { name: 'nan', type: 'DOUBLE' },
      { name: 'f', type: 'FLOAT' }, { name: 'ub', type: 'UBIGINT' }, { name: 'd', type: 'DATE' }, { name: 'i', type: 'INTERVAL' }, { name: 'l', type: 'INTEGER[]' }
    ]
    const body = encode({ stat: false }, [[[9007199254740993n, -42, '170141183460469231731687303715884105727', '12345678901234567.891', '1.50',
      Infinity, -Infinity, NaN, Math.fround(0.1), '18446744073709551615', 19782, '1 day 02:00:00', [1, null]]]], statistics, wide).body
    assert.equal(body, '{"Query":[{"big":"9007199254740993","small":-42,"huge":"170141183460469231731687303715884105727","dec":"12345678901234567.891",' +
      '"dec2":1.5,"inf":"Infinity","ninf":"-Infinity","nan":"NaN","f":0.1,"ub":"18446744073709551615","d":"2024-02-29","i":"1 day 02:00:00","l":[1,null]}]}')
    assert.doesNotThrow(() => JSON.parse(body))
  })

  it('writes timestamps in the requested time zone', () => {
    const paris = resolveTimeZone('Europe/Paris') as TimeZone
    const body = encode({ stat: false, timeZone: paris }, [[['x', 1, 1, Date.UTC(2025, 6, 1, 12) * 1000]]]).body
    assert.equal((JSON.parse(body) as { Query: { ts: string }[] }).Query[0]?.ts, '2025-07-01 14:00:00.000000')
    assert.equal(resolveTimeZone('pt'), 'America/Los_Angeles')
    assert.equal(resolveTimeZone('no/such_zone'), undefined)
  })

  it('never lets a row look like a trailer line', () => {
    for (const name of ['Error', 'Statistics']) {
      const only: ResultField[] = [{ name, type: 'VARCHAR' }]
      assert.equal(encode({ format: 'json:output', stat: false }, [[['x']]], statistics, only).body, `{"${name}_1":"x"}\n`)
    }
    assert.equal(encode({ stat: false }, [[['x', 'y']]], statistics, [{ name: 'Error', type: 'VARCHAR' }, { name: 'b', type: 'VARCHAR' }]).body, '{"Query":[{"Error":"x","b":"y"}]}')
  })

  it('formats elapsed time as HH:MM:SS', () => {
    assert.equal(formatElapsed(0), '00:00:00')
    assert.equal(formatElapsed(999), '00:00:00')
    assert.equal(formatElapsed(61_000), '00:01:01')
    assert.equal(formatElapsed(100 * 3600_000), '100:00:00')
  })
})
