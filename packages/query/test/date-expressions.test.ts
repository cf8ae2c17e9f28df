import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DuckDBInstance } from '@duckdb/node-api'
import type { DuckDBConnection } from '@duckdb/node-api'
import { isFedlakeError } from '@fedlake/core'
import { createSqlParser } from '@fedlake/duckdb'
import { bindNow, edgeLakeDateToUtc, NOW_MARKER, NOW_SQL, resolveDateExpressions } from '../src/index.js'

const NOW = NOW_SQL
const ny = { timeZone: 'America/New_York' }
const pre = (sql: string, options = ny): string => resolveDateExpressions(sql, options)

describe('resolveDateExpressions', () => {
  it('now() becomes the placeholder, any case, with or without spaces inside the parentheses', () => {
    assert.equal(pre('select x from t where ts <= now()'), `select x from t where ts <= ${NOW}`)
    assert.equal(pre('where ts <= NOW ( )'), `where ts <= ${NOW}`)
    assert.equal(pre('where d = date()'), `where d = CAST(${NOW} AS DATE)`)
  })

  const units: [string, string][] = [
    ['1 second', "'1 second'"], ['2 seconds', "'2 seconds'"], ['3s', "'3 seconds'"],
    ['1 minute', "'1 minute'"], ['5 minutes', "'5 minutes'"], ['4t', "'4 minutes'"],
    ['1 hour', "'1 hour'"], ['2 HOURS', "'2 hours'"], ['2h', "'2 hours'"],
    ['1 day', "'1 day'"], ['3 days', "'3 days'"], ['3d', "'3 days'"],
    ['1 week', "'1 week'"], ['2 weeks', "'2 weeks'"], ['2w', "'2 weeks'"],
    ['1 month', "'1 month'"], ['6 months', "'6 months'"], ['6m', "'6 months'"],
    ['1 year', "'1 year'"], ['2 years', "'2 years'"], ['2y', "'2 years'"]
  ]
  for (const [shift, interval] of units) {
    it(`now() - ${shift} → INTERVAL ${interval}`, () => {
      assert.equal(pre(`where ts > now() - ${shift}`), `where ts > (${NOW} - INTERVAL ${interval})`)
      assert.equal(pre(`where ts > NOW() -${shift}`), `where ts > (${NOW} - INTERVAL ${interval})`)
    })
  }

  it('chains shifts and keeps the arithmetic in SQL', () => {
    assert.equal(pre('where ts > now() - 1 day + 2 hours and x = 1'), `where ts > (${NOW} - INTERVAL '1 day' + INTERVAL '2 hours') and x = 1`)
  })

  it('a bare shift after a comparison, BETWEEN or its AND is from now', () => {
    assert.equal(pre('where ts > -4t'), `where ts > (${NOW} - INTERVAL '4 minutes')`)
    assert.equal(pre('where ts between - 2 days and -1d'), `where ts between (${NOW} - INTERVAL '2 days') and (${NOW} - INTERVAL '1 day')`)
    assert.equal(pre('select count(*) filter (where ts >= -1h) from t'), `select count(*) filter (where ts >= (${NOW} - INTERVAL '1 hour')) from t`)
  })

  it('date strings with a shift: local time of the timezone option converted to UTC; T and Z forms are UTC', () => {
    assert.equal(pre("where ts > '2026-01-01 10:00:00' - 1 day"), "where ts > (TIMESTAMP '2026-01-01 15:00:00' - INTERVAL '1 day')")
    assert.equal(pre("where ts > '2026-07-01 10:00:00.123456' - 1 day"), "where ts > (TIMESTAMP '2026-07-01 14:00:00.123456' - INTERVAL '1 day')")
    assert.equal(pre("where ts > '2026-07-01' - 1d"), "where ts > (TIMESTAMP '2026-07-01 04:00:00' - INTERVAL '1 day')")
    assert.equal(pre("where ts > '2026-07-01T10:00:00Z' - 1d"), "where ts > (TIMESTAMP '2026-07-01 10:00:00' - INTERVAL '1 day')")
    assert.equal(pre("where ts > '2026-07-01T10:00:00' - 1d"), "where ts > (TIMESTAMP '2026-07-01 10:00:00' - INTERVAL '1 day')")
    assert.equal(pre("where ts > '2026-07-01 10:00:00' - 1d", { timeZone: 'utc' }), "where ts > (TIMESTAMP '2026-07-01 10:00:00' - INTERVAL '1 day')")
    assert.equal(pre("where ts > '2026-07-01 10:00:00' - 1d", { timeZone: 'pt' }), "where ts > (TIMESTAMP '2026-07-01 17:00:00' - INTERVAL '1 day')")
  })

  it('SQLite-style date() and timestamp() with modifiers, start of day included', () => {
    assert.equal(pre("where ts >= date('now','start of month','+1 month','-1 day')"),
      `where ts >= CAST(((date_trunc('month', ${NOW}) + INTERVAL '1 month') - INTERVAL '1 day') AS DATE)`)
    assert.equal(pre("where ts < timestamp('2020-05-28 18:56:49', '+1 month', '-2 hours')"),
      "where ts < ((TIMESTAMP '2020-05-28 18:56:49' + INTERVAL '1 month') - INTERVAL '2 hours')")
    assert.equal(pre("where ts >= timestamp('now', 'start of day') - 1 hour"), `where ts >= (date_trunc('day', ${NOW}) - INTERVAL '1 hour')`)
    assert.equal(pre("where ts >= date('now', 'start of year', '3 days')"), `where ts >= CAST((date_trunc('year', ${NOW}) + INTERVAL '3 days') AS DATE)`)
  })

  it("period(..., and <filter>) loses the 'and' so DuckDB can parse the filter as an argument", () => {
    assert.equal(pre("where period(minute, 10, now(), timestamp, and device = 'x') and a = 1"),
      `where period(minute, 10, ${NOW}, timestamp,  device = 'x') and a = 1`)
  })

  const untouched = [
    "select * from t where ts > now_x() - 3 days",
    "select x from t where ts > current_timestamp - interval '3 days'",
    'select x from t where ts > current_date - INTERVAL 3 DAY',
    "select 'now() - 3 days', \"now() - 3d\" from t -- now() - 3d\n /* now() /* nested */ -1d */",
    "select $$now() - 1d$$, E'it\\'s now() - 1d' from t",
    'select a > -3 s, b - 1 d from t',
    "select x from t where ts > '2026-01-01 10:00:00' and name = '2026-01-01'",
    "select x from t where ts > TIMESTAMP '2026-01-01 10:00:00' - INTERVAL '1 day'",
    'select x from t where a - 3 > b and c = -4',
    'select date_trunc(\'day\', ts), t.now from t',
    "select x from t where ts in ('2026-01-01', '2026-01-02')"
  ]
  for (const sql of untouched) {
    it(`leaves valid DuckDB SQL as written: ${sql.replace(/\n/g, ' ')}`, () => assert.equal(pre(sql), sql))
  }

  it('now() next to DuckDB intervals: only now() changes', () => {
    assert.equal(pre('select x from t where ts > now() - INTERVAL 3 DAY'), `select x from t where ts > ${NOW} - INTERVAL 3 DAY`)
    assert.equal(pre("select x from t where ts > now() - interval '3 days'"), `select x from t where ts > ${NOW} - interval '3 days'`)
  })

  const refused: [string, RegExp][] = [
    ["where x > date('now', 'start of fortnight')", /unknown modifier 'start of fortnight'/],
    ["where x > timestamp('yesterday')", /'yesterday' is not a date/],
    ["where x > '2026-13-01' - 1 day", /'2026-13-01' is not a valid date/],
    ["where x > date('now', '+1 fortnight')", /unknown modifier/]
  ]
  for (const [sql, message] of refused) {
    it(`refuses with DATE_EXPRESSION_INVALID: ${sql}`, () => {
      assert.throws(() => pre(sql), (err: unknown) => isFedlakeError(err, 'DATE_EXPRESSION_INVALID') && message.test(err.message))
    })
  }

  it('an unknown timezone is refused', () => {
    assert.throws(() => pre("where x > '2026-01-01' - 1d", { timeZone: 'Mars/Olympus' }), (err: unknown) => isFedlakeError(err, 'DATE_EXPRESSION_INVALID'))
  })
})

