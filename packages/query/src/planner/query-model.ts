/**
 * What a single-table SELECT asks for, with DuckDB's name resolution applied once so the strategies never look at
 * aliases or ordinals again: stars expanded from the catalog, lateral aliases substituted, GROUP BY and ORDER BY
 * terms resolved to select items or expressions, LIMIT/OFFSET read, increments() taken out of the select list.
 *
 * DuckDB's rules, checked against DuckDB 1.5:
 * - a bare ORDER BY name is a select alias first, then a column; inside an ORDER BY expression a table column wins;
 * - GROUP BY names and lateral references in the select list are table columns first, then aliases;
 * - an integer constant in ORDER BY / GROUP BY is a 1-based select item;
 * - GROUP BY ALL groups by the select items that call no aggregate and read a column (`1`, `random()` are not keys);
 * - ORDER BY ALL orders by every select item.
 */
import { columnRef, expressionKey, integerConstant, isColumnRef, isFunction, isStar, someExpr, transformExpr, withAlias } from '../sql-tree/index.js'
import type { DistinctModifier, Expr, FunctionExpr, LimitModifier, OrderModifier, SelectNode, StarExpr } from '../sql-tree/index.js'
import { containsAggregate } from './aggregate-calls.js'
import { describe } from './describe.js'
import { invalidArgument, unsupported } from './refusals.js'
import type { TableInfo } from './table-info.js'
import { tableColumnOf } from './table-info.js'

/** The planner's own column names in fragments and merges (__k0, __d0, __a0_sum, __w0_count, __c0, __o0, __p0, __t). */
const RESERVED_NAME = /^__[a-z]\d*(_|$)/i

export interface SelectItem {
  readonly expr: Expr
  /** The alias written in the query, lower case ('' when none). */
  readonly alias: string
  /** The output column name (from outputNames). */
  readonly name: string
}

export type OrderTarget = { readonly kind: 'item', readonly index: number } | { readonly kind: 'expr', readonly expr: Expr }

export interface ResolvedOrder {
  readonly target: OrderTarget
  readonly descending: boolean
  /** DuckDB's default is NULLS LAST for ASC and DESC alike; made explicit so no node's setting matters. */
  readonly nullsFirst: boolean
}

export interface SelectQuery {
  readonly table: TableInfo
  readonly items: readonly SelectItem[]
  readonly where: Expr | null
  /** null: no GROUP BY; []: grouped by nothing (GROUP BY () or GROUP BY ALL without keys). */
  readonly groupBy: readonly Expr[] | null
  readonly having: Expr | null
  readonly orderBy: readonly ResolvedOrder[]
  readonly limit: bigint | null
  readonly offset: bigint
  readonly distinct: boolean
  /** The increments() call of the select list, if any. */
  readonly increments: FunctionExpr | null
  /** GROUP BY, HAVING, an aggregate or increments(): the query answers one row per group. */
  readonly isAggregate: boolean
  /** Key of expressions (see expressionKey) with this table's qualifiers. */
  key(expr: Expr): string
}

