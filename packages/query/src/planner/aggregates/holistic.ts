/**
 * Holistic and order-sensitive aggregates (median, quantiles, mode, string_agg, list, ...): no partial state merges
 * them, but what they read of a group can travel. Operators ship per group either the value counts of the argument
 * (`SELECT <keys>, x, count(*) ... GROUP BY <keys>, x`, often far fewer rows than the group has) or, when the call
 * reads several columns (`string_agg(x, ',' ORDER BY y)`), the rows of those columns. The query node then computes:
 *
 *   median, quantile_cont        numeric or TIMESTAMP column: from the cumulative counts, interpolated as DuckDB does
 *   quantile_disc, quantile      from the cumulative counts: the value at DuckDB's index max(1, n - floor(n - n*q)) - 1
 *   mode                         the most frequent value; of tied values the smallest (DuckDB keeps the first it read,
 *                                which over a network has no meaning)
 *   fn(DISTINCT x ...)           fn(DISTINCT x ...) over the shipped distinct values
 *   anything else                fn itself over the rows again (a value counted n times becomes n rows)
 *
 * Checked against DuckDB 1.5: quantile_disc's index is DuckDB's Interpolator<true>::Index (DECIMAL fractions in exact
 * decimal arithmetic, others in DOUBLE); quantile_cont's is RN = (n-1)*q, lo = floor(RN), hi = ceil(RN),
 * d = RN - lo, result lo*(1-d) + hi*d in DOUBLE (TIMESTAMPs in epoch microseconds, llround-ed); median of a VARCHAR
 * or BOOLEAN is its quantile_disc at 0.5. Other argument types (or expressions, whose type the planner does not know)
 * take the `anything else` way, exact by construction.
 */
import type { ColumnType } from '@fedlake/core'
import { NUMBER_TOKEN_MARKER } from '@fedlake/sql'
import {
  cast, caseWhen, compare, constant, func, isColumnRef, isConstant, isFunction, operator, orderModifier, orderTerm,
  someExpr, transformExpr
} from '../../sql-tree/index.js'
import type { Expr, OrderTerm } from '../../sql-tree/index.js'
import { describe } from '../describe.js'
import type { AggregateCall, AggregateSplitter, PerGroupAggregate, PerGroupColumns, SplitContext } from './aggregate-splitter.js'

const QUANTILE_DISC = new Set(['quantile_disc', 'quantile'])
const INTERPOLATED = new Set(['median', 'quantile_cont'])
const NUMERIC: ReadonlySet<ColumnType> = new Set(['INTEGER', 'BIGINT', 'HUGEINT', 'DOUBLE'])
const DISCRETE: ReadonlySet<ColumnType> = new Set(['VARCHAR', 'BOOLEAN'])
const FRACTION_TYPES = new Set(['DECIMAL', 'INTEGER', 'BIGINT', 'DOUBLE', 'FLOAT'])

export const HOLISTIC: AggregateSplitter = {
  names: ['median', 'quantile', 'quantile_cont', 'quantile_disc', 'mode', 'string_agg', 'group_concat', 'listagg', 'list', 'array_agg', 'mad', 'entropy'],
  distinctSafe: true,
  handlesDistinct: true,
  acceptsOrderBy: true,
  arity: [0, 1, 2],
  split (call, ctx) {
    return func('any_value', [ctx.perGroup(perGroupAggregate(call, ctx))])
  }
}

/** What operators ship for `call` and how the query node computes it. */
export function perGroupAggregate (call: AggregateCall, ctx: Pick<SplitContext, 'columnType' | 'key'>): PerGroupAggregate {
  const values: Expr[] = []
  const index = new Map<string, number>()
  const readsColumns = (e: Expr): boolean => someExpr(e, isColumnRef)
  for (const e of [...call.args.filter(readsColumns), ...call.orders.map(o => o.expression).filter(readsColumns)]) {
    const k = ctx.key(e)
    if (index.has(k)) continue
    index.set(k, values.length)
    values.push(e)
  }
  const counted = values.length <= 1 || call.distinct
  const fromCounts = countsFinal(call, ctx)
  if (fromCounts !== undefined && values.length === 1) {
    return { values, filter: call.filter, counted: true, shape: 'counts', final: fromCounts.final, method: `value counts per group, ${fromCounts.method}` }
  }
  const final = (columns: PerGroupColumns): Expr => sameCallOver(call, e => {
    const at = index.get(ctx.key(e))
    return at === undefined ? undefined : columns.values[at]
  })
  if (call.distinct) return { values, filter: call.filter, counted: true, shape: 'shipped', final, method: 'distinct values per group, the aggregate over them on the query node' }
  return counted
    ? { values, filter: call.filter, counted, shape: 'expanded', final, method: 'value counts per group, expanded back to rows on the query node' }
    : { values, filter: call.filter, counted, shape: 'expanded', final, method: `rows (${values.map(describe).join(', ')}) per group, aggregated on the query node` }
}

/** The call with its value expressions replaced (no FILTER: operators applied it). */
function sameCallOver (call: AggregateCall, replace: (e: Expr) => Expr | undefined): Expr {
  const mapped = (e: Expr): Expr => transformExpr(e, replace)
  const orders: OrderTerm[] = call.orders.map(o => ({ ...o, expression: mapped(o.expression) }))
  return { ...func(call.node.function_name, call.args.map(mapped), { distinct: call.distinct }), order_bys: orderModifier(orders) }
}

