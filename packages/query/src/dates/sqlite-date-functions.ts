/**
 * EdgeLake's SQLite-style date functions, evaluated as SQL over the now placeholder:
 *   date('now', 'start of month', '+1 month', '-1 day')   → CAST(... AS DATE)
 *   timestamp('2020-05-28 18:56:49', '+1 month', '-2 hours')
 * As in SQLite, the time value ('now' or a literal) is UTC; modifiers apply left to right: `start of year|month|day`
 * (EdgeLake's `start of day` is broken, ours works) and `[+-]N unit[s]`.
 */
import { FedlakeError } from '@fedlake/core'
import { QUERY_ERRORS } from '../errors.js'
import { edgeLakeDateToUtc } from './local-time.js'
import { NOW_SQL } from './now-marker.js'
import { sqlString } from './sql-tokens.js'
import { intervalText, timeUnitOf } from './time-units.js'

export type SqliteDateFunction = 'date' | 'timestamp'

/** SQL for `name(args...)`, args being the string literals' values. Throws DATE_EXPRESSION_INVALID. */
export function sqliteDateFunctionSql (name: SqliteDateFunction, args: readonly string[]): string {
  const [value, ...modifiers] = args
  if (value === undefined) throw invalid(`${name}() needs a time value such as 'now'`)
  let sql: string
  if (value.trim().toLowerCase() === 'now') {
    sql = NOW_SQL
  } else {
    const date = edgeLakeDateToUtc(value, 'UTC')
    if (date === undefined) throw invalid(`${name}('${value}'): '${value}' is not a date ('now', 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS')`)
    sql = `TIMESTAMP ${sqlString(date.utc)}`
  }
  for (const modifier of modifiers) sql = applyModifier(sql, modifier, name)
  return name === 'date' ? `CAST(${sql} AS DATE)` : sql
}

function applyModifier (sql: string, modifier: string, name: string): string {
  const text = modifier.trim().toLowerCase().replace(/\s+/g, ' ')
  const start = /^start of (year|month|day)$/.exec(text)
  if (start !== null) return `date_trunc('${start[1] as string}', ${sql})`
  const shift = /^([+-]?)(\d+) ([a-z]+)$/.exec(text)
  const unit = shift === null ? undefined : timeUnitOf(shift[3] as string)
  if (shift === null || unit === undefined) {
    throw invalid(`${name}(): unknown modifier '${modifier}'; expected 'start of year|month|day' or '+N unit' (second, minute, hour, day, week, month, year)`)
  }
  return `(${sql} ${shift[1] === '-' ? '-' : '+'} INTERVAL ${sqlString(intervalText(Number(shift[2]), unit))})`
}

function invalid (message: string): FedlakeError {
  return new FedlakeError(QUERY_ERRORS.DATE_EXPRESSION_INVALID, message)
}
