/**
 * The EdgeLake `sql` command (reference/edgelake.md §1.6):
 *
 *   sql <dbms> [key = value [and key = value ...]] ["]<select ...>["]
 *
 * Options sit between the dbms name and the SQL; an option is a word followed by `=`, so the SQL starts at
 * the first token that is not one (or at a quoted string). Option keys are exactly EdgeLake's list; any
 * other key is refused with COMMAND_SYNTAX ('Error Command Structure', err_code 2), as EdgeLake does.
 */
import type { FedlakeError, TableRef } from '@fedlake/core'
import { commandSyntax, isTimeoutUnit, parseBooleanValue, parseTimeoutMs } from './command-values.js'

export type SqlFormat = 'json' | 'json:output' | 'json:list' | 'table'

export const SQL_FORMATS: readonly SqlFormat[] = ['json', 'json:output', 'json:list', 'table']

/**
 * EdgeLake's `cmd_instructions` keys (member_cmd.py), plus `subset` and `timeout` (the REST headers, also accepted
 * here) and fedlake's `max_merge_rows` / `max_merge_bytes` (caps on what a merged network query pulls).
 */
export const SQL_OPTION_KEYS: readonly string[] = [
  'format', 'stat', 'timezone', 'dest', 'file', 'table', 'drop', 'include', 'extend', 'max_time', 'nodes',
  'committed', 'pass_through', 'topic', 'info', 'title', 'test', 'source', 'option', 'output', 'subset', 'timeout',
  'max_merge_rows', 'max_merge_bytes', 'key_shipping', 'max_shipped_keys'
]

/**
 * One `extend` column: a value of the operator that answered, added to each of its rows.
 * `@ip`, `@port`, `@dbms_name`, `@table_name` are the node's address and the table read; `+attr` is an attribute
 * of the node's policy (`+node_name`, `+city`). The column is named `as` when given, else the word without its sigil.
 */
export type ExtendColumn =
  | { readonly kind: 'ip' | 'port' | 'dbms_name' | 'table_name', readonly name: string }
  | { readonly kind: 'policy', readonly attribute: string, readonly name: string }

export interface SqlCommand {
  /** Lower case, as EdgeLake lower-cases dbms names. */
  readonly dbms: string
  /** The SQL text with the optional surrounding quotes removed. */
  readonly sql: string
  /** @default 'json' */
  readonly format: SqlFormat
  /** Statistics trailer. @default true */
  readonly stat: boolean
  /** `timezone` option, when given. */
  readonly timezone?: string
  /** `max_time` option in seconds, when given. */
  readonly maxTimeSec?: number
  /** `include = (dbms.table, table2)`: more tables read as if they were the queried one (dbms defaults to the command's). */
  readonly include?: readonly TableRef[]
  /** `extend = (@ip, +node_name as node, ...)`. */
  readonly extend?: readonly ExtendColumn[]
  /** `nodes = main|all`: in a cluster with several operators, prefer its main one or take any live one. */
  readonly nodes?: 'main' | 'all'
  /** `subset = true`: answer with the operators that replied when some fail. */
  readonly subset?: boolean
  /** `timeout = 30` (seconds) or `timeout = 2 minutes`, in milliseconds. */
  readonly timeoutMs?: number
  /** `max_merge_rows = n`: most rows the operators may send this query when the query node merges it (at most the node's limits.maxMergeRows). */
  readonly maxMergeRows?: number
  /** `key_shipping = false`: never cut a join's side down to the other side's keys (docs/sql.md, relational pull). */
  readonly keyShipping?: boolean
  /** `max_shipped_keys = n`: most key values shipped per cut (at most the node's limits.maxShippedKeys). */
  readonly maxShippedKeys?: number
  /** `max_merge_bytes = n`: the same in bytes (at most the node's limits.maxMergeBytes). */
  readonly maxMergeBytes?: number
  /** Every option as given (keys lower case, values with quotes removed), including the ones above. */
  readonly options: Readonly<Record<string, string>>
}

interface Token {
  readonly text: string
  /** The token was a quoted string (its quotes removed in `text`). */
  readonly quoted: boolean
  readonly start: number
  readonly end: number
}

