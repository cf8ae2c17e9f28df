/**
 * EdgeLake reply bodies for a SELECT (reference/edgelake.md §1.7), always valid JSON / NDJSON, built batch by
 * batch as a result streams in — the one encoder for local and network answers:
 *
 * | format      | stat=true                                                        | stat=false               |
 * |-------------|------------------------------------------------------------------|--------------------------|
 * | json        | {"Query":[{..},..],"Statistics":[{..}]}                          | {"Query":[{..},..]}      |
 * | json:list   | NDJSON, 2 lines: [{..},..]  then  {"Statistics":[{..}]}          | [{..},..] (one document) |
 * | json:output | NDJSON: one row object per line, then {"Statistics":[{..}]}      | NDJSON rows only         |
 * | table       | blank line, text table (core renderTextTable), blank line, stats | the text table           |
 *
 * One-document formats (json, json:list, table) are complete or refused: the encoder keeps them, bounded by
 * `maxBytes` and `maxRows` (SQL_RESULT_TOO_LARGE beyond, naming the cap and the ways around it), and the
 * body goes out only when the result has ended. json:output streams without a cap; a stream cut by a
 * deadline or an error ends with one error record, `{"Error":{...}}` (see `errorRecord`), instead of the
 * statistics.
 *
 * Empty results: json + stat=false is EdgeLake's {"reply":"Empty data set"}; json + stat=true keeps an empty
 * "Query":[] next to the statistics; json:list is [], json:output has no row lines.
 *
 * Statistics: {"Count":rows,"Time":"HH:MM:SS","Time ms":elapsed,"Nodes":k}. "Time" keeps EdgeLake's
 * 1-second resolution; "Time ms" (our addition) carries the elapsed time in milliseconds. When some target
 * nodes did not reply (subset), "Target Nodes" and "Participating Nodes" replace "Nodes", as EdgeLake does.
 *
 * Rows are objects keyed by column name in column order; DuckDB's name for an unaliased count(*),
 * `count_star()`, is EdgeLake's `count(*)`; a repeated name gets a _1, _2... suffix so no value is lost.
 * Values follow @fedlake/sql's rules (result-values.ts).
 */
import { FedlakeError, renderTextTable } from '@fedlake/core'
import type { JsonValue } from '@fedlake/core'
import { jsonTextEncoders, jsonValueDecoders, SQL_ERRORS } from '@fedlake/sql'
import type { JsonTextEncoder, JsonValueDecoder, ResultBatch, ResultField, TimeZone } from '@fedlake/sql'
import type { SqlFormat } from './sql-command.js'

export type NodeCount = number | { readonly target: number, readonly participating: number }

export interface ReplyOptions {
  readonly format: SqlFormat
  readonly stat: boolean
  /** Time zone of timestamps. @default UTC */
  readonly timeZone?: TimeZone
  /** Largest one-document body, in UTF-8 bytes. */
  readonly maxBytes: number
  /** Most rows in a one-document body. */
  readonly maxRows: number
}

export interface ReplyStatistics {
  readonly elapsedMs: number
  /** Operators that answered (0 for a local query), or target/participating when some did not. */
  readonly nodes: NodeCount
}

export interface ReplyEncoder {
  readonly contentType: string
  /** True for json:output: `add` returns text to send at once. */
  readonly streaming: boolean
  /** Takes rows [start, end) of a batch (all by default); returns the text to send now (streaming) or '' (kept until `finish`). */
  add(batch: ResultBatch, start?: number, end?: number): string
  /** The rest of the body once the result has ended (the whole document for one-document formats). */
  finish(statistics: ReplyStatistics): string
  /** Rows taken so far. */
  rows(): number
}

export const JSON_CONTENT_TYPE = 'application/json'
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson'
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8'

export function createReplyEncoder (fields: readonly ResultField[], options: ReplyOptions): ReplyEncoder {
  const names = replyColumnNames(fields)
  switch (options.format) {
    case 'json:output': return new RowLinesEncoder(names, fields, options)
    case 'table': return new TableEncoder(names, fields, options)
    case 'json': case 'json:list': return new DocumentEncoder(names, fields, options)
  }
}