describe('edgeLakeDateToUtc', () => {
  it('reads local wall time through daylight saving: a gap moves forward, an overlap takes the first instant', () => {
    assert.equal(edgeLakeDateToUtc('2026-03-08 02:30:00', 'America/New_York')?.utc, '2026-03-08 07:30:00')
    assert.equal(edgeLakeDateToUtc('2026-11-01 01:30:00', 'America/New_York')?.utc, '2026-11-01 05:30:00')
    assert.equal(edgeLakeDateToUtc('2026-11-01 03:00:00', 'America/New_York')?.utc, '2026-11-01 08:00:00')
    assert.equal(edgeLakeDateToUtc('2026-02-30', 'UTC'), undefined)
    assert.deepEqual(edgeLakeDateToUtc('2026-02-03', 'Asia/Kolkata'), { utc: '2026-02-02 18:30:00', dateOnly: true })
  })
})

describe('the now placeholder through DuckDB', () => {
  const parser = createSqlParser()
  let instance: DuckDBInstance
  let connection: DuckDBConnection
  before(async () => {
    await parser.start()
    instance = await DuckDBInstance.create(':memory:')
    connection = await instance.connect()
  })
  after(async () => {
    await parser.stop()
    connection.closeSync()
    instance.closeSync()
  })

  it('survives parse → print verbatim, and bindNow turns it into the given UTC instant', async () => {
    const sql = pre("select now() - 3 days as a, date('now', 'start of month') as b, date() as c, timestamp('now', '+90 minutes') as d")
    const parsed = await parser.parse(sql)
    assert.equal(parsed.error, false)
    const printed = await parser.print((parsed as { statements: readonly unknown[] }).statements[0])
    assert.ok(printed.includes(`'${NOW_MARKER}'`), printed)
    const bound = bindNow(printed, new Date(Date.UTC(2026, 4, 17, 13, 45, 6, 789)))
    assert.ok(!bound.includes(NOW_MARKER))
    const reader = await connection.runAndReadAll(`select a::varchar, b::varchar, c::varchar, d::varchar from (${bound})`)
    assert.deepEqual(reader.getRows()[0], ['2026-05-14 13:45:06.789', '2026-05-01', '2026-05-17', '2026-05-17 15:15:06.789'])
  })

  it('the pre-passed text is valid DuckDB SQL before binding (its columns can be learnt from it)', async () => {
    const reader = await connection.runAndReadAll(pre('select now() - 1h as t, date() - 1 day as d'))
    assert.deepEqual(reader.columnNames(), ['t', 'd'])
  })
})