export function buildQueryModel (node: SelectNode, table: TableInfo, outputNames: readonly string[]): SelectQuery {
  const key = (expr: Expr): string => expressionKey(expr, table.qualifiers)
  const { items: rawItems, increments } = selectItems(node, table)
  if (rawItems.length !== outputNames.length) {
    // DuckDB's binder expanded the select list otherwise than this model did: the merge DuckDB runs it whole
    throw unsupported(`a select list DuckDB expands to ${outputNames.length} columns (read here as ${rawItems.length})`)
  }
  const items: SelectItem[] = rawItems.map((item, i) => ({ ...item, name: outputNames[i] as string }))
  const reserved = outputNames.find(name => RESERVED_NAME.test(name))
  if (reserved !== undefined) throw unsupported(`an output column named ${reserved}`, 'names like __k0, __a0_sum, __c0 are the planner\'s partial columns; choose another alias')
  for (const clause of [node.where_clause, node.having, ...node.group_expressions]) {
    if (clause !== null && someExpr(clause, isIncrements)) throw invalidArgument('increments() belongs in the select list, where it makes the time buckets')
  }

  const aliases = new Map<string, Expr>()
  for (const item of items) if (item.alias !== '' && !aliases.has(item.alias)) aliases.set(item.alias, item.expr)
  const withAliases = (expr: Expr): Expr => substituteAliases(expr, aliases, table)

  const groupBy = resolveGroupBy(node, items, table, withAliases)
  const having = node.having === null ? null : withAliases(node.having)
  const order = node.modifiers.find((m): m is OrderModifier => m.type === 'ORDER_MODIFIER')
  const orderBy = order === undefined ? [] : resolveOrderBy(order, items, table, key, withAliases)
  if (order !== undefined && order.orders.some(term => someExpr(term.expression, isIncrements))) {
    throw invalidArgument('increments() belongs in the select list, where it makes the time buckets')
  }
  const limitModifier = node.modifiers.find((m): m is LimitModifier => m.type === 'LIMIT_MODIFIER')
  const distinct = node.modifiers.some((m): m is DistinctModifier => m.type === 'DISTINCT_MODIFIER')
  const isAggregate = groupBy !== null || having !== null || increments !== null ||
    items.some(item => containsAggregate(item.expr)) ||
    orderBy.some(o => o.target.kind === 'expr' && containsAggregate(o.target.expr))
  return {
    table,
    items,
    where: node.where_clause,
    groupBy,
    having,
    orderBy,
    limit: (limitModifier?.limit ?? null) === null ? null : limitValue(limitModifier?.limit as Expr, 'LIMIT'),
    offset: (limitModifier?.offset ?? null) === null ? 0n : limitValue(limitModifier?.offset as Expr, 'OFFSET') ?? 0n,
    distinct,
    increments,
    isAggregate,
    key
  }
}

function isIncrements (node: Expr): boolean {
  return isFunction(node) && node.function_name.toLowerCase() === 'increments' && node.schema === ''
}

function selectItems (node: SelectNode, table: TableInfo): { items: { expr: Expr, alias: string }[], increments: FunctionExpr | null } {
  const items: { expr: Expr, alias: string }[] = []
  let increments: FunctionExpr | null = null
  const lateral = new Map<string, Expr>()
  for (const entry of node.select_list) {
    if (isStar(entry)) {
      items.push(...expandStar(entry, table))
      continue
    }
    if (isIncrements(entry)) {
      if (increments !== null) throw invalidArgument('a query takes one increments()')
      increments = entry as FunctionExpr
      continue
    }
    if (someExpr(entry, isIncrements)) throw invalidArgument('increments() stands alone in the select list; its buckets are not a column of the answer')
    // min(COLUMNS('.*pid')), *COLUMNS(...): DuckDB's binder makes several columns of one expression
    if (someExpr(entry, isStar)) throw unsupported('COLUMNS(...) or * inside an expression')
    const expr = withAlias(substituteAliases(entry, lateral, table), '')
    const alias = entry.alias.toLowerCase()
    items.push({ expr, alias })
    if (alias !== '' && !lateral.has(alias)) lateral.set(alias, expr)
  }
  return { items, increments }
}

function expandStar (star: StarExpr, table: TableInfo): { expr: Expr, alias: string }[] {
  const relation = (star.relation_name ?? '').toLowerCase()
  if (star.columns || (star.expr !== undefined && star.expr !== null)) throw unsupported('COLUMNS(...)')
  if ((star.rename_list?.length ?? 0) > 0 || (star.qualified_exclude_list?.length ?? 0) > 0) throw unsupported('* RENAME / qualified * EXCLUDE')
  if (relation !== '' && !table.qualifiers.has(relation)) throw unsupported(`${relation}.*`)
  const excluded = new Set((star.exclude_list ?? []).map(e => String(typeof e === 'string' ? e : (e as { column_names?: string[] }).column_names?.at(-1) ?? e).toLowerCase()))
  const replaced = new Map((star.replace_list ?? []).map(r => [r.key.toLowerCase(), r.value]))
  return table.schema.columns
    .filter(c => !excluded.has(c.name.toLowerCase()))
    .map(c => {
      const replacement = replaced.get(c.name.toLowerCase())
      return replacement === undefined ? { expr: columnRef(c.name), alias: '' } : { expr: withAlias(replacement, ''), alias: c.name.toLowerCase() }
    })
}

