/**
 * Grafana payload → EdgeLake sql command: the dashboard's time range, the increments/period step, the timezone,
 * template variables as Grafana writes them into the payload, ad-hoc filters, and the errors. Every statement
 * produced is also parsed by DuckDB's own parser (after EdgeLake's date expressions are resolved), so a text
 * edit that breaks the SQL fails here rather than on the network.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { isFedlakeError } from '@fedlake/core'
import type { ColumnSchema, TableSchema } from '@fedlake/core'
import { createSqlParser } from '@fedlake/duckdb'
import { resolveDateExpressions } from '@fedlake/query'
import { stepFromMs, grafanaIntervalMs, parseStep } from '../src/grafana/intervals.js'
import { readQueryRequest } from '../src/grafana/query-request.js'
import type { QueryRequest } from '../src/grafana/query-request.js'
import { fromTable, hasLimit, incrementsCall, withCondition } from '../src/grafana/sql-text.js'
import type { GrafanaCatalog } from '../src/grafana/table-columns.js'
import { translateTarget } from '../src/grafana/translate.js'
import type { SqlTranslation, Translation } from '../src/grafana/translate.js'

const column = (name: string, type: ColumnSchema['type']): ColumnSchema => ({ name, type })
const ALERT: TableSchema = {
  dbms: 'kubearmor',
  table: 'alert',
  columns: [column('timestamp', 'TIMESTAMP'), column('updated_timestamp', 'TIMESTAMP'), column('namespace', 'VARCHAR'), column('pod_name', 'VARCHAR'),
    column('severity', 'INTEGER'), column('resource', 'VARCHAR'), column('operation', 'VARCHAR'), column('pid', 'INTEGER')]
}
const READINGS: TableSchema = { dbms: 'test', table: 'readings', columns: [column('device', 'VARCHAR'), column('ts', 'TIMESTAMP'), column('value_c', 'DOUBLE')] }
const NOTIME: TableSchema = { dbms: 'test', table: 'notime', columns: [column('device', 'VARCHAR'), column('n', 'BIGINT')] }
const SCHEMAS = [ALERT, READINGS, NOTIME]
const catalog: GrafanaCatalog = {
  tables: dbms => SCHEMAS.filter(s => dbms === undefined || s.dbms === dbms).map(s => ({ dbms: s.dbms, table: s.table })),
  schema: (dbms, table) => SCHEMAS.find(s => s.dbms === dbms && s.table === table)
}

const FROM = '2026-03-02T10:00:00.000Z'
const TO = '2026-03-02T10:15:00.000Z'
const RANGE = `'${FROM}' and`

function request (extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { range: { from: FROM, to: TO, raw: { from: 'now-15m', to: 'now' } }, interval: '2s', intervalMs: 2000, maxDataPoints: 500, timezone: 'browser', ...extra }
}

function translate (payload: unknown, options: { target?: string, request?: Record<string, unknown>, defaultDbms?: string } = {}): Translation {
  const parsed: QueryRequest = readQueryRequest({ ...(options.request ?? request()), targets: [{ refId: 'A', target: options.target ?? 'kubearmor.alert', payload }] })
  const target = parsed.targets[0]
  assert.ok(target !== undefined)
  return translateTarget(target, { request: parsed, catalog, ...(options.defaultDbms === undefined ? {} : { defaultDbms: options.defaultDbms }) })
}

function sqlOf (payload: unknown, options: Parameters<typeof translate>[1] = {}): SqlTranslation {
  const t = translate(payload, options)
  assert.equal(t.kind, 'sql')
  return t as SqlTranslation
}

function assertCode (work: () => unknown, code: string, message?: RegExp): void {
  assert.throws(work, (err: unknown) => {
    assert.ok(isFedlakeError(err), String(err))
    assert.equal(err.code, code, err.message)
    if (message !== undefined) assert.match(err.message, message)
    return true
  })
}

const parser = createSqlParser()
before(async () => { await parser.start() })
after(async () => { await parser.stop() })

/** DuckDB parses the statement (EdgeLake's date expressions resolved first, as the query node does). */
async function assertParses (t: SqlTranslation): Promise<void> {
  const text = resolveDateExpressions(t.command.sql, t.command.timezone === undefined ? {} : { timeZone: t.command.timezone })
  const parsed = await parser.parse(text)
  assert.equal(parsed.error, false, `${t.command.sql}\n${parsed.error ? parsed.error_message : ''}`)
}

