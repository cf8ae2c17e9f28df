/**
 * Subqueries the relational pull does not pull as rows: a subquery in FROM, or a CTE, that reads one distributed
 * table and that a specific strategy answers on its own (an aggregation, holistic or not; a SELECT with LIMIT or
 * DISTINCT) is planned as a network query of its own, and the statement reads its answer instead, from a table
 * `__sq<i>` the executor loads into the merge DuckDB:
 *
 *   SELECT ... FROM logs l JOIN (SELECT pod_name FROM logs GROUP BY 1 ORDER BY count(*) DESC LIMIT 3) t USING (pod_name)
 *   → t: split aggregation over the network, its 3 rows in __sq0
 *   → SELECT ... FROM logs l JOIN __sq0 AS t USING (pod_name), logs l pulled (and cut to t's keys by key shipping)
 *
 * An uncorrelated subquery's value does not depend on where it stands, so the swap holds under any join. A subquery
 * is left to the pull when any column it reads might bind outside it (correlated, LATERAL), when it holds another
 * subquery, a lambda or a star other than a plain `*`, or when its column names are not plain (an alias, a column,
 * `*`): they must be DuckDB's names for the subquery's columns, which the statement reads the table by.
 * A CTE's references (where its name is in scope) become the table; its body becomes `SELECT * FROM __sq<i>`. The
 * same subquery twice (the same parse tree) is one table.
 */
import { baseTable, isColumnRef, isExpr, isSelectNode, isStar, selectNode, star, statement as statementOf, visitTree } from '../sql-tree/index.js'
import type { BaseTableRef, QueryNode, SelectNode, SelectStatement, StarExpr, TableRefNode } from '../sql-tree/index.js'
import type { DerivedTable, NetworkPlan, PlanCatalog } from './plan.js'

/** A specific strategy's plan for a subquery and the strategy's name, or undefined when none answers it on its own. */
export type SubqueryPlanner = (statement: unknown, outputNames: readonly string[]) => { readonly plan: NetworkPlan, readonly strategy: string } | undefined

/** What the statement knows of a derived table's columns: names (as the table is read), types where plain columns. */
export interface DerivedSchema {
  readonly columns: readonly string[]
  readonly types: readonly (string | undefined)[]
}

export interface Derivation {
  /** The statement with every derived subquery replaced by its table. */
  readonly statement: unknown
  readonly derived: readonly DerivedTable[]
  readonly schemas: ReadonlyMap<string, DerivedSchema>
}

const QUERY_NODE_TYPES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'RECURSIVE_CTE_NODE', 'CTE_NODE'])

interface CteEntry { key?: unknown, value?: { aliases?: unknown[], query?: { node?: QueryNode, named_param_map?: unknown[] } } }

export function deriveSubqueries (statement: unknown, catalog: PlanCatalog, planSubquery: SubqueryPlanner): Derivation {
  const derived: DerivedTable[] = []
  const schemas = new Map<string, DerivedSchema>()
  const byKey = new Map<string, string>()

  /** The table's name when `sub` is a derivable subquery (named `label`, its columns renamed by `aliases`). */
  const derive = (sub: SelectStatement, label: string, aliases: readonly unknown[], ctes: ReadonlyMap<string, string | null>): string | undefined => {
    const node = sub.node
    if (!isSelectNode(node)) return undefined
    const from = node.from_table as BaseTableRef
    if (from.type !== 'BASE_TABLE' || String(from.schema_name ?? '') !== '' || String(from.catalog_name ?? '') !== '') return undefined
    const table = from.table_name.toLowerCase()
    const schema = catalog.tables.get(table)
    if (schema === undefined || ctes.has(table)) return undefined
    const columns = new Map(schema.columns.map(c => [c.name.toLowerCase(), c] as const))
    const alias = (from.alias !== '' ? from.alias : from.table_name).toLowerCase()
    const items = outputItems(node, columns, alias, aliases)
    if (items === undefined || !independent(node, columns, alias)) return undefined
    const names = items.map(i => i.name)
    if (new Set(names.map(n => n.toLowerCase())).size !== names.length) return undefined
    // the same subquery (the same columns) twice is answered once
    const key = JSON.stringify([node, names], (k, v: unknown) => k === 'query_location' ? undefined : v)
    const known = byKey.get(key)
    if (known !== undefined) return known
    const planned = planSubquery(sub, names)
    if (planned === undefined) return undefined
    const name = `__sq${derived.length}`
    derived.push({ name, label, plan: planned.plan, statement: sub, columns: names, strategy: planned.strategy })
    schemas.set(name, { columns: names, types: items.map(i => i.type) })
    byKey.set(key, name)
    return name
  }

  const rewrite = (value: unknown, ctes: ReadonlyMap<string, string | null>): unknown => {
    if (Array.isArray(value)) return value.map(v => rewrite(v, ctes))
    if (value === null || typeof value !== 'object') return value
    const node = value as Record<string, unknown>
    if (typeof node.type === 'string' && QUERY_NODE_TYPES.has(node.type) && !isExpr(node)) return rewriteQuery(node as unknown as QueryNode, ctes)
    if (!isExpr(node) && node.type === 'SUBQUERY' && node.subquery !== undefined && (node.sample ?? null) === null) {
      const ref = node as TableRefNode & { subquery: SelectStatement }
      const renamed = Array.isArray(ref.column_name_alias) ? ref.column_name_alias as unknown[] : []
      const name = derive(ref.subquery, ref.alias !== '' ? ref.alias : '(unnamed)', renamed, ctes)
      if (name !== undefined) return baseTable(name, ref.alias)
    }
    if (!isExpr(node) && node.type === 'BASE_TABLE' && typeof node.table_name === 'string' && String(node.schema_name ?? '') === '' && String(node.catalog_name ?? '') === '') {
      const name = ctes.get(node.table_name.toLowerCase())
      if (name !== undefined && name !== null) return { ...node, table_name: name, alias: node.alias !== '' ? node.alias : node.table_name }
      return node
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, rewrite(v, ctes)]))
  }

  const rewriteQuery = (node: QueryNode, outer: ReadonlyMap<string, string | null>): QueryNode => {
    const ctes = new Map(outer)
    const entries = ((node.cte_map?.map ?? []) as CteEntry[]).map(entry => {
      const key = typeof entry.key === 'string' ? entry.key.toLowerCase() : undefined
      const query = entry.value?.query
      if (key === undefined || query?.node === undefined) return entry
      const name = derive(query as SelectStatement, String(entry.key), entry.value?.aliases ?? [], ctes)
      const body = name === undefined ? { ...query, node: rewriteQuery(query.node, ctes) } : statementOf(selectNode({ selectList: [star()], from: baseTable(name) }))
      ctes.set(key, name ?? null)
      return { ...entry, value: { ...entry.value, aliases: name === undefined ? entry.value?.aliases : [], query: body } }
    })
    const rest = Object.fromEntries(Object.entries(node).filter(([k]) => k !== 'cte_map').map(([k, v]) => [k, rewrite(v, ctes)]))
    return { ...node, ...rest, cte_map: { ...node.cte_map, map: entries } }
  }

  const rewritten = rewrite(statement, new Map())
  return { statement: rewritten, derived, schemas }
}

