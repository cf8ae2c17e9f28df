/**
 * EdgeLake's period(unit, n, date, col[, filter]) in WHERE (reference/edgelake.md §2.2): T = the latest col at or
 * before `date` (among rows passing period's own filter, not the rest of the WHERE clause); the query then keeps the
 * rows with T − n units < col <= T. Over the network T is found first, on every operator, so the window follows the
 * latest row of the whole network even when that row sits on an operator holding nothing else in the window.
 * Plural units are accepted and `week` is 7 days (EdgeLake's week acts as one day).
 */
import { intervalText, resolveDateArgument, TIME_UNITS, timeUnitOf } from '../dates/index.js'
import type { TimeUnit } from '../dates/index.js'
import { and, compare, integerConstant, intervalLiteral, isColumnRef, isConjunction, isFunction, operator, someExpr, stringConstant, timestampLiteral } from '../sql-tree/index.js'
import type { Expr, FunctionExpr } from '../sql-tree/index.js'
import { invalidArgument } from './refusals.js'
import type { TableInfo } from './table-info.js'
import { tableColumnOf } from './table-info.js'
import { conjuncts } from './time-span.js'

export interface PeriodCall {
  readonly unit: TimeUnit
  readonly count: number
  /** The date T is sought at or before (a timestamp expression). */
  readonly date: Expr
  readonly column: Expr
  readonly filter: Expr | null
  /** The WHERE clause without the period() condition. */
  readonly rest: Expr | null
}

export function isPeriod (node: Expr): node is FunctionExpr {
  return isFunction(node) && node.function_name.toLowerCase() === 'period' && node.schema === ''
}

/** The period() condition of `where`, or undefined. Throws when period() is not a top-level AND condition. */
export function findPeriod (where: Expr | null, table: TableInfo, timeZone: string): PeriodCall | undefined {
  if (where === null || !someExpr(where, isPeriod)) return undefined
  const parts = conjuncts(where)
  const calls = parts.filter(isPeriod)
  if (calls.length !== 1 || parts.some(p => !isPeriod(p) && someExpr(p, isPeriod))) {
    throw invalidArgument('period() must appear once, as a condition of the WHERE clause joined by AND')
  }
  const call = calls[0] as FunctionExpr
  const rest = and(...parts.filter(p => p !== call)) ?? null
  return { ...periodArguments(call, table, timeZone), rest }
}

function periodArguments (call: FunctionExpr, table: TableInfo, timeZone: string): Omit<PeriodCall, 'rest'> {
  const args = call.children
  if (args.length !== 4 && args.length !== 5) throw invalidArgument('period() takes (unit, count, date, column[, and filter])')
  const unitArg = args[0] as Expr
  const word = isColumnRef(unitArg) && unitArg.column_names.length === 1 ? unitArg.column_names[0] as string : stringConstant(unitArg)
  const unit = word === undefined ? undefined : timeUnitOf(word)
  if (unit === undefined) throw invalidArgument(`period() unit must be one of ${TIME_UNITS.join(', ')} (plural accepted)`, { unit: word ?? null })
  const n = integerConstant(args[1] as Expr)
  if (n === undefined || n === null || n < 1n || n > 1_000_000n) throw invalidArgument('period() count must be an integer from 1 to 1,000,000')
  let columnArg = args[3] as Expr
  let filter: Expr | null = args[4] ?? null
  // period(day, 1, now(), ts and x = 1): the filter joined to the column without a comma
  if (filter === null && isConjunction(columnArg) && columnArg.type === 'CONJUNCTION_AND' && tableColumnOf(columnArg.children[0] as Expr, table) !== undefined) {
    filter = and(...columnArg.children.slice(1)) ?? null
    columnArg = columnArg.children[0] as Expr
  }
  const column = tableColumnOf(columnArg, table)
  if (column === undefined) throw invalidArgument('period() needs a timestamp column of the table as its fourth argument')
  if (table.columnTypes.get(column) !== 'TIMESTAMP') throw invalidArgument(`period() needs a timestamp column; ${column} is ${table.columnTypes.get(column) ?? '?'}`)
  return { unit, count: Number(n), date: resolveDateArgument(args[2] as Expr, timeZone), column: columnArg, filter }
}

/** `col <= date [AND filter]`: the rows T is the latest of. */
export function probeCondition (period: PeriodCall): Expr {
  return and(compare('COMPARE_LESSTHANOREQUALTO', period.column, period.date), period.filter) as Expr
}

const T_TEXT = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/

/** `T − n units < col <= T`. */
export function windowCondition (period: PeriodCall, t: string): Expr {
  if (!T_TEXT.test(t)) throw invalidArgument(`period(): '${t}' is not a timestamp (YYYY-MM-DD HH:MM:SS[.ffffff])`)
  const end = timestampLiteral(t.replace('T', ' '))
  return and(
    compare('COMPARE_GREATERTHAN', period.column, operator('-', end, intervalLiteral(intervalText(period.count, period.unit)))),
    compare('COMPARE_LESSTHANOREQUALTO', period.column, end)
  ) as Expr
}
