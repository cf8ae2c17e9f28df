/**
 * A panel target → the EdgeLake command that answers it (reference/grafana.md §2.3-2.4, EdgeLake's
 * `make_anylog_query`, with its defects fixed):
 *
 * - `sql`: the user's SELECT, with the dashboard's time range (`T >= from and T <= to`), the payload's `where`
 *   and the ad-hoc filters joined to its WHERE clause (not appended after GROUP BY), `increments()` filled
 *   in, and `limit <max data points>` when it has no LIMIT (none when Grafana sends no max data points,
 *   where EdgeLake writes `limit 0`).
 * - `increments`: `increments(<step>, T), max(T) as timestamp, avg/min/max(V)` over the time range, the step
 *   from the payload's interval, else Grafana's interval, else max data points; or the user's SQL with the
 *   range and step put in.
 * - `period`: `period(<step>, '<range.to>', T[, (<where>)])` as a WHERE condition of the user's SQL or of the
 *   avg/min/max statement, the step from the payload's interval, else Grafana's.
 * - `info`: an EdgeLake command, run as it is.
 *
 * Every SQL command runs over the network (`run client ()`), in the payload's timezone, else the dashboard's,
 * else UTC; date strings written in the SQL are read in that zone.
 */
import { FedlakeError } from '@fedlake/core'
import type { TableSchema } from '@fedlake/core'
import { parseSqlCommand, QUERY_ERRORS } from '@fedlake/query'
import type { SqlCommand } from '@fedlake/query'
import { UTC } from '@fedlake/sql'
import { GRAFANA_ERRORS } from './errors.js'
import { stepFromMs } from './intervals.js'
import type { TimeStep } from './intervals.js'
import { readPayload } from './payload.js'
import type { OutputFormat, Payload, SeriesFunction } from './payload.js'
import type { AdhocFilter, QueryRequest, QueryTarget } from './query-request.js'
import { columnOf, guessTimeColumn, guessValueColumn } from './table-columns.js'
import type { GrafanaCatalog } from './table-columns.js'
import { appendSql, fromTable, hasLimit, incrementsCall, sqlIdentifier, sqlString, withCondition } from './sql-text.js'

export interface TranslateContext {
  readonly request: QueryRequest
  readonly catalog: GrafanaCatalog
  /** The dbms of an `al.dbms.<name>` header. */
  readonly defaultDbms?: string
}

/** Names of the series of a statement fedlake wrote: `<table><avg>`, or `<labels>.<avg>` with extend columns. */
export interface SeriesNames {
  readonly base: string
  /** Answer column → its function's suffix (`avg_val` → `<avg>`). */
  readonly suffixes: Readonly<Record<string, string>>
}

export interface SqlTranslation {
  readonly kind: 'sql'
  readonly refId: string
  /** The sql command as text (what `run client ()` would be sent): identical texts run once per request. */
  readonly text: string
  readonly command: SqlCommand
  readonly format: OutputFormat
  /** The answer's time column for time series, when the payload names one. */
  readonly timeColumn?: string
  readonly seriesNames?: SeriesNames
  /** Put the points on Grafana's grid (`data_points: "fixed"`). */
  readonly fixedGrid: boolean
  readonly subset: boolean
}

export interface InfoTranslation {
  readonly kind: 'info'
  readonly refId: string
  readonly command: string
}

export type Translation = SqlTranslation | InfoTranslation

const DEFAULT_FUNCTIONS: readonly SeriesFunction[] = ['avg', 'min', 'max']

export function translateTarget (target: QueryTarget, ctx: TranslateContext): Translation {
  const payload = readPayload(target.payload)
  if (payload.type === 'info') return { kind: 'info', refId: target.refId, command: payload.details as string }
  const { dbms, table } = tableOf(target, payload, ctx)
  const built = payload.sql === undefined ? generatedStatement(payload, dbms, table, ctx) : userStatement(payload, payload.sql, dbms, table, ctx)
  const text = commandText(dbms, payload, ctx.request, built.sql)
  return {
    kind: 'sql',
    refId: target.refId,
    text,
    command: parseSqlCommand(text),
    format: payload.formatAs ?? target.format ?? 'table',
    ...(payload.timeColumn !== undefined ? { timeColumn: payload.timeColumn } : {}),
    ...(built.seriesNames !== undefined ? { seriesNames: built.seriesNames } : {}),
    fixedGrid: payload.dataPoints === 'fixed',
    subset: payload.subset === true
  }
}

interface BuiltStatement {
  readonly sql: string
  readonly seriesNames?: SeriesNames
}