/**
 * The subquery's column names as the statement reads them (renamed by `t(a, b)` / `WITH t(a, b)`, else DuckDB's
 * names), with their types where they are plain columns; undefined when a name is not known.
 */
function outputItems (node: SelectNode, columns: ReadonlyMap<string, { name: string, type: string }>, alias: string, renamed: readonly unknown[]): { name: string, type?: string }[] | undefined {
  const out: { name?: string, type?: string }[] = []
  for (const item of node.select_list) {
    if (isStar(item)) {
      if (!plainStar(item, alias)) return undefined
      for (const c of columns.values()) out.push({ name: c.name, type: c.type })
      continue
    }
    const column = isColumnRef(item) ? ownColumn(item.column_names, columns, alias) : undefined
    out.push({ ...(item.alias !== '' ? { name: item.alias } : column === undefined ? {} : { name: column.name }), ...(column === undefined ? {} : { type: column.type }) })
  }
  if (renamed.length > out.length) return undefined
  const named = out.map((item, i) => ({ ...item, name: typeof renamed[i] === 'string' ? renamed[i] as string : item.name }))
  return named.every((item): item is { name: string, type?: string } => item.name !== undefined) ? named : undefined
}

function plainStar (item: StarExpr, alias: string): boolean {
  const relation = String(item.relation_name ?? '').toLowerCase()
  return (relation === '' || relation === alias) && !item.columns && (item.expr ?? null) === null &&
    [item.exclude_list, item.replace_list, item.rename_list, item.qualified_exclude_list].every(l => (l ?? []).length === 0)
}

/** The table column a column reference names (`c` or `alias.c`). */
function ownColumn (names: readonly string[], columns: ReadonlyMap<string, { name: string, type: string }>, alias: string): { name: string, type: string } | undefined {
  const lower = names.map(n => n.toLowerCase())
  if (lower.length === 1) return columns.get(lower[0] as string)
  return lower.length === 2 && lower[0] === alias ? columns.get(lower[1] as string) : undefined
}

/** Every column the subquery reads binds inside it: to its table, or to its own select list's aliases; no nested subquery. */
function independent (node: SelectNode, columns: ReadonlyMap<string, unknown>, alias: string): boolean {
  const aliases = new Set(node.select_list.map(i => i.alias.toLowerCase()).filter(a => a !== ''))
  let ok = true
  visitTree([node.select_list, node.where_clause, node.group_expressions, node.having, node.qualify, node.modifiers], value => {
    if (!ok) return
    if (value.class === 'SUBQUERY' || value.class === 'LAMBDA' || value.type === 'SUBQUERY') { ok = false; return }
    if (value.class !== 'COLUMN_REF' || !Array.isArray(value.column_names)) return
    const names = (value.column_names as string[]).map(n => n.toLowerCase())
    const first = names[0] as string
    ok = names.length === 1
      ? columns.has(first) || aliases.has(first)
      // alias.column[.field...], or column.field...
      : (first === alias && columns.has(names[1] as string)) || columns.has(first)
  })
  return ok
}
