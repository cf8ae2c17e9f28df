/**
 * Answers in the shapes Grafana's `toDataFrame` reads (reference/grafana.md §1.4), which simple-json takes
 * literally too:
 *
 * - table: `{type: "table", refId, columns: [{text, type}], rows}` with real types (time in epoch ms, numbers
 *   as numbers), where EdgeLake sends every value as a string and timestamps as "timestamp" (not a Grafana type);
 * - time series: `{target, refId, datapoints: [[value, epoch ms], ...], tags}` in ascending time, one series
 *   per value column and per combination of the text columns (`group by pod_name` gives a series per pod).
 */
import { FedlakeError } from '@fedlake/core'
import type { CommandReply, JsonValue } from '@fedlake/core'
import type { AnswerColumns, AnswerField, FieldKind } from './answer-columns.js'
import { GRAFANA_ERRORS } from './errors.js'
import { isObject } from './payload.js'
import type { TimeRange } from './query-request.js'
import type { SeriesNames } from './translate.js'

export interface TableElement {
  readonly type: 'table'
  readonly refId: string
  readonly columns: readonly { readonly text: string, readonly type: FieldKind }[]
  readonly rows: readonly (readonly JsonValue[])[]
}

export interface SeriesElement {
  readonly target: string
  readonly refId: string
  readonly datapoints: readonly (readonly [number | null, number])[]
  readonly tags?: Readonly<Record<string, string>>
}

export function tableElement (refId: string, answer: AnswerColumns): TableElement {
  const rows: JsonValue[][] = []
  for (let r = 0; r < answer.rowCount; r++) rows.push(answer.values.map(column => column[r] ?? null))
  return { type: 'table', refId, columns: answer.fields.map(f => ({ text: f.name, type: f.kind }) as const), rows }
}

export interface SeriesOptions {
  readonly refId: string
  /** The payload's time column, when it is a column of the answer. */
  readonly timeColumn?: string
  readonly seriesNames?: SeriesNames
  /** Grafana's grid (range and interval) when the payload asks for `data_points: "fixed"`. */
  readonly grid?: { readonly range: TimeRange, readonly intervalMs: number }
}

export function seriesElements (answer: AnswerColumns, options: SeriesOptions): SeriesElement[] {
  const { fields } = answer
  const time = timeFieldIndex(fields, options.timeColumn)
  if (time < 0) {
    throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_NO_TIME_COLUMN, `a time series needs a timestamp column in the answer (it has ${fields.map(f => f.name).join(', ')}); select one, or use "grafana": {"format_as": "table"}`)
  }
  // a statement fedlake wrote names its value columns; in the user's SQL, numbers are values and text labels
  const suffixes = options.seriesNames?.suffixes
  const isValue = (f: AnswerField): boolean => suffixes === undefined ? f.kind === 'number' || f.kind === 'boolean' : Object.hasOwn(suffixes, f.name)
  const isLabel = (f: AnswerField): boolean => suffixes === undefined ? f.kind === 'string' : !isValue(f) && f.kind !== 'time'
  const labels = fields.flatMap((f, i) => i !== time && isLabel(f) ? [i] : [])
  const valueFields = fields.flatMap((f, i) => i !== time && isValue(f) ? [i] : [])
  if (valueFields.length === 0) {
    throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_NO_VALUE_COLUMN, `a time series needs a numeric column in the answer (it has ${fields.map(f => f.name).join(', ')})`)
  }
  const times = answer.values[time] as JsonValue[]
  const series = new Map<string, { target: string, tags: Record<string, string>, points: [number | null, number][] }>()
  for (let r = 0; r < answer.rowCount; r++) {
    const t = times[r]
    if (typeof t !== 'number') continue
    const labelValues = labels.map(i => String(answer.values[i]?.[r] ?? ''))
    for (const v of valueFields) {
      const key = JSON.stringify([labelValues, v])
      let s = series.get(key)
      if (s === undefined) {
        const name = seriesName(labelValues, (fields[v] as AnswerField).name, valueFields.length, options.seriesNames)
        s = { target: name, tags: Object.fromEntries(labels.map((i, l) => [(fields[i] as AnswerField).name, labelValues[l] as string])), points: [] }
        series.set(key, s)
      }
      s.points.push([numberOf(answer.values[v]?.[r] ?? null), t])
    }
  }
  return [...series.values()].map(s => {
    const sorted = s.points.sort((a, b) => a[1] - b[1])
    const datapoints = options.grid === undefined ? sorted : onGrid(sorted, options.grid)
    return { target: s.target, refId: options.refId, datapoints, ...(labels.length > 0 ? { tags: s.tags } : {}) }
  })
}