/** The last line of a json:output stream that was cut: it names the error and how many rows came before. */
export function errorRecord (error: Readonly<Record<string, JsonValue>>, rowsSent: number): string {
  return `{"Error":${JSON.stringify({ ...error, rows_sent: rowsSent })}}\n`
}

/** Keys of the trailer lines; a result's only column never takes one, so no row can pass for a trailer. */
const TRAILER_KEYS = new Set(['Statistics', 'Error'])

/** Column names as replies show them (EdgeLake's count(*), repeated names made unique). */
export function replyColumnNames (fields: readonly ResultField[]): string[] {
  const used = new Set<string>(fields.length === 1 ? TRAILER_KEYS : [])
  return fields.map(field => {
    const name = field.name === 'count_star()' ? 'count(*)' : field.name
    let candidate = name
    for (let n = 1; used.has(candidate); n++) candidate = `${name}_${n}`
    used.add(candidate)
    return candidate
  })
}

/** Seconds as EdgeLake's "HH:MM:SS" (hours may exceed 99). */
export function formatElapsed (elapsedMs: number): string {
  const total = Math.max(0, Math.floor(elapsedMs / 1000))
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`
}

/** Writes row objects as JSON text: the keys once, the values through each column's encoder. */
class RowWriter {
  private readonly keys: string[]
  private readonly encoders: JsonTextEncoder[]

  constructor (names: readonly string[], fields: readonly ResultField[], options: ReplyOptions) {
    this.keys = names.map((name, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`)
    this.encoders = jsonTextEncoders(fields, options.timeZone === undefined ? {} : { timeZone: options.timeZone })
  }

  /** Rows [start, end) of the batch as JSON objects joined by `separator` (and ending with it when `trailing`). */
  write (batch: ResultBatch, start: number, end: number, separator: string, trailing: boolean): string {
    const parts = new Array<string>(end - start)
    const { keys, encoders } = this
    const vectors = batch.vectors
    for (let r = start; r < end; r++) {
      let text = ''
      for (let c = 0; c < keys.length; c++) text += (keys[c] as string) + (encoders[c] as JsonTextEncoder)(vectors[c] as never, r)
      parts[r - start] = keys.length === 0 ? '{}' : text + '}'
    }
    const joined = parts.join(separator)
    return trailing && parts.length > 0 ? joined + separator : joined
  }
}

class RowLinesEncoder implements ReplyEncoder {
  readonly contentType = NDJSON_CONTENT_TYPE
  readonly streaming = true
  private readonly writer: RowWriter
  private count = 0

  constructor (names: readonly string[], fields: readonly ResultField[], private readonly options: ReplyOptions) {
    this.writer = new RowWriter(names, fields, options)
  }

  add (batch: ResultBatch, start = 0, end = batch.rowCount): string {
    this.count += end - start
    return this.writer.write(batch, start, end, '\n', true)
  }

  finish (statistics: ReplyStatistics): string {
    return this.options.stat ? `{"Statistics":[${statisticsJson(this.count, statistics)}]}\n` : ''
  }

  rows (): number { return this.count }
}

/** json and json:list: the rows are kept as text, within the caps, until the result has ended. */
class DocumentEncoder implements ReplyEncoder {
  readonly contentType: string
  readonly streaming = false
  private readonly writer: RowWriter
  private readonly parts: string[] = []
  private bytes = 0
  private count = 0

  constructor (names: readonly string[], fields: readonly ResultField[], private readonly options: ReplyOptions) {
    this.writer = new RowWriter(names, fields, options)
    this.contentType = options.format === 'json:list' && options.stat ? NDJSON_CONTENT_TYPE : JSON_CONTENT_TYPE
  }

  add (batch: ResultBatch, start = 0, end = batch.rowCount): string {
    if (end <= start) return ''
    this.count += end - start
    if (this.count > this.options.maxRows) throw tooLarge(this.options, `more than ${this.options.maxRows} rows`, 'limits.maxReplyRows')
    const text = this.writer.write(batch, start, end, ',', false)
    this.bytes += Buffer.byteLength(text) + 1
    if (this.bytes > this.options.maxBytes) throw tooLarge(this.options, `more than ${this.options.maxBytes} bytes`, 'limits.maxReplyBytes')
    this.parts.push(text)
    return ''
  }