interface CountsFinal {
  readonly final: (columns: PerGroupColumns) => Expr
  readonly method: string
}

/** The final from cumulative value counts, when the call is one this module computes that way. */
function countsFinal (call: AggregateCall, ctx: Pick<SplitContext, 'columnType'>): CountsFinal | undefined {
  if (call.distinct) return undefined
  const ordered = call.orders.length === 1 && call.args.length <= 1
  // percentile_cont(q) WITHIN GROUP (ORDER BY x) arrives as quantile_cont(q ORDER BY x)
  const value = ordered ? (call.orders[0] as OrderTerm).expression : call.args[0]
  const fraction = ordered ? call.args[0] : call.args[1]
  if (value === undefined || (call.orders.length > 0 && !(ordered && (call.orders[0] as OrderTerm).type !== 'DESCENDING'))) return undefined
  const type = ctx.columnType(value)
  if (call.name === 'mode' && call.args.length + call.orders.length === 1) {
    return { final: c => ({ ...func('first', [c.values[0] as Expr]), order_bys: orderModifier([orderTerm(c.count, true, false), orderTerm(c.values[0] as Expr, false, false)]) }), method: 'the most frequent value (the smallest of tied ones)' }
  }
  const median = call.name === 'median' && fraction === undefined
  const fractions = median ? [constant('DOUBLE', 0.5)] : fraction === undefined ? undefined : fractionList(fraction)
  if (fractions === undefined) return undefined
  const list = !median && fraction !== undefined && !isConstant(fraction)
  // a list of fractions over no value is NULL, not a list of NULLs
  const each = (one: (q: Expr, c: PerGroupColumns) => Expr) => (c: PerGroupColumns): Expr => list
    ? caseWhen(compare('COMPARE_GREATERTHAN', func('count_star', []), constant('INTEGER', 0)), func('list_value', fractions.map(q => one(q, c))))
    : one(fractions[0] as Expr, c)
  if (QUANTILE_DISC.has(call.name) || (median && type !== undefined && DISCRETE.has(type))) {
    return { final: each(discreteAt), method: 'the value at DuckDB\'s quantile_disc index of the cumulative counts' }
  }
  if (INTERPOLATED.has(call.name) && type !== undefined && (NUMERIC.has(type) || type === 'TIMESTAMP')) {
    return { final: each((q, c) => interpolated(q, c, type === 'TIMESTAMP')), method: 'interpolated between the two values around (n-1)·q of the cumulative counts' }
  }
  return undefined
}

/** Constant fractions (`0.9`, `[0.1, 0.5]`), or undefined for anything else (negative fractions mean descending order). */
function fractionList (expr: Expr): Expr[] | undefined {
  const isFraction = (e: Expr): boolean => {
    if (!isConstant(e) || e.value.is_null || !FRACTION_TYPES.has(e.value.type.id)) return false
    const raw = e.value.value
    const n = typeof raw === 'string' && raw.startsWith(NUMBER_TOKEN_MARKER) ? Number(raw.slice(NUMBER_TOKEN_MARKER.length)) : raw
    return typeof n === 'number' && n >= 0
  }
  if (isFraction(expr)) return [expr]
  if (isFunction(expr) && expr.function_name.toLowerCase() === 'list_value' && expr.children.length > 0 && expr.children.every(isFraction)) return [...expr.children]
  return undefined
}

/** The smallest value whose cumulative count exceeds the 0-based position `position` (an expression over the row's total). */
function valueAt (position: Expr, c: PerGroupColumns): Expr {
  return func('min', [c.values[0] as Expr], { filter: compare('COMPARE_GREATERTHAN', c.cumulative, position) })
}

/** quantile_disc: the value at max(1, n - floor(n - n*q)) - 1 (DuckDB's Interpolator<true>::Index). */
function discreteAt (q: Expr, c: PerGroupColumns): Expr {
  const n = c.total
  const position = operator('-', func('greatest', [constant('INTEGER', 1), operator('-', n, func('floor', [operator('-', n, operator('*', n, q))]))]), constant('INTEGER', 1))
  return valueAt(position, c)
}

/** quantile_cont: RN = (n-1)*q; lo*(1-d) + hi*d with d = RN - floor(RN), the lower value alone when RN is whole. */
function interpolated (q: Expr, c: PerGroupColumns, timestamp: boolean): Expr {
  const rnAt = (n: Expr): Expr => operator('*', cast(operator('-', n, constant('INTEGER', 1)), 'DOUBLE'), cast(q, 'DOUBLE'))
  const rowRn = rnAt(c.total)
  const groupRn = rnAt(func('max', [c.total]))
  const lo = valueAt(func('floor', [rowRn]), c)
  const hi = valueAt(func('ceil', [rowRn]), c)
  const d = operator('-', groupRn, func('floor', [groupRn]))
  const asDouble = (v: Expr): Expr => timestamp ? cast(func('epoch_us', [v]), 'DOUBLE') : cast(v, 'DOUBLE')
  const mixed = operator('+', operator('*', asDouble(lo), operator('-', constant('INTEGER', 1), d)), operator('*', asDouble(hi), d))
  const whole = compare('COMPARE_EQUAL', func('floor', [groupRn]), func('ceil', [groupRn]))
  return timestamp
    ? caseWhen(whole, lo, func('make_timestamp', [cast(func('round', [mixed]), 'BIGINT')]))
    : caseWhen(whole, cast(lo, 'DOUBLE'), mixed)
}

