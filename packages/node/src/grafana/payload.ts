/**
 * A target's payload (the "Additional JSON Data" / payload editor of the JSON datasource) with EdgeLake's keys
 * (reference/grafana.md §2.3), read into typed fields. Code mode sends the JSON the user wrote; builder mode sends
 * every value as a string (arrays as arrays of strings), so booleans, numbers and lists are read from either form.
 * Keys fedlake does not use (`instructions`, `trace_level`, EdgeLake's `time__column` typo) are ignored.
 */
import { FedlakeError } from '@fedlake/core'
import { resolveTimeZone } from '@fedlake/sql'
import type { TimeZone } from '@fedlake/sql'
import { GRAFANA_ERRORS } from './errors.js'
import { parseStep } from './intervals.js'
import type { TimeStep } from './intervals.js'
import { isSelect, withoutTrailingSemicolons } from './sql-text.js'

export type PayloadType = 'sql' | 'increments' | 'period' | 'info'
export type OutputFormat = 'table' | 'timeseries'
export type SeriesFunction = 'avg' | 'min' | 'max' | 'range' | 'count'

export const SERIES_FUNCTIONS: readonly SeriesFunction[] = ['avg', 'min', 'max', 'range', 'count']
export const PAYLOAD_TYPES: readonly PayloadType[] = ['sql', 'increments', 'period', 'info']

/** `interval`: a fixed step, Grafana's own interval (`dashboard`), or the engine's choice from the number of points (`optimize`). */
export type PayloadInterval = TimeStep | 'dashboard' | 'optimize'

export interface Payload {
  readonly type: PayloadType
  /** A SELECT, without trailing semicolons. */
  readonly sql?: string
  readonly dbms?: string
  /** `table` or `dbms.table`. */
  readonly table?: string
  readonly timeColumn?: string
  readonly valueColumns?: readonly string[]
  readonly functions?: readonly SeriesFunction[]
  /** An extra SQL condition. */
  readonly where?: string
  /** Add the dashboard's time range to the query. @default true */
  readonly timeRange: boolean
  readonly interval?: PayloadInterval
  readonly formatAs?: OutputFormat
  /** `grafana.data_points`: a number of points for increments, or `fixed` (points on Grafana's grid, empty slots null). */
  readonly dataPoints?: number | 'fixed'
  /** `include`, `extend`: the sql command's options of the same names. */
  readonly include?: readonly string[]
  readonly extend?: readonly string[]
  readonly timeZone?: TimeZone
  /** The EdgeLake command of an `info` payload. */
  readonly details?: string
  /** LIMIT of a `sql` payload (default: the panel's max data points). */
  readonly limit?: number
  /** Answer with the operators that replied when some fail. */
  readonly subset?: boolean
}

export function readPayload (raw: Readonly<Record<string, unknown>>): Payload {
  const grafana = isObject(raw.grafana) ? raw.grafana : {}
  const sqlText = optionalString(raw, 'sql')
  const sql = sqlText === undefined || sqlText.trim() === '' ? undefined : withoutTrailingSemicolons(sqlText.trim())
  if (sql !== undefined && !isSelect(sql)) throw bad(`payload "sql" must be a SELECT statement, not '${sql.slice(0, 40)}'`)
  const type = payloadType(raw.type, sql)
  const payload: { -readonly [K in keyof Payload]: Payload[K] } = { type, timeRange: optionalBoolean(raw, 'time_range') ?? true }
  if (sql !== undefined) payload.sql = sql
  if (type === 'sql' && sql === undefined) throw bad('payload needs "sql" (a SELECT), or a "type": increments, period or info')
  for (const [key, field] of [['dbms', 'dbms'], ['table', 'table'], ['time_column', 'timeColumn'], ['where', 'where'], ['details', 'details']] as const) {
    const value = optionalString(raw, key)
    if (value !== undefined && value.trim() !== '') payload[field] = value.trim()
  }
  const valueColumns = optionalList(raw, 'value_column')
  if (valueColumns !== undefined && valueColumns.length > 0) payload.valueColumns = valueColumns
  const functions = optionalList(raw, 'functions')
  if (functions !== undefined && functions.length > 0) payload.functions = functions.map(seriesFunction)
  const interval = optionalString(raw, 'interval')
  if (interval !== undefined && interval.trim() !== '') payload.interval = payloadInterval(interval)
  const formatAs = optionalString(grafana, 'format_as') ?? optionalString(raw, 'format_as')
  if (formatAs !== undefined && formatAs.trim() !== '') payload.formatAs = outputFormat(formatAs)
  const dataPoints = grafana.data_points ?? raw.data_points
  if (dataPoints !== undefined && dataPoints !== '') payload.dataPoints = dataPointsOf(dataPoints)
  for (const key of ['include', 'extend'] as const) {
    const list = optionalList(raw, key)
    if (list !== undefined && list.length > 0) payload[key] = list
  }
  const timeZone = optionalString(raw, 'timezone')
  if (timeZone !== undefined && timeZone.trim() !== '') {
    const zone = resolveTimeZone(timeZone)
    if (zone === undefined) throw bad(`unknown timezone '${timeZone}' (use utc, local, pt, mt, ct, et or a zone name such as Europe/Paris)`)
    payload.timeZone = zone
  }
  const limit = optionalNumber(raw, 'limit')
  if (limit !== undefined) {
    if (!Number.isSafeInteger(limit) || limit < 1) throw bad(`payload "limit" must be a positive integer, not ${String(raw.limit)}`)
    payload.limit = limit
  }
  const subset = optionalBoolean(raw, 'subset')
  if (subset !== undefined) payload.subset = subset
  if (type === 'info' && payload.details === undefined) throw bad('an info payload needs "details": the EdgeLake command to run, e.g. "get data nodes where format = json"')
  if (raw.servers !== undefined && raw.servers !== '' && !(Array.isArray(raw.servers) && raw.servers.length === 0)) {
    throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_UNSUPPORTED, 'payload "servers" is not supported: the metadata chooses the operators (use include, extend or subset instead)')
  }
  return payload
}