  finish (statistics: ReplyStatistics): string {
    const rows = this.parts.join(',')
    this.parts.length = 0
    const stats = `{"Statistics":[${statisticsJson(this.count, statistics)}]}`
    if (this.options.format === 'json:list') return this.options.stat ? `[${rows}]\n${stats}\n` : `[${rows}]`
    if (this.count === 0 && !this.options.stat) return '{"reply":"Empty data set"}'
    return this.options.stat ? `{"Query":[${rows}],${stats.slice(1)}` : `{"Query":[${rows}]}`
  }

  rows (): number { return this.count }
}

/** The text table: its rows are kept as values, and its size once rendered (at most: every cell padded to its column's width) is checked against the cap as they come. */
class TableEncoder implements ReplyEncoder {
  readonly contentType = TEXT_CONTENT_TYPE
  readonly streaming = false
  private readonly decoders: JsonValueDecoder[]
  private readonly table: JsonValue[][] = []
  private readonly widths: number[]

  constructor (private readonly names: readonly string[], fields: readonly ResultField[], private readonly options: ReplyOptions) {
    this.decoders = jsonValueDecoders(fields, options.timeZone === undefined ? {} : { timeZone: options.timeZone })
    this.widths = names.map(name => name.length)
  }

  add (batch: ResultBatch, start = 0, end = batch.rowCount): string {
    if (this.table.length + end - start > this.options.maxRows) throw tooLarge(this.options, `more than ${this.options.maxRows} rows`, 'limits.maxReplyRows')
    const widths = this.widths
    for (let r = start; r < end; r++) {
      const row = this.decoders.map((decode, c) => decode(batch.vectors[c] as never, r))
      for (let c = 0; c < row.length; c++) widths[c] = Math.max(widths[c] ?? 0, cellLength(row[c] ?? null))
      this.table.push(row)
    }
    // the header, its underline and each row: every column at its width, one separator after each
    const lineBytes = widths.reduce((n, w) => n + w + 1, 0)
    if ((this.table.length + 2) * lineBytes > this.options.maxBytes) throw tooLarge(this.options, `more than ${this.options.maxBytes} bytes`, 'limits.maxReplyBytes')
    return ''
  }

  finish (statistics: ReplyStatistics): string {
    const text = renderTextTable(this.names, this.table)
    const count = this.table.length
    this.table.length = 0
    return this.options.stat ? `\n${text}\n${tableStatistics(count, statistics)}\n` : `\n${text}`
  }

  rows (): number { return this.table.length }
}

function cellLength (value: JsonValue): number {
  if (value === null) return 0
  if (typeof value === 'string') return value.length
  if (typeof value === 'object') return JSON.stringify(value).length
  return String(value).length
}

function tooLarge (options: ReplyOptions, what: string, setting: string): FedlakeError {
  return new FedlakeError(SQL_ERRORS.SQL_RESULT_TOO_LARGE,
    `the result has ${what}, over this node's cap for format=${options.format} (${setting}); stream it with format=json:output, or narrow it with WHERE or LIMIT`,
    { format: options.format, maxRows: options.maxRows, maxBytes: options.maxBytes, setting })
}

function statisticsFields (count: number, statistics: ReplyStatistics): [string, JsonValue][] {
  const fields: [string, JsonValue][] = [
    ['Count', count],
    ['Time', formatElapsed(statistics.elapsedMs)],
    ['Time ms', Math.round(Math.max(0, statistics.elapsedMs) * 1000) / 1000]
  ]
  const nodes = statistics.nodes
  if (typeof nodes === 'number') fields.push(['Nodes', nodes])
  else if (nodes.target === nodes.participating) fields.push(['Nodes', nodes.participating])
  else fields.push(['Target Nodes', nodes.target], ['Participating Nodes', nodes.participating])
  return fields
}

function statisticsJson (count: number, statistics: ReplyStatistics): string {
  return `{${statisticsFields(count, statistics).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`
}

/** EdgeLake's table trailer: the statistics object split over lines (still one valid JSON document). */
function tableStatistics (count: number, statistics: ReplyStatistics): string {
  const indent = ' '.repeat('{"Statistics":[{'.length)
  const fields = statisticsFields(count, statistics).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
  return `{"Statistics":[{${fields.join(`,\n${indent}`)}}]}`
}