export function parseSqlCommand (text: string): SqlCommand {
  const command = text.trim()
  const head = /^sql\s+/i.exec(command)
  if (head === null) throw syntax('the command must start with "sql <dbms>"')
  let pos = head[0].length
  const dbmsToken = readToken(command, pos)
  if (dbmsToken === undefined || dbmsToken.quoted || dbmsToken.text.includes('=')) throw syntax('missing dbms name after "sql"')
  const dbms = dbmsToken.text.toLowerCase()
  if (!/^[a-z0-9_]+$/.test(dbms)) throw syntax(`invalid dbms name '${dbmsToken.text}'`)
  pos = dbmsToken.end

  const options: Record<string, string> = {}
  for (let first = true; ; first = false) {
    let at = skipSpace(command, pos)
    if (!first) {
      const and = /^and\b/i.exec(command.slice(at))
      if (and === null || !isOptionAhead(command, skipSpace(command, at + and[0].length))) break
      at = skipSpace(command, at + and[0].length)
    } else if (!isOptionAhead(command, at)) {
      break
    }
    const option = readOption(command, at)
    if (Object.hasOwn(options, option.key)) throw syntax(`option '${option.key}' given twice`)
    options[option.key] = option.value
    pos = option.end
  }

  if (isOptionAhead(command, skipSpace(command, pos))) throw syntax("options must be joined by 'and'")
  const sql = unquoteSql(command.slice(pos).trim())
  if (sql === '') throw syntax('missing SQL statement')
  return { dbms, sql, ...typedOptions(options, dbms), options }
}

type TypedOptions = Omit<SqlCommand, 'dbms' | 'sql' | 'options'>

function typedOptions (options: Readonly<Record<string, string>>, dbms: string): TypedOptions {
  const format = (options.format ?? 'json').toLowerCase()
  if (!(SQL_FORMATS as readonly string[]).includes(format)) throw syntax(`format must be one of ${SQL_FORMATS.join(', ')}, not '${options.format ?? ''}'`)
  const result: { -readonly [K in keyof TypedOptions]: TypedOptions[K] } = {
    format: format as SqlFormat,
    stat: options.stat === undefined ? true : parseBooleanValue('sql', 'stat', options.stat)
  }
  if (options.timezone !== undefined) result.timezone = options.timezone
  if (options.max_time !== undefined) {
    const seconds = Number(options.max_time)
    if (!Number.isFinite(seconds) || seconds <= 0) throw syntax(`max_time must be a positive number of seconds, not '${options.max_time}'`)
    result.maxTimeSec = seconds
  }
  if (options.include !== undefined) result.include = includeOption(options.include, dbms)
  if (options.extend !== undefined) result.extend = extendOption(options.extend)
  if (options.nodes !== undefined) {
    const nodes = options.nodes.toLowerCase()
    if (nodes !== 'main' && nodes !== 'all') throw syntax(`nodes must be main or all, not '${options.nodes}'`)
    result.nodes = nodes
  }
  if (options.subset !== undefined) result.subset = parseBooleanValue('sql', 'subset', options.subset)
  if (options.timeout !== undefined) result.timeoutMs = parseTimeoutMs('sql', options.timeout)
  if (options.max_merge_rows !== undefined) result.maxMergeRows = positiveInteger('max_merge_rows', options.max_merge_rows)
  if (options.max_merge_bytes !== undefined) result.maxMergeBytes = positiveInteger('max_merge_bytes', options.max_merge_bytes)
  if (options.key_shipping !== undefined) result.keyShipping = parseBooleanValue('sql', 'key_shipping', options.key_shipping)
  if (options.max_shipped_keys !== undefined) result.maxShippedKeys = positiveInteger('max_shipped_keys', options.max_shipped_keys)
  return result
}

function positiveInteger (key: string, value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw syntax(`${key} must be a positive whole number, not '${value}'`)
  return n
}

/** The entries of a parenthesised list option, e.g. `(a, b)`; a single bare word is a one-entry list. */
function listEntries (key: string, value: string): string[] {
  const inner = /^\((.*)\)$/s.exec(value.trim())?.[1] ?? value
  const entries = inner.split(',').map(e => e.trim())
  if (entries.some(e => e === '')) throw syntax(`${key} must be a list like (a, b), not '${value}'`)
  return entries
}

function includeOption (value: string, dbms: string): TableRef[] {
  const tables: TableRef[] = []
  for (const entry of listEntries('include', value)) {
    const m = /^(?:([a-z0-9_]+)\.)?([a-z0-9_]+)$/i.exec(entry)
    if (m === null) throw syntax(`include takes tables as (dbms.table, table, ...), not '${entry}'`)
    const ref = { dbms: (m[1] ?? dbms).toLowerCase(), table: (m[2] as string).toLowerCase() }
    if (!tables.some(t => t.dbms === ref.dbms && t.table === ref.table)) tables.push(ref)
  }
  return tables
}

