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
import type { ColumnType } from '@fedlake/core'
import { and, func } from '../../sql-tree/index.js'
import type { ColumnRef, Expr, FunctionExpr, OrderTerm } from '../../sql-tree/index.js'

/** One aggregate function call of the user's query. */
export interface AggregateCall {
  /** Lower case function name as written (`count_star` for count(*)). */
  readonly name: string
  readonly args: readonly Expr[]
  readonly filter: Expr | null
  readonly distinct: boolean
  /** ORDER BY inside the call (`string_agg(x, ',' ORDER BY y)`, `percentile_cont(0.5) WITHIN GROUP (ORDER BY x)`). */
  readonly orders: readonly OrderTerm[]
  readonly node: FunctionExpr
}

/**
 * An aggregate computed on the query node from what operators ship of each group's rows: the tuples of `values`
 * (their value counts, `counted`, or every row), then per group `final` over the relation `shape` makes of them.
 */
export interface PerGroupAggregate {
  /** Expressions over the table's rows whose tuples the operators ship per group. */
  readonly values: readonly Expr[]
  /** The call's FILTER: operators ship only the rows passing it. */
  readonly filter: Expr | null
  /** Operators ship (group, values, count(*)) rather than every row. */
  readonly counted: boolean
  /**
   * How the query node reads the shipped tuples before `final`:
   * - `counts`: one row per (group, value) of values[0] with NULLs left out: its total count `count`, the count of the
   *   values up to it in ascending order `cumulative`, and the group's count `total` (BIGINTs);
   * - `expanded`: every row again (a value counted n times is n rows);
   * - `shipped`: the shipped tuples as they are (for DISTINCT aggregates, where repeats do not matter).
   */
  readonly shape: 'counts' | 'expanded' | 'shipped'
  /** The aggregate over the shaped rows of one group. */
  final(columns: PerGroupColumns): Expr
  /** For explain: how the final is made. */
  readonly method: string
}

export interface PerGroupColumns {
  readonly values: readonly ColumnRef[]
  readonly count: ColumnRef
  readonly cumulative: ColumnRef
  readonly total: ColumnRef
}

export interface SplitContext {
  /** The merged-partials column holding `aggregate` (over raw rows, computed by every operator per group). */
  partial(aggregate: FunctionExpr, label: string): ColumnRef
  /** The merged-partials column holding each distinct value of `expr` per group (operators group by it too), or the row of such columns for a row value. */
  distinctValues(expr: Expr): Expr
  /**
   * `aggregate OVER (PARTITION BY <the final group keys>)` over the merged partial rows, computed before the final
   * aggregation (e.g. the sums the variance merge's grand mean needs). Returns the column holding it.
   */
  overFinalGroup(aggregate: FunctionExpr, label: string): ColumnRef
  /** The column holding `aggregate`'s result for each final group (NULL for a group it has no row of). */
  perGroup(aggregate: PerGroupAggregate): ColumnRef
  /** The table column type of an expression that is a plain column reference. */
  columnType(expr: Expr): ColumnType | undefined
  /** Key of an expression (equal for equal expressions). */
  key(expr: Expr): string
}

export interface AggregateSplitter {
  /** Function names handled (lower case), aliases included. */
  readonly names: readonly string[]
  /** Whether `fn(DISTINCT x)` depends on the set of distinct values only, so operators may ship those values. */
  readonly distinctSafe: boolean
  /** Argument counts accepted. */
  readonly arity: readonly number[]
  /** The splitter itself handles `fn(DISTINCT ...)` (else operators ship the distinct values, see distinctSafe). */
  readonly handlesDistinct?: boolean
  /** The splitter handles ORDER BY inside the call (else it is refused). */
  readonly acceptsOrderBy?: boolean
  /** The final expression over partial columns. */
  split(call: AggregateCall, ctx: SplitContext): Expr
}

/** `name(args) FILTER (WHERE call's filter [AND extra])` over raw rows. */
export function partialCall (call: AggregateCall, name: string, args: readonly Expr[], extraFilter?: Expr): FunctionExpr {
  return func(name, args, { filter: and(call.filter, extraFilter) ?? null })
}
