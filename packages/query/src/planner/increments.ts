/**
 * EdgeLake's increments(unit, n, col): rows are grouped in time buckets aligned to the calendar inside the next
 * larger unit (reference/edgelake.md §2.1); the bucket is not a column of the answer, and without ORDER BY the rows
 * come in bucket order. Plural units are accepted (EdgeLake refuses them).
 *
 *   unit    n = 1                  n > 1: (parent, index)                              EdgeLake's parent
 *   second  date_trunc('second')   date_trunc('minute'), second // n                   minute
 *   minute  date_trunc('minute')   date_trunc('hour'), minute // n                     hour
 *   hour    date_trunc('hour')     date_trunc('day'), hour // n                        day
 *   day     date_trunc('day')      date_trunc('month'), (day - 1) // n                 month
 *   week    date_trunc('week')     isoyear, (week - 1) // n                            (none: EdgeLake's week is broken)
 *   month   date_trunc('month')    date_trunc('year'), (month - 1) // n                year
 *   year    date_trunc('year')     year // n                                            —
 *
 * A week is an ISO week (Monday to Sunday); n weeks count from the first ISO week of the ISO year. Days and months
 * count from 1, so `day, 2` buckets are days 1-2, 3-4, ... of the month (EdgeLake's day // n makes {1}, {2,3}, ...).
 * A bucket may be cut short by its parent (the last `minute, 7` bucket of an hour has 4 minutes), as in EdgeLake.
 *
 * The optimised form increments(col[, points]) / increments(points, col) (default 1000 points) takes the span
 * from the WHERE clause's bounds on col (no upper bound: now): interval = span / points, and the largest unit not
 * longer than the interval, counted round(interval / unit) times (EdgeLake's get_optimized_intervals()).
 */
import { TIME_UNITS, timeUnitOf, UNIT_SECONDS } from '../dates/index.js'
import type { TimeUnit } from '../dates/index.js'
import { func, integer, integerConstant, isColumnRef, operator, stringConstant, varchar } from '../sql-tree/index.js'
import type { Expr, FunctionExpr } from '../sql-tree/index.js'
import { invalidArgument } from './refusals.js'
import type { TableInfo } from './table-info.js'
import { tableColumnOf } from './table-info.js'
import { boundsOf } from './time-span.js'
import type { Instant } from './time-span.js'

export interface IncrementsBuckets {
  readonly unit: TimeUnit
  readonly count: number
  /** The timestamp column, as written. */
  readonly column: Expr
  /** Group keys naming a bucket, in bucket order. */
  readonly keys: readonly Expr[]
  /** The width came from a span that needed the current time. */
  readonly dependsOnNow: boolean
}

const DEFAULT_POINTS = 1000

export function incrementsBuckets (call: FunctionExpr, table: TableInfo, where: Expr | null, now: () => Date): IncrementsBuckets {
  const args = call.children
  if (args.length === 3) {
    const unit = unitOf(args[0] as Expr)
    const count = countOf(args[1] as Expr, 'increments() interval')
    const column = timestampColumn(args[2] as Expr, table)
    return { unit, count, column, keys: bucketKeys(unit, count, column), dependsOnNow: false }
  }
  if (args.length === 1 || args.length === 2) {
    const columnAt = args.findIndex(a => tableColumnOf(a, table) !== undefined)
    if (columnAt < 0 || (args.length === 2 && (integerConstant(args[1 - columnAt] as Expr) ?? null) === null)) {
      throw invalidArgument('increments() takes (unit, interval, column), (column), (column, points) or (points, column)')
    }
    const column = timestampColumn(args[columnAt] as Expr, table)
    const points = args.length === 2 ? countOf(args[1 - columnAt] as Expr, 'increments() points') : DEFAULT_POINTS
    const { unit, count, dependsOnNow } = optimisedInterval(column, table, where, points, now)
    return { unit, count, column, keys: bucketKeys(unit, count, column), dependsOnNow }
  }
  throw invalidArgument('increments() takes (unit, interval, column), (column), (column, points) or (points, column)')
}

function unitOf (expr: Expr): TimeUnit {
  const word = isColumnRef(expr) && expr.column_names.length === 1 ? expr.column_names[0] as string : stringConstant(expr)
  const unit = word === undefined ? undefined : timeUnitOf(word)
  if (unit === undefined) throw invalidArgument(`increments() unit must be one of ${TIME_UNITS.join(', ')} (plural accepted)`, { unit: word ?? null })
  return unit
}

function countOf (expr: Expr, what: string): number {
  const n = integerConstant(expr)
  if (n === undefined || n === null || n < 1n || n > 1_000_000_000n) throw invalidArgument(`${what} must be an integer from 1 to 1,000,000,000`)
  return Number(n)
}

function timestampColumn (expr: Expr, table: TableInfo): Expr {
  const column = tableColumnOf(expr, table)
  if (column === undefined) throw invalidArgument('increments() needs a timestamp column of the table', { table: table.name })
  if (table.columnTypes.get(column) !== 'TIMESTAMP') throw invalidArgument(`increments() needs a timestamp column; ${column} is ${table.columnTypes.get(column) ?? '?'}`)
  return expr
}

const part = (name: string, column: Expr): Expr => func('date_part', [varchar(name), column])
const trunc = (name: string, column: Expr): Expr => func('date_trunc', [varchar(name), column])
const index = (value: Expr, count: number, fromOne: boolean): Expr =>
  operator('//', fromOne ? operator('-', value, integer(1)) : value, integer(count))

export function bucketKeys (unit: TimeUnit, count: number, column: Expr): Expr[] {
  if (count === 1) return [trunc(unit, column)]
  switch (unit) {
    case 'second': return [trunc('minute', column), index(part('second', column), count, false)]
    case 'minute': return [trunc('hour', column), index(part('minute', column), count, false)]
    case 'hour': return [trunc('day', column), index(part('hour', column), count, false)]
    case 'day': return [trunc('month', column), index(part('day', column), count, true)]
    case 'week': return [part('isoyear', column), index(part('week', column), count, true)]
    case 'month': return [trunc('year', column), index(part('month', column), count, true)]
    case 'year': return [index(part('year', column), count, false)]
  }
}

function optimisedInterval (column: Expr, table: TableInfo, where: Expr | null, points: number, now: () => Date): { unit: TimeUnit, count: number, dependsOnNow: boolean } {
  const name = tableColumnOf(column, table) as string
  const bounds = boundsOf(where, e => tableColumnOf(e, table) === name)
  if (bounds.lower === undefined) {
    throw invalidArgument(`increments(${name}) takes its bucket width from the WHERE clause, which must bound ${name} from below (e.g. ${name} >= now() - 1 day)`)
  }
  const upper: Instant = bounds.upper ?? { relativeToNow: true, ms: 0 }
  const dependsOnNow = upper.relativeToNow !== bounds.lower.relativeToNow
  const at = (i: Instant): number => i.relativeToNow && dependsOnNow ? now().getTime() + i.ms : i.ms
  const spanSeconds = Math.max(1, (at(upper) - at(bounds.lower)) / 1000)
  const interval = spanSeconds / points
  for (const unit of [...TIME_UNITS].reverse()) {
    const length = UNIT_SECONDS[unit]
    if (length <= interval) return { unit, count: Math.max(1, Math.round(interval / length)), dependsOnNow }
  }
  return { unit: 'second', count: 1, dependsOnNow }
}