/** dbms: the payload's, else its table's `dbms.`, else the target's, else the header's. Table: the payload's, else the target's. */
function tableOf (target: QueryTarget, payload: Payload, ctx: TranslateContext): { dbms: string, table: string } {
  const fromTarget = splitTableRef(target.target)
  const fromPayload = payload.table === undefined ? undefined : splitTableRef(payload.table)
  const dbms = payload.dbms ?? fromPayload?.dbms ?? fromTarget.dbms ?? ctx.defaultDbms
  if (dbms === undefined) {
    throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_PAYLOAD, `no dbms for '${target.target}': choose a metric 'dbms.table', set payload "dbms", or add the datasource header al.dbms.<name>`)
  }
  return { dbms: dbms.toLowerCase(), table: (fromPayload?.table ?? fromTarget.table).toLowerCase() }
}

function splitTableRef (text: string): { dbms?: string, table: string } {
  const dot = text.indexOf('.')
  return dot < 0 ? { table: text.trim() } : { dbms: text.slice(0, dot).trim(), table: text.slice(dot + 1).trim() }
}

function userStatement (payload: Payload, sql: string, dbms: string, table: string, ctx: TranslateContext): BuiltStatement {
  const { request, catalog } = ctx
  const queried = fromTable(sql) ?? table
  const schema = catalog.schema(dbms, queried)
  const timeColumn = payload.timeColumn ?? guessTimeColumn(schema)
  let statement = sql
  const call = incrementsCall(statement)
  const replaceCall = call !== undefined && (call.empty || (payload.type === 'increments' && (payload.interval !== undefined || typeof payload.dataPoints === 'number')))
  if (call !== undefined && replaceCall) {
    const column = requireTimeColumn(timeColumn, dbms, queried)
    statement = `${statement.slice(0, call.start)}${incrementsText(payload, request, column)}${statement.slice(call.end)}`
  }
  const conditions: string[] = []
  if (payload.type === 'period') {
    conditions.push(periodText(payload, request, requireTimeColumn(timeColumn, dbms, queried)))
  } else {
    if (payload.timeRange && request.range !== undefined && timeColumn !== undefined) conditions.push(rangeText(request, timeColumn))
    if (payload.where !== undefined) conditions.push(payload.where)
  }
  conditions.push(...filterConditions(request.filters, schema))
  if (conditions.length > 0) statement = withCondition(statement, conditions.map(c => conditions.length > 1 ? `(${c})` : c).join(' and '))
  const limit = payload.limit ?? request.maxDataPoints
  if (payload.type === 'sql' && limit !== undefined && !hasLimit(statement)) statement = appendSql(statement, `limit ${limit}`)
  return { sql: statement }
}

/** increments or period with no SQL: fedlake writes the statement over the target's table. */
function generatedStatement (payload: Payload, dbms: string, table: string, ctx: TranslateContext): BuiltStatement {
  const schema = ctx.catalog.schema(dbms, table)
  if (schema === undefined) {
    throw new FedlakeError(QUERY_ERRORS.NETWORK_UNKNOWN_TABLE, `Table '${table}' in DBMS '${dbms}' is not in the network's metadata`, { dbms, table })
  }
  const timeColumn = requireTimeColumn(payload.timeColumn ?? guessTimeColumn(schema), dbms, table)
  const valueColumns = payload.valueColumns ?? [guessValueColumn(schema)].filter((c): c is string => c !== undefined)
  if (valueColumns.length === 0) {
    throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_NO_VALUE_COLUMN, `${dbms}.${table} has no numeric column: name one with payload "value_column"`)
  }
  const functions = payload.functions ?? DEFAULT_FUNCTIONS
  const labels = extendNames(dbms, payload)
  const suffixes: Record<string, string> = {}
  const aggregates: string[] = []
  for (const value of valueColumns) {
    for (const fn of functions) {
      const alias = valueColumns.length === 1 ? `${fn}_val` : `${fn}_${value}`
      suffixes[alias] = valueColumns.length === 1 ? `<${fn}>` : `${value}<${fn}>`
      aggregates.push(`${fn}(${columnSql(value)}) as ${sqlIdentifier(alias)}`)
    }
  }
  const request = ctx.request
  const head = payload.type === 'increments' ? [incrementsText(payload, request, timeColumn)] : []
  const select = [...head, ...labels.map(sqlIdentifier), `max(${columnSql(timeColumn)}) as "timestamp"`, ...aggregates].join(', ')
  const conditions: string[] = []
  if (payload.type === 'period') {
    conditions.push(periodText(payload, request, timeColumn))
  } else {
    if (request.range === undefined) throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_REQUEST, 'an increments payload needs the request\'s time range ("range": {from, to})')
    conditions.push(rangeText(request, timeColumn))
    if (payload.where !== undefined) conditions.push(`(${payload.where})`)
  }
  conditions.push(...filterConditions(request.filters, schema).map(c => `(${c})`))
  const groupBy = labels.length > 0 ? ` group by ${labels.map(sqlIdentifier).join(', ')}` : ''
  return {
    sql: `select ${select} from ${sqlIdentifier(table)} where ${conditions.join(' and ')}${groupBy}`,
    seriesNames: { base: table, suffixes }
  }
}

