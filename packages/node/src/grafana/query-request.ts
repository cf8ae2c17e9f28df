/**
 * The body of `POST /query` as Grafana's JSON datasource sends it (reference/grafana.md §1.3): the whole
 * DataQueryRequest, of which fedlake reads the time range, the interval, max data points, the dashboard's
 * timezone, the targets and the ad-hoc filters. Every other field is ignored. Also the older shapes: simpod 0.2's
 * `data` for the payload, simple-json's target-level `type` ("timeserie"/"table") and `adhocFilters`.
 */
import { FedlakeError } from '@fedlake/core'
import { resolveTimeZone } from '@fedlake/sql'
import type { TimeZone } from '@fedlake/sql'
import { GRAFANA_ERRORS } from './errors.js'
import { grafanaIntervalMs } from './intervals.js'
import { isObject } from './payload.js'
import type { OutputFormat } from './payload.js'

export interface TimeRange {
  readonly fromMs: number
  readonly toMs: number
}

export interface AdhocFilter {
  readonly key: string
  readonly operator: string
  readonly value: string
}

export interface QueryTarget {
  readonly refId: string
  /** The metric: `dbms.table`, or a table of the header's dbms. */
  readonly target: string
  /** The payload object (`{}` when there is none). */
  readonly payload: Readonly<Record<string, unknown>>
  /** simple-json's and simpod 0.2's "Format as", when the target has one. */
  readonly format?: OutputFormat
}

export interface QueryRequest {
  readonly range?: TimeRange
  /** Grafana's interval: `intervalMs`, else `scopedVars.__interval_ms`, else the `interval` text. */
  readonly intervalMs?: number
  readonly maxDataPoints?: number
  /** The dashboard's timezone when it names a zone (not "browser" or ""). */
  readonly timeZone?: TimeZone
  readonly targets: readonly QueryTarget[]
  readonly filters: readonly AdhocFilter[]
}

export function readQueryRequest (body: unknown): QueryRequest {
  if (!isObject(body)) throw bad('the /query body must be a JSON object (Grafana\'s DataQueryRequest)')
  if (!Array.isArray(body.targets)) throw bad('the /query body has no "targets" array')
  const request: { -readonly [K in keyof QueryRequest]: QueryRequest[K] } = {
    targets: body.targets.flatMap((t, i) => readTarget(t, i)),
    filters: readFilters(body.filters ?? body.adhocFilters)
  }
  const range = readRange(body.range)
  if (range !== undefined) request.range = range
  const intervalMs = readIntervalMs(body)
  if (intervalMs !== undefined) request.intervalMs = intervalMs
  const maxDataPoints = typeof body.maxDataPoints === 'number' ? body.maxDataPoints : typeof body.maxDataPoints === 'string' ? Number(body.maxDataPoints) : NaN
  if (Number.isSafeInteger(maxDataPoints) && maxDataPoints > 0) request.maxDataPoints = maxDataPoints
  const timeZone = typeof body.timezone === 'string' && body.timezone !== 'browser' && body.timezone.trim() !== '' ? resolveTimeZone(body.timezone) : undefined
  if (timeZone !== undefined) request.timeZone = timeZone
  return request
}

/** `range: {from, to}` as ISO strings (or epoch ms); undefined when absent. */
export function readRange (value: unknown): TimeRange | undefined {
  if (value === undefined || value === null) return undefined
  if (!isObject(value)) throw bad('"range" must be an object {from, to}')
  const fromMs = instantMs(value.from)
  const toMs = instantMs(value.to)
  if (fromMs === undefined || toMs === undefined) throw bad('"range" needs "from" and "to" as ISO-8601 times (e.g. 2026-01-01T10:00:00.000Z)')
  if (fromMs > toMs) throw bad('"range.from" is after "range.to"')
  return { fromMs, toMs }
}

function instantMs (value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value !== 'string' || value.trim() === '') return undefined
  const ms = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value)
  return Number.isFinite(ms) ? ms : undefined
}

function readIntervalMs (body: Readonly<Record<string, unknown>>): number | undefined {
  if (typeof body.intervalMs === 'number' && body.intervalMs > 0) return body.intervalMs
  const scoped = isObject(body.scopedVars) && isObject(body.scopedVars.__interval_ms) ? Number(body.scopedVars.__interval_ms.value) : NaN
  if (Number.isFinite(scoped) && scoped > 0) return scoped
  return typeof body.interval === 'string' ? grafanaIntervalMs(body.interval) : undefined
}

function readTarget (value: unknown, index: number): QueryTarget[] {
  if (!isObject(value)) throw bad(`targets[${index}] must be an object`)
  // as the plugin does before sending: hidden targets and targets without a metric are not queried
  if (value.hide === true) return []
  if (typeof value.target !== 'string' || value.target.trim() === '') return []
  const refId = typeof value.refId === 'string' && value.refId !== '' ? value.refId : String.fromCharCode(65 + (index % 26))
  const target: { -readonly [K in keyof QueryTarget]: QueryTarget[K] } = { refId, target: value.target.trim(), payload: readTargetPayload(value.payload ?? value.data, refId) }
  if (typeof value.type === 'string') {
    const type = value.type.toLowerCase()
    if (type === 'timeserie' || type === 'timeseries') target.format = 'timeseries'
    else if (type === 'table') target.format = 'table'
  }
  return [target]
}

/** The payload object; a JSON string (as dashboards store it) is parsed. */
export function readTargetPayload (value: unknown, refId: string): Readonly<Record<string, unknown>> {
  if (value === undefined || value === null || value === '') return {}
  if (isObject(value)) return value
  if (typeof value === 'string') {
    let parsed: unknown
    try { parsed = JSON.parse(value) } catch (err) {
      throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_PAYLOAD, `${refId}: the payload is not valid JSON: ${(err as Error).message}`)
    }
    if (isObject(parsed)) return parsed
  }
  throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_PAYLOAD, `${refId}: the payload must be a JSON object`)
}

function readFilters (value: unknown): AdhocFilter[] {
  if (!Array.isArray(value)) return []
  return value.flatMap(f => {
    if (!isObject(f) || typeof f.key !== 'string' || f.key === '') return []
    const value = f.value === undefined || f.value === null ? '' : String(f.value)
    return [{ key: f.key, operator: typeof f.operator === 'string' ? f.operator : '=', value }]
  })
}

function bad (message: string): FedlakeError {
  return new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_REQUEST, message)
}