/** Unqualified names that are not columns of the table but are select aliases become the aliased expression. */
function substituteAliases (expr: Expr, aliases: ReadonlyMap<string, Expr>, table: TableInfo): Expr {
  if (aliases.size === 0) return expr
  return transformExpr(expr, node => {
    if (!isColumnRef(node) || node.column_names.length !== 1) return undefined
    const name = (node.column_names[0] as string).toLowerCase()
    if (table.columnTypes.has(name)) return undefined
    return aliases.get(name)
  })
}

function itemAt (ordinal: bigint, items: readonly SelectItem[], clause: string): number {
  if (ordinal < 1n || ordinal > BigInt(items.length)) throw invalidArgument(`${clause} term ${ordinal} is not in the select list (1 to ${items.length})`)
  return Number(ordinal) - 1
}

function resolveGroupBy (node: SelectNode, items: readonly SelectItem[], table: TableInfo, withAliases: (e: Expr) => Expr): Expr[] | null {
  if (node.aggregate_handling === 'FORCE_AGGREGATES') {
    return items.filter(item => !containsAggregate(item.expr) && someExpr(item.expr, isColumnRef)).map(item => item.expr)
  }
  if (node.group_expressions.length === 0) return node.group_sets.length > 0 ? [] : null
  return node.group_expressions.map(expr => {
    const ordinal = integerConstant(expr)
    if (ordinal !== undefined && ordinal !== null) return (items[itemAt(ordinal, items, 'GROUP BY')] as SelectItem).expr
    if (tableColumnOf(expr, table) !== undefined) return expr
    return withAliases(expr)
  })
}

function resolveOrderBy (order: OrderModifier, items: readonly SelectItem[], table: TableInfo, key: (e: Expr) => string, withAliases: (e: Expr) => Expr): ResolvedOrder[] {
  const resolved: ResolvedOrder[] = []
  for (const term of order.orders) {
    const descending = term.type === 'DESCENDING'
    const nullsFirst = term.null_order === 'NULLS FIRST'
    const expr = term.expression
    if (isStar(expr)) {
      if (expr.columns === false && (expr.relation_name ?? '') !== '') throw unsupported(`ORDER BY ${describe(expr)}`)
      items.forEach((_, index) => resolved.push({ target: { kind: 'item', index }, descending, nullsFirst }))
      continue
    }
    resolved.push({ target: orderTarget(expr, items, table, key, withAliases), descending, nullsFirst })
  }
  return resolved
}

function orderTarget (expr: Expr, items: readonly SelectItem[], table: TableInfo, key: (e: Expr) => string, withAliases: (e: Expr) => Expr): OrderTarget {
  const ordinal = integerConstant(expr)
  if (ordinal !== undefined && ordinal !== null) return { kind: 'item', index: itemAt(ordinal, items, 'ORDER BY') }
  if (isColumnRef(expr) && expr.column_names.length === 1) {
    const byAlias = items.findIndex(item => item.alias === (expr.column_names[0] as string).toLowerCase())
    if (byAlias >= 0) return { kind: 'item', index: byAlias }
  }
  const resolved = tableColumnOf(expr, table) !== undefined ? expr : withAliases(expr)
  const wanted = key(resolved)
  const index = items.findIndex(item => key(item.expr) === wanted)
  return index >= 0 ? { kind: 'item', index } : { kind: 'expr', expr: resolved }
}

function limitValue (expr: Expr, clause: string): bigint | null {
  const value = integerConstant(expr)
  if (value === undefined) throw unsupported(`${clause} with an expression (${describe(expr)})`)
  if (value !== null && value < 0n) throw invalidArgument(`${clause} must not be negative`)
  return value
}