function payloadType (value: unknown, sql: string | undefined): PayloadType {
  if (value === undefined || value === null || value === '') {
    if (sql !== undefined && /^\s*select\s+increments\s*\(/i.test(sql)) return 'increments'
    return 'sql'
  }
  const type = typeof value === 'string' ? value.trim().toLowerCase() : ''
  if ((PAYLOAD_TYPES as readonly string[]).includes(type)) return type as PayloadType
  if (type === 'aggregations' || type === 'map') {
    throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_UNSUPPORTED, `payload type '${type}' is not supported by fedlake (use sql, increments, period or info)`)
  }
  throw bad(`unknown payload type '${String(value)}' (use sql, increments, period or info)`)
}

function payloadInterval (text: string): PayloadInterval {
  const lower = text.trim().toLowerCase()
  if (lower === 'dashboard' || lower === 'optimize') return lower
  const step = parseStep(text)
  if (step === undefined) throw bad(`payload "interval" must be '<count> <unit>' (e.g. '10 minutes'), 'dashboard' or 'optimize', not '${text}'`)
  return step
}

function outputFormat (text: string): OutputFormat {
  const lower = text.trim().toLowerCase()
  if (lower === 'table') return 'table'
  if (lower === 'timeseries' || lower === 'timeserie' || lower === 'time_series') return 'timeseries'
  throw bad(`grafana.format_as must be 'table' or 'timeseries', not '${text}'`)
}

function dataPointsOf (value: unknown): number | 'fixed' {
  if (typeof value === 'string' && value.trim().toLowerCase() === 'fixed') return 'fixed'
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN
  if (!Number.isSafeInteger(n) || n < 1) throw bad(`grafana.data_points must be a positive integer or 'fixed', not ${JSON.stringify(value)}`)
  return n
}

function seriesFunction (name: string): SeriesFunction {
  const lower = name.trim().toLowerCase()
  if ((SERIES_FUNCTIONS as readonly string[]).includes(lower)) return lower as SeriesFunction
  throw bad(`payload "functions" takes ${SERIES_FUNCTIONS.join(', ')}, not '${name}'`)
}

function bad (message: string): FedlakeError {
  return new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_PAYLOAD, message)
}

export function isObject (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function optionalString (raw: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = raw[key]
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  throw bad(`payload "${key}" must be a string`)
}

function optionalBoolean (raw: Readonly<Record<string, unknown>>, key: string): boolean | undefined {
  const value = raw[key]
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'boolean') return value
  if (value === 'true' || value === 'false') return value === 'true'
  throw bad(`payload "${key}" must be true or false, not ${JSON.stringify(value)}`)
}

function optionalNumber (raw: Readonly<Record<string, unknown>>, key: string): number | undefined {
  const value = raw[key]
  if (value === undefined || value === null || value === '') return undefined
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN
  if (Number.isNaN(n)) throw bad(`payload "${key}" must be a number, not ${JSON.stringify(value)}`)
  return n
}

/** A list: a JSON array of strings, or one string (comma-separated, as builder mode's inputs give them). */
function optionalList (raw: Readonly<Record<string, unknown>>, key: string): string[] | undefined {
  const value = raw[key]
  if (value === undefined || value === null) return undefined
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.trim().replace(/^\((.*)\)$/s, '$1').split(',') : [value]
  return items.map(item => {
    if (typeof item !== 'string') throw bad(`payload "${key}" must be a string or a list of strings`)
    return item.trim()
  }).filter(item => item !== '')
}
