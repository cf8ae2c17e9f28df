/**
 * The statement whose output columns are the answer's, for DuckDB to bind (over empty tables) and name:
 * EdgeLake's functions do not exist in DuckDB, so increments() leaves the select list (its buckets are not a
 * column), period() leaves the WHERE clause, and range(x) becomes max(x) - min(x), named `range(x)` when it has
 * no alias. Any other statement is returned as it is.
 */
import { and, func, isColumnRef, isFunction, isSelectNode, operator, someExpr, transformExpr, withAlias } from '../sql-tree/index.js'
import type { Expr, FunctionExpr, SelectStatement } from '../sql-tree/index.js'
import { describe } from './describe.js'
import { isPeriod } from './period.js'
import { invalidArgument, unsupported } from './refusals.js'
import { conjuncts } from './time-span.js'

export function bindableStatement (statement: unknown): unknown {
  const node = (statement as Partial<SelectStatement> | null)?.node
  if (node === undefined || node === null || !isSelectNode(node)) return statement
  const hasEdgeLakeFunction = [...node.select_list, node.where_clause, node.having].some(e => e !== null && someExpr(e, n => isEdgeLakeRange(n) || isIncrements(n) || isPeriod(n)))
  if (!hasEdgeLakeFunction) return statement
  const select_list = node.select_list
    .filter(item => !isIncrements(item))
    .map(item => {
      const rewritten = withRange(item)
      if (rewritten === item || item.alias !== '') return withAlias(rewritten, item.alias)
      if (!isEdgeLakeRange(item)) return rewritten
      const arg = (item as FunctionExpr).children[0] as Expr
      if (!isColumnRef(arg)) throw unsupported(`range(${describe(arg)}) without an alias`, 'name it with AS')
      return withAlias(rewritten, `range(${arg.column_names.join('.')})`)
    })
  const where = node.where_clause === null ? null : and(...conjuncts(node.where_clause).filter(c => !isPeriod(c))) ?? null
  for (const clause of [...select_list, where, node.having]) {
    if (clause === null) continue
    if (someExpr(clause, isIncrements)) throw invalidArgument('increments() belongs in the select list, where it makes the time buckets')
    if (someExpr(clause, isPeriod)) throw invalidArgument('period() must appear once, as a condition of the WHERE clause joined by AND')
  }
  return {
    ...statement as SelectStatement,
    node: {
      ...node,
      select_list,
      where_clause: where === null ? null : withRange(where),
      having: node.having === null ? null : withRange(node.having),
      modifiers: node.modifiers.map(m => transformTree(m))
    }
  }
}

function isIncrements (node: Expr): boolean {
  return isFunction(node) && node.function_name.toLowerCase() === 'increments' && node.schema === ''
}

function isEdgeLakeRange (node: Expr): boolean {
  return isFunction(node) && node.function_name.toLowerCase() === 'range' && node.schema === '' && !node.is_operator &&
    node.children.length === 1 && someExpr(node.children[0] as Expr, isColumnRef)
}

function withRange (expr: Expr): Expr {
  return transformExpr(expr, node => {
    if (!isEdgeLakeRange(node)) return undefined
    const arg = (node as FunctionExpr).children[0] as Expr
    return withAlias(operator('-', func('max', [arg]), func('min', [arg])), node.alias)
  })
}

function transformTree<T> (value: T): T {
  if (Array.isArray(value)) return value.map(v => transformTree(v)) as T
  if (value === null || typeof value !== 'object') return value
  if (typeof (value as { class?: unknown }).class === 'string') return withRange(value as unknown as Expr) as unknown as T
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, transformTree(v)])) as T
}
