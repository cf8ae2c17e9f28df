/** What every strategy needs besides the query model. */
import { baseTable, bigint, columnRef, integer, limitModifier, orderTerm, withAlias } from '../../sql-tree/index.js'
import type { Expr, LimitModifier, OrderTerm, SelectNode } from '../../sql-tree/index.js'
import type { SelectQuery } from '../query-model.js'
import type { ResolvedOrder } from '../query-model.js'

export interface StrategyContext {
  readonly dbms: string
  /** The SELECT as the planner received it (date literals resolved, period() replaced). */
  readonly node: SelectNode
}

export const FRAGMENT = '__p0'
export const fragmentTable = (): ReturnType<typeof baseTable> => baseTable(FRAGMENT)

const INT64_MAX = 2n ** 63n - 1n

/** `LIMIT offset+limit` for the operators, or nothing when the query has no LIMIT (or the sum is over BIGINT's). */
export function operatorLimit (query: SelectQuery): LimitModifier[] {
  if (query.limit === null) return []
  // LIMIT 9223372036854775807 OFFSET 10 (a client's "no limit"): the sum would not fit DuckDB's BIGINT
  const top = query.offset + query.limit
  return top > INT64_MAX ? [] : [limitModifier(bigint(top), null)]
}

/** The query's own LIMIT/OFFSET, for the merge. */
export function mergeLimit (query: SelectQuery): LimitModifier[] {
  if (query.limit === null && query.offset === 0n) return []
  return [limitModifier(query.limit === null ? null : bigint(query.limit), query.offset === 0n ? null : bigint(query.offset))]
}

/** An ORDER BY term on a select item: its 1-based position (valid with and without DISTINCT). */
export function orderByItem (order: ResolvedOrder, index: number): OrderTerm {
  return orderTerm(integer(index + 1), order.descending, order.nullsFirst)
}

export function orderByExpr (order: ResolvedOrder, expr: Expr): OrderTerm {
  return orderTerm(expr, order.descending, order.nullsFirst)
}

/** Merge select list: column `inner[i]` named outputNames[i]. */
export function namedOutputs (query: SelectQuery, exprs: readonly Expr[]): Expr[] {
  return exprs.map((expr, i) => withAlias(expr, (query.items[i] as { name: string }).name))
}

export const itemColumn = (i: number): string => `__c${i}`
export const ref = (name: string): Expr => columnRef(name)

export function limitText (query: SelectQuery): string {
  if (query.limit === null) return query.offset === 0n ? '' : `OFFSET ${query.offset}`
  return `LIMIT ${query.limit}${query.offset === 0n ? '' : ` OFFSET ${query.offset}`}`
}