/** The named time column, else the first time-typed one. */
function timeFieldIndex (fields: readonly AnswerField[], named: string | undefined): number {
  if (named !== undefined) {
    const i = fields.findIndex(f => f.kind === 'time' && f.name.toLowerCase() === named.toLowerCase())
    if (i >= 0) return i
  }
  return fields.findIndex(f => f.kind === 'time')
}

function seriesName (labels: readonly string[], column: string, valueCount: number, names: SeriesNames | undefined): string {
  const suffix = names?.suffixes[column]
  if (suffix !== undefined) return labels.length === 0 ? `${names?.base ?? ''}${suffix}` : `${labels.join('.')}.${suffix}`
  if (labels.length === 0) return column
  return valueCount === 1 ? labels.join(' ') : `${labels.join(' ')} ${column}`
}

function numberOf (value: JsonValue): number | null {
  if (typeof value === 'number') return value
  if (typeof value === 'boolean') return value ? 1 : 0
  return null
}

/** Points placed on Grafana's grid (from range.from, every interval): a slot takes its last point, empty slots null. */
function onGrid (points: readonly [number | null, number][], grid: { range: TimeRange, intervalMs: number }): [number | null, number][] {
  const { range, intervalMs } = grid
  const slots = Math.floor((range.toMs - range.fromMs) / intervalMs) + 1
  if (!(intervalMs > 0) || slots > 1_000_000) return [...points]
  const values: (number | null)[] = new Array<number | null>(slots).fill(null)
  for (const [value, t] of points) {
    const slot = Math.floor((t - range.fromMs) / intervalMs)
    if (slot >= 0 && slot < slots) values[slot] = value
  }
  return values.map((v, i) => [v, range.fromMs + i * intervalMs])
}

/** An EdgeLake command's reply (info payloads) as a table: columns typed from their values. */
export function replyTable (refId: string, reply: CommandReply): TableElement {
  switch (reply.kind) {
    case 'table': return typedTable(refId, [...reply.columns], reply.rows.map(r => [...r]))
    case 'json': return jsonTable(refId, reply.body)
    case 'text': return textTable(refId, reply.body)
    case 'raw': {
      if (!reply.contentType.includes('json')) return textTable(refId, reply.body)
      try { return jsonTable(refId, JSON.parse(reply.body) as JsonValue) } catch { return textTable(refId, reply.body) }
    }
    case 'stream':
      throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_PAYLOAD, 'the command streams its answer (json:output): use format = json in an info payload')
  }
}

/** `{"Query": [...]}` (sql replies), an array of objects or of values, or one object as one row. */
function jsonTable (refId: string, body: JsonValue): TableElement {
  const rows = isObject(body) && Array.isArray(body.Query) ? body.Query : Array.isArray(body) ? body : [body]
  if (rows.every(isObject)) {
    const columns = [...new Set(rows.flatMap(r => Object.keys(r as Record<string, JsonValue>)))]
    return typedTable(refId, columns, rows.map(r => columns.map(c => (r as Record<string, JsonValue>)[c] ?? null)))
  }
  return typedTable(refId, ['value'], rows.map(v => [v]))
}

function textTable (refId: string, text: string): TableElement {
  return typedTable(refId, ['result'], text.split('\n').filter(line => line.trim() !== '').map(line => [line]))
}

function typedTable (refId: string, columns: string[], rows: JsonValue[][]): TableElement {
  const kinds = columns.map((_c, i) => kindOfValues(rows.map(r => r[i] ?? null)))
  const cells = rows.map(r => columns.map((_c, i) => {
    const v = r[i] ?? null
    return v === null || kinds[i] !== 'string' || typeof v === 'string' ? v : JSON.stringify(v)
  }))
  return { type: 'table', refId, columns: columns.map((text, i) => ({ text, type: kinds[i] as FieldKind })), rows: cells }
}

function kindOfValues (values: readonly JsonValue[]): FieldKind {
  const present = values.filter(v => v !== null)
  if (present.length > 0 && present.every(v => typeof v === 'number')) return 'number'
  if (present.length > 0 && present.every(v => typeof v === 'boolean')) return 'boolean'
  return 'string'
}