describe('Grafana payload → sql command', () => {
  it('runs EdgeLake\'s time_range:false panels as written, limited to max data points', async () => {
    const t = sqlOf({ sql: 'select count(*) from alert;', time_range: false })
    assert.equal(t.text, 'sql kubearmor timezone = UTC select count(*) from alert limit 500')
    assert.equal(t.command.dbms, 'kubearmor')
    assert.equal(t.command.sql, 'select count(*) from alert limit 500')
    assert.equal(t.format, 'table')
    await assertParses(t)
  })

  it('adds no LIMIT when Grafana sends no max data points (EdgeLake writes limit 0) or the SQL has one', async () => {
    const bare = sqlOf({ sql: 'select pod_name, count(*) from alert group by pod_name', time_range: false }, { request: request({ maxDataPoints: undefined }) })
    assert.equal(bare.command.sql, 'select pod_name, count(*) from alert group by pod_name')
    const own = sqlOf({ sql: 'select pod_name from alert order by pod_name limit 3', time_range: false })
    assert.equal(own.command.sql, 'select pod_name from alert order by pod_name limit 3')
    const payloadLimit = sqlOf({ sql: 'select pod_name from alert', time_range: false, limit: 20 })
    assert.equal(payloadLimit.command.sql, 'select pod_name from alert limit 20')
  })

  it('injects the dashboard range into the WHERE clause, before GROUP BY, with the guessed or named time column', async () => {
    const grouped = sqlOf({ sql: 'select resource, count(*) from alert group by resource order by 2 desc' })
    assert.equal(grouped.command.sql, `select resource, count(*) from alert where "timestamp" >= ${RANGE} "timestamp" <= '${TO}' group by resource order by 2 desc limit 500`)
    await assertParses(grouped)
    const existing = sqlOf({ sql: "select count(*) from alert where operation = 'File' or operation = 'Network'", time_column: 'updated_timestamp', where: 'severity > 4' })
    assert.equal(existing.command.sql,
      `select count(*) from alert where ((updated_timestamp >= '${FROM}' and updated_timestamp <= '${TO}') and (severity > 4)) and (operation = 'File' or operation = 'Network') limit 500`.replace(/updated_timestamp (>=|<=)/g, '"updated_timestamp" $1'))
    await assertParses(existing)
    // a table without a timestamp column keeps its SQL (EdgeLake's rule: the range needs a known time column)
    const noTime = sqlOf({ sql: 'select device, sum(n) from notime group by device' }, { target: 'test.notime' })
    assert.equal(noTime.command.sql, 'select device, sum(n) from notime group by device limit 500')
  })

  it('does not take strings, comments or nested FROM/WHERE for clauses', async () => {
    const sql = "select extract(year from \"timestamp\") as y, count(*) filter (where pod_name = 'where x group by') from alert -- where\n group by 1"
    const edited = withCondition(sql, 'severity > 1')
    assert.equal(edited, "select extract(year from \"timestamp\") as y, count(*) filter (where pod_name = 'where x group by') from alert -- where\nwhere severity > 1 group by 1")
    assert.equal(withCondition('select a from t where b = 1 -- why', 'c = 2'), 'select a from t where (c = 2) and (b = 1 -- why\n)')
    assert.equal(withCondition('select a from t -- why', 'c = 2'), 'select a from t -- why\nwhere c = 2')
    assert.equal(sqlOf({ sql: 'select count(*) from alert -- all of it', time_range: false }).command.sql, 'select count(*) from alert -- all of it\nlimit 500')
    assert.equal(fromTable(sql), 'alert')
    assert.equal(fromTable('select * from kubearmor.alert'), 'alert')
    assert.equal(fromTable('select * from "Alert" a'), 'alert')
    assert.equal(hasLimit("select 'limit 5' from alert"), false)
    assert.equal(hasLimit('select x from (select 1 as x limit 1) limit 2'), true)
    assert.deepEqual(incrementsCall('select increments(), max(ts) from t'), { start: 7, end: 19, empty: true })
    const parsed = await parser.parse(edited)
    assert.equal(parsed.error, false)
  })

  it('writes increments from the payload\'s interval, else Grafana\'s interval, else max data points', async () => {
    const base = { type: 'increments', value_column: 'severity', grafana: { format_as: 'timeseries' } }
    const fromGrafana = sqlOf(base, { request: request({ interval: '10s', intervalMs: 10_000 }) })
    assert.equal(fromGrafana.command.sql,
      `select increments(second, 10, "timestamp"), max("timestamp") as "timestamp", avg("severity") as "avg_val", min("severity") as "min_val", max("severity") as "max_val" from "alert" where "timestamp" >= ${RANGE} "timestamp" <= '${TO}'`)
    assert.equal(fromGrafana.format, 'timeseries')
    assert.deepEqual(fromGrafana.seriesNames, { base: 'alert', suffixes: { avg_val: '<avg>', min_val: '<min>', max_val: '<max>' } })
    await assertParses(fromGrafana)
    assert.match(sqlOf({ ...base, interval: '10 minutes' }).command.sql, /^select increments\(minute, 10, "timestamp"\)/)
    assert.match(sqlOf({ ...base, interval: 'dashboard' }, { request: request({ intervalMs: 3_600_000 }) }).command.sql, /^select increments\(hour, 1, "timestamp"\)/)
    assert.match(sqlOf({ ...base, grafana: { data_points: 50 } }).command.sql, /^select increments\("timestamp", 50\)/)
    // no Grafana interval: the engine divides the range into max data points
    assert.match(sqlOf(base, { request: request({ interval: undefined, intervalMs: undefined }) }).command.sql, /^select increments\("timestamp", 500\)/)
    assert.match(sqlOf({ ...base, interval: 'optimize' }).command.sql, /^select increments\("timestamp", 500\)/)
    // the interval text alone (older Grafana sends no intervalMs)
    assert.match(sqlOf(base, { request: request({ interval: '5m', intervalMs: undefined }) }).command.sql, /^select increments\(minute, 5, "timestamp"\)/)
  })

  it('chooses the step from a width as EdgeLake does', () => {
    assert.deepEqual(stepFromMs(500), { unit: 'second', count: 1 })
    assert.deepEqual(stepFromMs(2000), { unit: 'second', count: 2 })
    assert.deepEqual(stepFromMs(90_000), { unit: 'minute', count: 2 })
    assert.deepEqual(stepFromMs(86_400_000), { unit: 'day', count: 1 })
    assert.deepEqual(stepFromMs(7 * 86_400_000), { unit: 'week', count: 1 })
    assert.equal(grafanaIntervalMs('1w'), 7 * 86_400_000)
    assert.equal(grafanaIntervalMs('100ms'), 100)
    assert.equal(grafanaIntervalMs('1 hour'), undefined)
    assert.deepEqual(parseStep('2 Hours'), { unit: 'hour', count: 2 })
    assert.equal(parseStep('2m'), undefined)
  })

  it('fills the increments() placeholder and replaces the user\'s increments when the payload fixes the interval', async () => {
    const placeholder = sqlOf({ sql: 'select increments(), pod_name, count(*) from alert group by pod_name', grafana: { format_as: 'timeseries' } })
    assert.equal(placeholder.command.sql,
      `select increments(second, 2, "timestamp"), pod_name, count(*) from alert where "timestamp" >= ${RANGE} "timestamp" <= '${TO}' group by pod_name`)
    assert.equal(placeholder.format, 'timeseries')
    await assertParses(placeholder)
    const kept = sqlOf({ type: 'increments', sql: 'select increments(minute, 1, updated_timestamp), count(*) from alert', time_column: 'updated_timestamp' })
    assert.match(kept.command.sql, /^select increments\(minute, 1, updated_timestamp\), count\(\*\) from alert where "updated_timestamp" >= /)
    assert.doesNotMatch(kept.command.sql, /limit/)
    const replaced = sqlOf({ type: 'increments', interval: '1 hour', sql: 'select increments(minute, 1, updated_timestamp), count(*) from alert', time_column: 'updated_timestamp' })
    assert.match(replaced.command.sql, /^select increments\(hour, 1, "updated_timestamp"\), count\(\*\) from alert where /)
  })

  it('puts period() into the WHERE clause before GROUP BY (EdgeLake appends it after), the window ending at the range\'s end', async () => {
    const t = sqlOf({ type: 'period', sql: 'select resource, count(*) from alert group by resource', time_range: false })
    assert.equal(t.command.sql, `select resource, count(*) from alert where period(second, 2, '${TO}', "timestamp") group by resource`)
    await assertParses(t)
    const generated = sqlOf({ type: 'period', interval: '1 day', value_column: 'severity', where: "namespace = 'vault'", functions: ['count', 'max'] })
    assert.equal(generated.command.sql,
      `select max("timestamp") as "timestamp", count("severity") as "count_val", max("severity") as "max_val" from "alert" where period(day, 1, '${TO}', "timestamp", (namespace = 'vault'))`)
    await assertParses(generated)
  })

  it('guesses EdgeLake\'s time and value columns', () => {
    const t = sqlOf({ type: 'increments' }, { target: 'test.readings' })
    assert.match(t.command.sql, /^select increments\(second, 2, "ts"\), max\("ts"\) as "timestamp", avg\("value_c"\)/)
    assert.match(sqlOf({ type: 'increments' }).command.sql, /avg\("severity"\)/, 'the first numeric column when none is named value...')
  })

  it('runs in the payload\'s timezone, else the dashboard\'s, else UTC', () => {
    assert.equal(sqlOf({ sql: 'select 1 from alert', timezone: 'et' }).command.timezone, 'America/New_York')
    assert.equal(sqlOf({ sql: 'select 1 from alert' }, { request: request({ timezone: 'Europe/Paris' }) }).command.timezone, 'Europe/Paris')
    assert.equal(sqlOf({ sql: 'select 1 from alert' }, { request: request({ timezone: 'browser' }) }).command.timezone, 'UTC')
    assert.equal(sqlOf({ sql: 'select 1 from alert', timezone: 'utc' }, { request: request({ timezone: 'Europe/Paris' }) }).command.timezone, 'UTC')
    assertCode(() => translate({ sql: 'select 1 from alert', timezone: 'Mars/Olympus' }), 'GRAFANA_BAD_PAYLOAD', /unknown timezone/)
  })

  it('keeps template variables as Grafana interpolated them and applies ad-hoc filters on the table\'s own columns', async () => {
    // ${namespace:sqlstring} with two values selected, as the plugin sends the payload
    const t = sqlOf({ sql: "select pod_name, count(*) from alert where namespace in ('default','vault') group by pod_name", time_range: false },
      { request: request({ filters: [{ key: 'operation', operator: '=', value: "it's" }, { key: 'no_such_column', operator: '=', value: 'x' }, { key: 'resource', operator: '=~', value: '^/etc' }] }) })
    assert.equal(t.command.sql,
      `select pod_name, count(*) from alert where (("operation" = 'it''s') and (regexp_matches(CAST("resource" AS VARCHAR), '^/etc'))) and (namespace in ('default','vault')) group by pod_name limit 500`)
    await assertParses(t)
    assertCode(() => translate({ sql: 'select 1 from alert' }, { request: request({ filters: [{ key: 'pod_name', operator: 'like', value: 'x' }] }) }), 'GRAFANA_BAD_REQUEST', /operator 'like'/)
  })

  it('reads the dbms from the payload, the metric or the al.dbms header, and passes include/extend on', () => {
    assert.equal(sqlOf({ sql: 'select 1 from readings', dbms: 'test' }, { target: 'whatever' }).command.dbms, 'test')
    assert.equal(sqlOf({ sql: 'select 1 from readings' }, { target: 'readings', defaultDbms: 'test' }).command.dbms, 'test')
    assert.equal(sqlOf({ sql: 'select 1 from readings', table: 'test.readings' }, { target: 'x' }).command.dbms, 'test')
    assertCode(() => translate({ sql: 'select 1 from readings' }, { target: 'readings' }), 'GRAFANA_BAD_PAYLOAD', /al\.dbms/)
    const extended = sqlOf({ type: 'increments', value_column: 'severity', extend: ['+node_name as node', '@table_name'] })
    assert.deepEqual(extended.command.extend?.map(e => e.name), ['node', 'table_name'])
    assert.match(extended.command.sql, /, "node", "table_name", max\("timestamp"\) as "timestamp", .* group by "node", "table_name"$/)
  })

  it('turns info payloads into the command to run', () => {
    assert.deepEqual(translate({ type: 'info', details: 'get data nodes where format = json' }), { kind: 'info', refId: 'A', command: 'get data nodes where format = json' })
  })

  it('accepts payloads as JSON strings and builder mode\'s strings', () => {
    const t = sqlOf('{"sql": "select count(*) from alert", "time_range": "false", "limit": "7"}')
    assert.equal(t.command.sql, 'select count(*) from alert limit 7')
    const legacy = readQueryRequest({ targets: [{ refId: 'B', target: 'kubearmor.alert', type: 'timeserie', data: { sql: 'select 1' } }, { refId: 'C', target: 'x', hide: true }, { refId: 'D' }] })
    assert.equal(legacy.targets.length, 1)
    assert.equal(legacy.targets[0]?.format, 'timeseries')
    assert.deepEqual(legacy.targets[0]?.payload, { sql: 'select 1' })
  })

  it('refuses what it cannot answer with the code that says why', () => {
    assertCode(() => translate({ sql: 'delete from alert' }), 'GRAFANA_BAD_PAYLOAD', /must be a SELECT/)
    assertCode(() => translate({}), 'GRAFANA_BAD_PAYLOAD', /needs "sql"/)
    assertCode(() => translate('{"sql": '), 'GRAFANA_BAD_PAYLOAD', /not valid JSON/)
    assertCode(() => translate({ type: 'aggregations' }), 'GRAFANA_UNSUPPORTED')
    assertCode(() => translate({ type: 'map' }), 'GRAFANA_UNSUPPORTED')
    assertCode(() => translate({ sql: 'select 1 from alert', servers: '10.0.0.1:32148' }), 'GRAFANA_UNSUPPORTED', /servers/)
    assertCode(() => translate({ type: 'info' }), 'GRAFANA_BAD_PAYLOAD', /details/)
    assertCode(() => translate({ type: 'increments', interval: 'fortnightly' }), 'GRAFANA_BAD_PAYLOAD', /interval/)
    assertCode(() => translate({ type: 'increments', functions: ['median'] }), 'GRAFANA_BAD_PAYLOAD', /functions/)
    assertCode(() => translate({ type: 'increments' }, { target: 'test.notime' }), 'GRAFANA_NO_TIME_COLUMN', /time_column/)
    assertCode(() => translate({ type: 'increments', time_column: 'ts' }, { target: 'test.nosuch' }), 'NETWORK_UNKNOWN_TABLE')
    assertCode(() => translate({ type: 'period', value_column: 'severity' }, { request: request({ interval: undefined, intervalMs: undefined }) }), 'GRAFANA_BAD_PAYLOAD', /period payload needs an "interval"/)
    assertCode(() => translate({ type: 'increments' }, { request: request({ range: undefined }) }), 'GRAFANA_BAD_REQUEST', /range/)
    assertCode(() => readQueryRequest({ targets: 'A' }), 'GRAFANA_BAD_REQUEST', /targets/)
    assertCode(() => readQueryRequest({ targets: [], range: { from: TO, to: FROM } }), 'GRAFANA_BAD_REQUEST', /after/)
  })
})