/** `increments(<unit>, <n>, T)` or `increments(T, <points>)` (the engine divides the range into that many). */
function incrementsText (payload: Payload, request: QueryRequest, timeColumn: string): string {
  const column = columnSql(timeColumn)
  if (typeof payload.dataPoints === 'number') return `increments(${column}, ${payload.dataPoints})`
  const interval = payload.interval
  if (interval !== undefined && interval !== 'dashboard' && interval !== 'optimize') return `increments(${interval.unit}, ${interval.count}, ${column})`
  if (interval !== 'optimize' && request.intervalMs !== undefined) {
    const step = stepFromMs(request.intervalMs)
    return `increments(${step.unit}, ${step.count}, ${column})`
  }
  return request.maxDataPoints === undefined ? `increments(${column})` : `increments(${column}, ${request.maxDataPoints})`
}

/** `period(<unit>, <n>, '<range.to>', T[, (<where>)])`: the window of one step ending at the latest row before the range's end. */
function periodText (payload: Payload, request: QueryRequest, timeColumn: string): string {
  const step = periodStep(payload, request)
  const date = request.range === undefined ? 'now()' : sqlString(new Date(request.range.toMs).toISOString())
  const filter = payload.where === undefined ? '' : `, (${payload.where})`
  return `period(${step.unit}, ${step.count}, ${date}, ${columnSql(timeColumn)}${filter})`
}

function periodStep (payload: Payload, request: QueryRequest): TimeStep {
  const interval = payload.interval
  if (interval !== undefined && interval !== 'dashboard' && interval !== 'optimize') return interval
  if (request.intervalMs !== undefined) return stepFromMs(request.intervalMs)
  throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_PAYLOAD, 'a period payload needs an "interval" (e.g. "1 hour") when Grafana sends none')
}

function rangeText (request: QueryRequest, timeColumn: string): string {
  const range = request.range as NonNullable<QueryRequest['range']>
  const column = columnSql(timeColumn)
  return `${column} >= ${sqlString(new Date(range.fromMs).toISOString())} and ${column} <= ${sqlString(new Date(range.toMs).toISOString())}`
}

const FILTER_OPERATORS: Readonly<Record<string, (column: string, value: string) => string>> = {
  '=': (c, v) => `${c} = ${v}`,
  '!=': (c, v) => `${c} <> ${v}`,
  '<': (c, v) => `${c} < ${v}`,
  '>': (c, v) => `${c} > ${v}`,
  '<=': (c, v) => `${c} <= ${v}`,
  '>=': (c, v) => `${c} >= ${v}`,
  '=~': (c, v) => `regexp_matches(CAST(${c} AS VARCHAR), ${v})`,
  '!~': (c, v) => `NOT regexp_matches(CAST(${c} AS VARCHAR), ${v})`
}

/** Ad-hoc filters on columns the queried table has (a dashboard's filters apply to every panel; others ignore them). */
function filterConditions (filters: readonly AdhocFilter[], schema: TableSchema | undefined): string[] {
  return filters.flatMap(filter => {
    const column = columnOf(schema, filter.key)
    if (column === undefined) return []
    const write = FILTER_OPERATORS[filter.operator]
    if (write === undefined) {
      throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_REQUEST, `ad-hoc filter operator '${filter.operator}' is not supported (use ${Object.keys(FILTER_OPERATORS).join(' ')})`)
    }
    return [write(sqlIdentifier(column.name), sqlString(filter.value))]
  })
}

function requireTimeColumn (column: string | undefined, dbms: string, table: string): string {
  if (column !== undefined) return column
  throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_NO_TIME_COLUMN, `no timestamp column found for ${dbms}.${table}: name one with payload "time_column"`)
}

/** A column name quoted; anything that is not a bare name (an expression) as written. */
function columnSql (name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? sqlIdentifier(name) : name
}

/** The columns `extend` adds to each row (`+node_name as node` → node), read by the sql command's own parser. */
function extendNames (dbms: string, payload: Payload): string[] {
  if (payload.extend === undefined) return []
  return (parseSqlCommand(`sql ${dbms} extend = (${payload.extend.join(', ')}) select 1`).extend ?? []).map(e => e.name)
}

function commandText (dbms: string, payload: Payload, request: QueryRequest, sql: string): string {
  const options = [`timezone = ${payload.timeZone ?? request.timeZone ?? UTC}`]
  if (payload.include !== undefined) options.push(`include = (${payload.include.join(', ')})`)
  if (payload.extend !== undefined) options.push(`extend = (${payload.extend.join(', ')})`)
  return `sql ${dbms} ${options.join(' and ')} ${sql}`
}
