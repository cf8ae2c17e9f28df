/** Recognising aggregate calls in expressions, and refusing the ones that cannot be split. */
import { isColumnRef, isFunction, someExpr } from '../sql-tree/index.js'
import type { Expr, FunctionExpr } from '../sql-tree/index.js'
import type { AggregateCall } from './aggregates/aggregate-splitter.js'
import { whyNotSplit } from './aggregates/duckdb-aggregates.js'
import { DISTINCT_IRRELEVANT, isAggregateName, splitterFor } from './aggregates/registry.js'
import { describe } from './describe.js'
import { unsupported } from './refusals.js'

/** The aggregate a function node calls, or undefined for a scalar function. Throws PLAN_UNSUPPORTED for aggregates that cannot be split. */
export function aggregateCallOf (node: Expr): AggregateCall | undefined {
  if (!isFunction(node) || node.is_operator || !isAggregateName(node.function_name.toLowerCase())) return undefined
  const name = node.function_name.toLowerCase()
  if (name === 'range' && !(node.children.length === 1 && someExpr(node.children[0] as Expr, isColumnRef))) return undefined
  const splitter = splitterFor(name)
  if (splitter === undefined) throw unsupported(`${name}()`, whyNotSplit(name))
  if (node.order_bys.orders.length > 0 && splitter.acceptsOrderBy !== true) throw unsupported(`${name}() with ORDER BY inside`, 'the order of rows across operators is not kept')
  if (node.export_state) throw unsupported(`${name}() EXPORT_STATE`)
  if (!splitter.arity.includes(node.children.length)) throw unsupported(`${name}() with ${node.children.length} argument${node.children.length === 1 ? '' : 's'}`)
  const distinct = node.distinct && !DISTINCT_IRRELEVANT.has(name)
  if (distinct && !splitter.distinctSafe) throw unsupported(`${name}(DISTINCT ...)`)
  return { name, args: node.children, filter: node.filter, distinct, orders: node.order_bys.orders, node }
}

/** Whether `expr` calls an aggregate (outside subqueries). */
export function containsAggregate (expr: Expr): boolean {
  return someExpr(expr, node => aggregateCallOf(node) !== undefined)
}

/** A short name of an aggregate call for explain lines. */
export function describeCall (call: AggregateCall): string {
  return describe(call.node as FunctionExpr)
}