const EXTEND_NODE_VALUES = new Set(['ip', 'port', 'dbms_name', 'table_name'])

function extendOption (value: string): ExtendColumn[] {
  const columns: ExtendColumn[] = []
  for (const entry of listEntries('extend', value)) {
    const m = /^([@+])\s*([a-z_][a-z0-9_.]*)(?:\s+as\s+([a-z_][a-z0-9_]*))?$/i.exec(entry)
    if (m === null) throw syntax(`extend takes (@ip, @port, @dbms_name, @table_name, +<policy attribute> [as name], ...), not '${entry}'`)
    const word = (m[2] as string).toLowerCase()
    const name = m[3] ?? word.replace(/\./g, '_')
    if (m[1] === '@') {
      if (!EXTEND_NODE_VALUES.has(word)) throw syntax(`extend: unknown @${word}; expected @ip, @port, @dbms_name or @table_name`)
      columns.push({ kind: word as 'ip' | 'port' | 'dbms_name' | 'table_name', name })
    } else {
      columns.push({ kind: 'policy', attribute: word, name })
    }
    if (columns.filter(c => c.name.toLowerCase() === name.toLowerCase()).length > 1) throw syntax(`extend: column '${name}' given twice`)
  }
  return columns
}

function syntax (message: string): FedlakeError {
  return commandSyntax('sql', message)
}

function skipSpace (text: string, pos: number): number {
  let at = pos
  while (at < text.length && /\s/.test(text[at] as string)) at++
  return at
}

/** An option starts with a word followed (after optional spaces) by `=` (but not `==`). */
function isOptionAhead (text: string, pos: number): boolean {
  return /^[A-Za-z_][A-Za-z0-9_]*\s*=(?!=)/.test(text.slice(pos))
}

function readOption (text: string, pos: number): { key: string, value: string, end: number } {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*/.exec(text.slice(pos)) as RegExpExecArray
  const key = (m[1] as string).toLowerCase()
  if (!SQL_OPTION_KEYS.includes(key)) throw syntax(`unknown option '${key}'`)
  const value = readValue(text, pos + m[0].length)
  if (value === undefined) throw syntax(`missing value for option '${key}'`)
  if (key === 'timeout' && !value.quoted && /^\d+(\.\d+)?$/.test(value.text)) {
    // `timeout = 2 minutes`: the unit is the next word (no SQL statement starts with a time unit)
    const unit = readToken(text, value.end)
    if (unit !== undefined && !unit.quoted && isTimeoutUnit(unit.text)) return { key, value: `${value.text} ${unit.text}`, end: unit.end }
  }
  return { key, value: value.text, end: value.end }
}

/** A value is a quoted string, a parenthesised group (balanced, e.g. include=(a.b, c)) or a run of non-spaces. */
function readValue (text: string, pos: number): Token | undefined {
  if (text[pos] === '(') {
    let depth = 0
    for (let at = pos; at < text.length; at++) {
      if (text[at] === '(') depth++
      else if (text[at] === ')' && --depth === 0) return { text: text.slice(pos, at + 1), quoted: false, start: pos, end: at + 1 }
    }
    throw syntax('unbalanced parentheses in an option value')
  }
  return readToken(text, pos)
}

function readToken (text: string, pos: number): Token | undefined {
  const at = skipSpace(text, pos)
  if (at >= text.length) return undefined
  const quote = text[at]
  if (quote === '"' || quote === "'") {
    const close = text.indexOf(quote, at + 1)
    if (close < 0) throw syntax('unterminated quoted string')
    return { text: text.slice(at + 1, close), quoted: true, start: at, end: close + 1 }
  }
  let end = at
  while (end < text.length && !/\s/.test(text[end] as string)) end++
  return { text: text.slice(at, end), quoted: false, start: at, end }
}

/** A statement's first keyword (SELECT, WITH, FROM or a parenthesis), after any comments. */
const STATEMENT_START = /^\s*(?:(?:--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)\s*)*(select|with|from|\()/i

/** `"select ..."` → `select ...` (comments may come first); a statement that merely contains quotes is left alone. */
function unquoteSql (sql: string): string {
  for (const quote of ['"', "'"]) {
    if (sql.length >= 2 && sql.startsWith(quote) && sql.endsWith(quote)) {
      const inner = sql.slice(1, -1)
      if (STATEMENT_START.test(inner)) return inner.trim()
    }
  }
  return sql
}
