/**
 * EdgeLake reply bodies for a SELECT (reference/edgelake.md §1.7, §10.3), always valid JSON / NDJSON:
 *
 * | format      | stat=true                                                        | stat=false               |
 * |-------------|------------------------------------------------------------------|--------------------------|
 * | json        | {"Query":[{..},..],"Statistics":[{..}]}                          | {"Query":[{..},..]}      |
 * | json:list   | NDJSON, 2 lines: [{..},..]  then  {"Statistics":[{..}]}          | [{..},..] (one document) |
 * | json:output | NDJSON: one row object per line, then {"Statistics":[{..}]}      | NDJSON rows only         |
 * | table       | blank line, text table (core renderTextTable), blank line, stats | the text table           |
 *
 * Empty results: json + stat=false is EdgeLake's {"reply":"Empty data set"}; json + stat=true keeps an empty
 * "Query":[] next to the statistics (EdgeLake omits the key; an empty array is easier on clients);
 * json:list is [], json:output has no row lines.
 *
 * Statistics: {"Count":rows,"Time":"HH:MM:SS","Time ms":elapsed,"Nodes":k}. "Time" keeps EdgeLake's
 * 1-second resolution for compatibility; "Time ms" (our addition) carries the elapsed time in milliseconds
 * with microsecond precision. When some target nodes did not reply (subset), "Target Nodes" and
 * "Participating Nodes" replace "Nodes", as EdgeLake does.
 *
 * Row objects are keyed by column name in column order (written as text, so a numeric-looking column name
 * cannot reorder the keys); a repeated column name gets a _1, _2... suffix so no value is lost.
 */
import type { JsonValue, QueryResult, RawReply } from '@fedlake/core'
import { renderTextTable } from '@fedlake/core'
import type { SqlFormat } from './sql-command.js'

export type NodeCount = number | { readonly target: number, readonly participating: number }

export interface SqlReplyOptions {
  readonly format: SqlFormat
  readonly stat: boolean
  readonly elapsedMs: number
  /** Operators that answered (0 for a local query), or target/participating when some did not. */
  readonly nodes: NodeCount
}

export const JSON_CONTENT_TYPE = 'application/json'
export const NDJSON_CONTENT_TYPE = 'application/x-ndjson'
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8'

export function formatSqlReply (result: QueryResult, options: SqlReplyOptions): RawReply {
  const names = uniqueNames(result.columns.map(c => c.name))
  const stats = statistics(result.rows.length, options)
  switch (options.format) {
    case 'json': {
      if (result.rows.length === 0 && !options.stat) return raw('{"reply":"Empty data set"}', JSON_CONTENT_TYPE)
      const query = `"Query":[${result.rows.map(row => rowObject(names, row)).join(',')}]`
      return raw(options.stat ? `{${query},"Statistics":[${stats}]}` : `{${query}}`, JSON_CONTENT_TYPE)
    }
    case 'json:list': {
      const list = `[${result.rows.map(row => rowObject(names, row)).join(',')}]`
      return options.stat ? raw(`${list}\n{"Statistics":[${stats}]}\n`, NDJSON_CONTENT_TYPE) : raw(list, JSON_CONTENT_TYPE)
    }
    case 'json:output': {
      const lines = result.rows.map(row => rowObject(names, row) + '\n').join('')
      return raw(options.stat ? `${lines}{"Statistics":[${stats}]}\n` : lines, NDJSON_CONTENT_TYPE)
    }
    case 'table': {
      const table = renderTextTable(names, result.rows)
      return raw(options.stat ? `\n${table}\n${tableStatistics(result.rows.length, options)}\n` : `\n${table}`, TEXT_CONTENT_TYPE)
    }
  }
}

/** Seconds as EdgeLake's "HH:MM:SS" (hours may exceed 99). */
export function formatElapsed (elapsedMs: number): string {
  const total = Math.max(0, Math.floor(elapsedMs / 1000))
  const pad = (n: number): string => String(n).padStart(2, '0')
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`
}

function raw (body: string, contentType: string): RawReply {
  return { kind: 'raw', body, contentType }
}

function statisticsFields (count: number, options: SqlReplyOptions): [string, JsonValue][] {
  const fields: [string, JsonValue][] = [
    ['Count', count],
    ['Time', formatElapsed(options.elapsedMs)],
    ['Time ms', Math.round(Math.max(0, options.elapsedMs) * 1000) / 1000]
  ]
  if (typeof options.nodes === 'number') fields.push(['Nodes', options.nodes])
  else if (options.nodes.target === options.nodes.participating) fields.push(['Nodes', options.nodes.participating])
  else fields.push(['Target Nodes', options.nodes.target], ['Participating Nodes', options.nodes.participating])
  return fields
}

function statistics (count: number, options: SqlReplyOptions): string {
  return `{${statisticsFields(count, options).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`
}

/** EdgeLake's table trailer: the statistics object split over lines (still one valid JSON document). */
function tableStatistics (count: number, options: SqlReplyOptions): string {
  const indent = ' '.repeat('{"Statistics":[{'.length)
  const fields = statisticsFields(count, options).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
  return `{"Statistics":[{${fields.join(`,\n${indent}`)}}]}`
}

function rowObject (names: readonly string[], row: readonly JsonValue[]): string {
  let text = '{'
  for (let i = 0; i < names.length; i++) {
    if (i > 0) text += ','
    text += `${JSON.stringify(names[i])}:${JSON.stringify(row[i] ?? null)}`
  }
  return text + '}'
}

function uniqueNames (names: readonly string[]): string[] {
  const used = new Set<string>()
  return names.map(name => {
    let candidate = name
    for (let n = 1; used.has(candidate); n++) candidate = `${name}_${n}`
    used.add(candidate)
    return candidate
  })
}
