/**
 * How an aggregate is split between the operators and the query node (DataFusion's Accumulator as SQL):
 *
 *      operator 1 ─┐  partial state per group        ┌─ query node: final = merge + evaluate over
 *      operator 2 ─┼─ (one or more partial columns) ─┤  the partial rows of each group, an SQL expression
 *      operator 3 ─┘   e.g. avg(x) → sum(x), count(x) └─ e.g. sum(s)::DOUBLE / sum(c)
 *
 * A splitter asks the context for the partial columns it needs (the context shares identical partials between
 * aggregates: avg(x) and count(x) use one count(x)) and returns the final expression over them.
 */
import { and, func } from '../../sql-tree/index.js'
import type { ColumnRef, Expr, FunctionExpr } from '../../sql-tree/index.js'

/** One aggregate function call of the user's query. */
export interface AggregateCall {
  /** Lower case function name as written (`count_star` for count(*)). */
  readonly name: string
  readonly args: readonly Expr[]
  readonly filter: Expr | null
  readonly distinct: boolean
  readonly node: FunctionExpr
}

export interface SplitContext {
  /** The merged-partials column holding `aggregate` (over raw rows, computed by every operator per group). */
  partial(aggregate: FunctionExpr, label: string): ColumnRef
  /** The merged-partials column holding each distinct value of `expr` per group: operators group by it too. */
  distinctValues(expr: Expr): ColumnRef
  /**
   * `aggregate OVER (PARTITION BY <the final group keys>)` over the merged partial rows, computed before the final
   * aggregation (e.g. the sums the variance merge's grand mean needs). Returns the column holding it.
   */
  overFinalGroup(aggregate: FunctionExpr, label: string): ColumnRef
}

export interface AggregateSplitter {
  /** Function names handled (lower case), aliases included. */
  readonly names: readonly string[]
  /** Whether `fn(DISTINCT x)` depends on the set of distinct values only, so operators may ship those values. */
  readonly distinctSafe: boolean
  /** Argument counts accepted. */
  readonly arity: readonly number[]
  /** The final expression over partial columns. */
  split(call: AggregateCall, ctx: SplitContext): Expr
}

/** `name(args) FILTER (WHERE call's filter [AND extra])` over raw rows. */
export function partialCall (call: AggregateCall, name: string, args: readonly Expr[], extraFilter?: Expr): FunctionExpr {
  return func(name, args, { filter: and(call.filter, extraFilter) ?? null })
}
