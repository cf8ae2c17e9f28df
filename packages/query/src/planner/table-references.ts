/**
 * Every reference to a distributed table in a statement, with what an operator may do for it alone: the columns
 * the statement can read from it and the conditions that hold for every row the statement can use from it.
 *
 * A reference is a BASE_TABLE naming a catalog table where no CTE of that name is in scope (a CTE defined by a
 * query node is visible in the whole node, its other CTEs included). Conditions are pushed only where dropping a
 * row early cannot change the answer:
 * - the WHERE conjuncts of the SELECT whose FROM holds the reference, when the path from that FROM to it goes
 *   through inner or cross joins only, or through the preserved side of a LEFT/RIGHT join or the left of SEMI/ANTI;
 * - the ON conjuncts of an inner or SEMI join (both sides), and of a LEFT/RIGHT/ANTI join for its null-supplying side;
 * never through FULL, NATURAL, ASOF, POSITIONAL or LATERAL joins, nor from outside a subquery into it, nor from
 * HAVING or QUALIFY (they see groups and windows, not rows).
 * A conjunct qualifies when every column it reads binds, in DuckDB's rules, to this reference: `alias.col`, or
 * an unqualified name that is a column of this table and of no other table of the same FROM (an unknown FROM item,
 * a subquery or a CTE, makes every unqualified name doubtful). It must not hold a subquery, a window, a parameter,
 * a star, or a function whose value changes between evaluations (random(), the current time).
 *
 * Columns are over-approximated: every column whose name appears in some column reference of the statement (any
 * part of a dotted name), every USING column; all columns where a star, COLUMNS(...), a whole-row reference, a
 * positional reference, a NATURAL join, PIVOT/UNPIVOT or renamed columns (`t(a, b)`) could read them.
 *
 * Key reducers (semi-join reduction, "key shipping"): a reference may be cut down to the rows whose column k takes
 * a value of column j of another reference's rows when every row the statement uses from it satisfies k = j with
 * a row of the other: an equality between two plain columns (of the same type) among its conditions' candidates
 * (inner and SEMI joins both ways, the null-supplying side of LEFT/RIGHT by the preserved side, the right of ANTI
 * by the left), or a WHERE conjunct `k IN (SELECT j FROM t ...)` / `EXISTS (SELECT ... FROM t WHERE t.j = k ...)`
 * over one distributed table. The other reference's rows are a superset of the rows that can match (its own
 * pushed conditions only), so the reduction never drops a row the answer needs.
 * A derived table (a subquery answered on its own, derived-tables.ts) is no reference, but its columns are known:
 * it may be the other side of a key reducer (its rows are exactly what the statement reads), and names that are
 * not its columns bind elsewhere.
 */
import { cteNamesOf } from '@fedlake/sql'
import { columnRef, compare, isColumnRef, isExpr, isStar, someExpr, visitExpr } from '../sql-tree/index.js'
import type { BaseTableRef, ComparisonExpr, Expr, QueryNode, SelectNode, TableRefNode } from '../sql-tree/index.js'
import type { DerivedSchema } from './derived-tables.js'
import type { PlanCatalog } from './plan.js'
import { conjuncts } from './time-span.js'

export interface TableReference {
  /** The BASE_TABLE node, as it sits in the statement (identity matters: it is replaced by the merge). */
  readonly node: BaseTableRef
  /** Lower-case catalog name. */
  readonly table: string
  /** The name the statement's column references qualify it with: its alias, else its table name (lower case). */
  readonly alias: string
  /** Conjuncts every row the statement uses from this reference satisfies. */
  readonly conditions: readonly Expr[]
  /** Lower-case column names the statement may read, or 'all'. */
  readonly columns: ReadonlySet<string> | 'all'
  /** Other references whose values of `sourceColumn` may restrict this one's `column` (see the header). */
  readonly reducers: readonly KeyReducer[]
}

export interface KeyReducer {
  /** Lower-case column of this reference. */
  readonly column: string
  /** The other reference's BASE_TABLE node. */
  readonly source: BaseTableRef
  /** Lower-case column of the other reference. */
  readonly sourceColumn: string
  /** The column's type (the same in both tables). */
  readonly type: string
}

const QUERY_NODE_TYPES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'RECURSIVE_CTE_NODE', 'CTE_NODE'])

/** Functions whose value differs between the operator and the query node, or between two calls. */
const VOLATILE = new Set([
  'random', 'gen_random_uuid', 'uuid', 'uuidv4', 'uuidv7', 'nextval', 'currval', 'setseed', 'now', 'current_timestamp',
  'get_current_timestamp', 'transaction_timestamp', 'current_date', 'current_time', 'today', 'get_current_time', 'current_localtime',
  'current_localtimestamp', 'localtime', 'localtimestamp'
])

interface Leaf {
  readonly node: TableRefNode
  /** Columns of the leaf when known (a distributed or derived table), else undefined (subquery, CTE, table function...). */
  readonly columns?: ReadonlySet<string>
  /** Column types of a derived table (lower-case names), where known. */
  readonly derived?: ReadonlyMap<string, string | undefined>
  readonly alias: string
  readonly candidates: readonly Expr[]
}

export function tableReferences (statement: unknown, catalog: PlanCatalog, derivedTables: ReadonlyMap<string, DerivedSchema> = new Map()): TableReference[] {
  const found = new Map<BaseTableRef, { table: string, alias: string, conditions: Expr[], all: boolean }>()
  const columnsOf = (table: string): ReadonlySet<string> => new Set((catalog.tables.get(table)?.columns ?? []).map(c => c.name.toLowerCase()))
  const typeOf = (table: string, column: string): string | undefined => catalog.tables.get(table)?.columns.find(c => c.name.toLowerCase() === column)?.type
  const reducers = new Map<BaseTableRef, KeyReducer[]>()
  const distributed = (node: Record<string, unknown>, ctes: ReadonlySet<string>): string | undefined => {
    if (node.type !== 'BASE_TABLE' || typeof node.table_name !== 'string') return undefined
    const name = node.table_name.toLowerCase()
    const qualified = String(node.schema_name ?? '') !== '' || String(node.catalog_name ?? '') !== ''
    if (!qualified && ctes.has(name)) return undefined
    return catalog.tables.has(name) ? name : undefined
  }
  /** The columns (lower case, as the reference renames them) and types of a derived table the node reads. */
  const derivedOf = (node: TableRefNode, ctes: ReadonlySet<string>): Map<string, string | undefined> | undefined => {
    if (node.type !== 'BASE_TABLE' || String(node.schema_name ?? '') !== '' || String(node.catalog_name ?? '') !== '') return undefined
    const name = String(node.table_name).toLowerCase()
    const schema = ctes.has(name) ? undefined : derivedTables.get(name)
    if (schema === undefined) return undefined
    const renamed = Array.isArray(node.column_name_alias) ? node.column_name_alias as unknown[] : []
    return new Map(schema.columns.map((c, i) => [String(renamed[i] ?? c).toLowerCase(), schema.types[i]]))
  }
  const record = (node: BaseTableRef, table: string, conditions: Expr[], all: boolean): void => {
    const renamed = Array.isArray(node.column_name_alias) && node.column_name_alias.length > 0
    found.set(node, { table, alias: (node.alias !== '' ? node.alias : node.table_name).toLowerCase(), conditions, all: all || renamed })
  }
  /** Names read whole: stars and whole-row references per SELECT, positional references anywhere. */
  const wholeTables = new Set<BaseTableRef>()
  let positional = false

  const walkAny = (value: unknown, ctes: ReadonlySet<string>): void => {
    if (Array.isArray(value)) { for (const item of value) walkAny(item, ctes); return }
    if (value === null || typeof value !== 'object') return
    const node = value as Record<string, unknown>
    if (typeof node.type === 'string' && QUERY_NODE_TYPES.has(node.type) && !isExpr(node)) { walkQuery(node as unknown as QueryNode, ctes); return }
    if (node.class === 'POSITIONAL_REFERENCE') positional = true
    const table = distributed(node, ctes)
    // a distributed table met outside a SELECT's FROM leaves (PIVOT's source, SHOW ...): read whole, nothing pushed
    if (table !== undefined && !found.has(node as unknown as BaseTableRef)) record(node as unknown as BaseTableRef, table, [], true)
    for (const item of Object.values(node)) walkAny(item, ctes)
  }

  const walkQuery = (node: QueryNode, outer: ReadonlySet<string>): void => {
    const ctes = new Set(outer)
    for (const name of cteNamesOf(node as unknown as Record<string, unknown>)) ctes.add(name)
    const entries = (node.cte_map?.map ?? []) as { value?: { query?: { node?: QueryNode } } }[]
    for (const entry of entries) if (entry.value?.query?.node !== undefined) walkQuery(entry.value.query.node, ctes)
    if (node.type === 'SELECT_NODE') walkSelect(node as SelectNode, ctes)
    for (const [key, item] of Object.entries(node)) if (key !== 'cte_map') walkAny(item, ctes)
  }

  const walkSelect = (node: SelectNode, ctes: ReadonlySet<string>): void => {
    const leaves: Leaf[] = []
    const collect = (ref: TableRefNode, candidates: readonly Expr[]): void => {
      if (ref.type === 'JOIN') {
        const on = [...conjuncts((ref.condition as Expr | null | undefined) ?? null), ...usingEqualities(ref)]
        const [left, right] = joinSides(String(ref.join_type), String(ref.ref_type), candidates, on)
        if (String(ref.ref_type) === 'NATURAL') markWhole(ref)
        collect(ref.left as TableRefNode, left)
        collect(ref.right as TableRefNode, right)
        return
      }
      const table = distributed(ref, ctes)
      const derived = derivedOf(ref, ctes)
      if (derived !== undefined) {
        leaves.push({ node: ref, columns: new Set(derived.keys()), derived, alias: (ref.alias !== '' ? ref.alias : String(ref.table_name)).toLowerCase(), candidates: [] })
        return
      }
      if (table === undefined) {
        if (ref.type === 'PIVOT') markWhole(ref)
        leaves.push({ node: ref, alias: ref.alias.toLowerCase(), candidates: [] })
        return
      }
      leaves.push({ node: ref, columns: columnsOf(table), alias: (ref.alias !== '' ? ref.alias : (ref as BaseTableRef).table_name).toLowerCase(), candidates })
    }
    const markWhole = (ref: TableRefNode): void => {
      walkTables(ref, base => { if (distributed(base, ctes) !== undefined) wholeTables.add(base as unknown as BaseTableRef) })
    }
    collect(node.from_table, conjuncts(node.where_clause))
    for (const leaf of leaves) {
      if (leaf.columns === undefined || leaf.derived !== undefined) continue
      const table = distributed(leaf.node, ctes) as string
      const conditions = leaf.candidates.filter(c => bindsOnlyTo(c, leaf, leaves))
      record(leaf.node as BaseTableRef, table, conditions, false)
      const found = leaf.candidates.flatMap(c => keyReducers(c, leaf, leaves, ctes))
      if (found.length > 0) reducers.set(leaf.node as BaseTableRef, found)
    }
    // SELECT * / t.* / COLUMNS(...) / SELECT t: every column of the leaves they name
    const distributedLeaves = leaves.filter(l => l.columns !== undefined && l.derived === undefined)
    const readsWhole = (leaf: Leaf): boolean => [...node.select_list, ...node.modifiers, node.qualify, node.having, ...node.group_expressions, node.where_clause].some(part => {
      if (part === null || part === undefined) return false
      const parts = Array.isArray(part) ? part : [part]
      return parts.some(p => isExpr(p) ? someExpr(p, e => namesWhole(e, leaf)) : hasExpr(p, e => namesWhole(e, leaf)))
    })
    for (const leaf of distributedLeaves) if (readsWhole(leaf)) wholeTables.add(leaf.node as BaseTableRef)
  }

  /** A column of `leaf`'s table read by a plain column reference binding to it alone (lower case), with its type. */
  const keyOf = (e: Expr, leaf: Leaf, leaves: readonly Leaf[]): { column: string, type: string } | undefined => {
    if (!isColumnRef(e) || leaf.columns === undefined || !bindsOnlyTo(e, leaf, leaves)) return undefined
    const column = (e.column_names.at(-1) as string).toLowerCase()
    const type = leaf.derived !== undefined ? leaf.derived.get(column) : typeOf(distributedName(leaf), column)
    return type === undefined ? undefined : { column, type }
  }
  const distributedName = (leaf: Leaf): string => (leaf.node as BaseTableRef).table_name.toLowerCase()
  const keyReducers = (c: Expr, leaf: Leaf, leaves: readonly Leaf[], ctes: ReadonlySet<string>): KeyReducer[] => {
    if (c.class === 'COMPARISON' && c.type === 'COMPARE_EQUAL') {
      const { left, right } = c as ComparisonExpr
      const out: KeyReducer[] = []
      for (const [mine, theirs] of [[left, right], [right, left]] as const) {
        const key = keyOf(mine, leaf, leaves)
        if (key === undefined) continue
        for (const other of leaves) {
          if (other === leaf || other.columns === undefined) continue
          const source = keyOf(theirs, other, leaves)
          if (source !== undefined && source.type === key.type) out.push({ column: key.column, source: other.node as BaseTableRef, sourceColumn: source.column, type: key.type })
        }
      }
      return out
    }
    if (c.class !== 'SUBQUERY') return []
    const sub = (c as Expr & { subquery?: { node?: QueryNode } }).subquery?.node
    const from = simpleSource(sub, ctes)
    if (from === undefined) return []
    const fromLeaf: Leaf = { node: from.node, columns: columnsOf(from.table), alias: from.alias, candidates: [] }
    if (c.subquery_type === 'ANY' && c.comparison_type === 'COMPARE_EQUAL') {
      const key = keyOf(c.child as Expr, leaf, leaves)
      const selected = (sub as SelectNode).select_list
      const source = selected.length === 1 ? keyOf(selected[0] as Expr, fromLeaf, [fromLeaf]) : undefined
      return key !== undefined && source !== undefined && source.type === key.type ? [{ column: key.column, source: from.node, sourceColumn: source.column, type: key.type }] : []
    }
    if (c.subquery_type !== 'EXISTS' || from.alias === leaf.alias) return []
    // correlated by equality: `t.j = outer.k`, each side qualified (an unqualified name would bind inside first)
    const out: KeyReducer[] = []
    for (const conjunct of conjuncts((sub as SelectNode).where_clause)) {
      if (conjunct.class !== 'COMPARISON' || conjunct.type !== 'COMPARE_EQUAL') continue
      const { left, right } = conjunct as ComparisonExpr
      for (const [mine, theirs] of [[left, right], [right, left]] as const) {
        if (!isColumnRef(mine) || mine.column_names.length !== 2 || !isColumnRef(theirs) || theirs.column_names.length !== 2) continue
        const key = keyOf(mine, leaf, leaves)
        const source = keyOf(theirs, fromLeaf, [fromLeaf])
        if (key !== undefined && source !== undefined && source.type === key.type) out.push({ column: key.column, source: from.node, sourceColumn: source.column, type: key.type })
      }
    }
    return out
  }
  /** A subquery reading one distributed table and nothing that could drop or add key values: no CTE, grouping, window filter or modifier. */
  const simpleSource = (sub: QueryNode | undefined, ctes: ReadonlySet<string>): { node: BaseTableRef, table: string, alias: string } | undefined => {
    if (sub?.type !== 'SELECT_NODE' || sub.modifiers.length > 0 || sub.cte_map.map.length > 0) return undefined
    const select = sub as SelectNode
    if (select.group_expressions.length > 0 || select.having !== null || select.qualify !== null || (select.sample ?? null) !== null) return undefined
    const from = select.from_table as Record<string, unknown>
    const table = distributed(from, ctes)
    if (table === undefined || (from.sample ?? null) !== null) return undefined
    const node = from as unknown as BaseTableRef
    return { node, table, alias: (node.alias !== '' ? node.alias : node.table_name).toLowerCase() }
  }

  walkAny(statement, new Set())

  const namesSeen = new Set<string>()
  const lastNames = new Set<string>()
  collectNames(statement, namesSeen, lastNames)
  return [...found.entries()].map(([node, r]) => {
    // `SELECT t` (or to_json(t)) reads the whole row of t
    const keyed = (reducers.get(node) ?? []).filter(k => found.has(k.source) || derivedTables.has(k.source.table_name.toLowerCase()))
    if (r.all || positional || wholeTables.has(node) || lastNames.has(r.alias)) return { node, table: r.table, alias: r.alias, conditions: r.conditions, columns: 'all' as const, reducers: keyed }
    const columns = new Set([...columnsOf(r.table)].filter(c => namesSeen.has(c)))
    return { node, table: r.table, alias: r.alias, conditions: r.conditions, columns, reducers: keyed }
  })
}

/**
 * `a JOIN b USING (k)` between two tables as `a.k = b.k`, for the key reducers only (an equality of two tables is
 * never pushed). Only when both sides are tables: deeper, the column's owner is not known here.
 */
function usingEqualities (join: TableRefNode): Expr[] {
  const using = join.using_columns
  const left = join.left as TableRefNode
  const right = join.right as TableRefNode
  if (!Array.isArray(using) || left.type !== 'BASE_TABLE' || right.type !== 'BASE_TABLE') return []
  const alias = (t: TableRefNode): string => t.alias !== '' ? t.alias : (t as BaseTableRef).table_name
  return using.map(c => compare('COMPARE_EQUAL', columnRef(alias(left), String(c)), columnRef(alias(right), String(c))))
}

/** The candidate conjuncts each side of a join inherits: [left, right]. */
function joinSides (joinType: string, refType: string, inherited: readonly Expr[], on: readonly Expr[]): [readonly Expr[], readonly Expr[]] {
  if (refType === 'CROSS') return [inherited, inherited]
  if (refType !== 'REGULAR') return [[], []]
  switch (joinType) {
    case 'INNER': return [[...inherited, ...on], [...inherited, ...on]]
    // a left row of a SEMI join is kept only when some right row satisfies ON: ON holds for both sides' rows
    case 'SEMI': return [[...inherited, ...on], on]
    case 'LEFT': case 'ANTI': return [inherited, on]
    case 'RIGHT': return [on, inherited]
    default: return [[], []]
  }
}

function bindsOnlyTo (conjunct: Expr, leaf: Leaf, leaves: readonly Leaf[]): boolean {
  const columns = leaf.columns as ReadonlySet<string>
  const others = leaves.filter(l => l !== leaf)
  let reads = 0
  let ok = true
  visitExpr(conjunct, node => {
    if (!ok) return false
    if (node.class === 'SUBQUERY' || node.class === 'WINDOW' || node.class === 'PARAMETER' || node.class === 'POSITIONAL_REFERENCE' || isStar(node) || node.class === 'LAMBDA') { ok = false; return false }
    if (node.class === 'FUNCTION' && VOLATILE.has(String(node.function_name).toLowerCase())) { ok = false; return false }
    if (node.class === 'FUNCTION' && (node.function_name === 'current_setting' || node.function_name === 'getvariable')) { ok = false; return false }
    if (!isColumnRef(node)) return
    reads++
    const names = node.column_names.map(n => n.toLowerCase())
    const name = names[names.length - 1] as string
    const binds = names.length === 1
      ? columns.has(name) && others.every(o => o.columns !== undefined && !o.columns.has(name) && o.alias !== name)
      : names.length === 2 && names[0] === leaf.alias && columns.has(name)
    if (!binds) ok = false
  })
  return ok && reads > 0
}

/** A star or whole-row reference reading every column of `leaf`. */
function namesWhole (e: Expr, leaf: Leaf): boolean {
  if (isStar(e)) {
    const relation = String(e.relation_name ?? '').toLowerCase()
    return relation === '' || relation === leaf.alias
  }
  if (e.class === 'COLUMNS') return true
  return isColumnRef(e) && e.column_names.length === 1 && (e.column_names[0] as string).toLowerCase() === leaf.alias
}

function hasExpr (value: unknown, test: (e: Expr) => boolean): boolean {
  if (Array.isArray(value)) return value.some(v => hasExpr(v, test))
  if (value === null || typeof value !== 'object') return false
  if (isExpr(value)) return someExpr(value, test)
  return Object.values(value).some(v => hasExpr(v, test))
}

/** Every BASE_TABLE under a FROM item (not inside subqueries' own scopes: those are walked on their own). */
function walkTables (ref: unknown, visit: (base: Record<string, unknown>) => void): void {
  if (Array.isArray(ref)) { for (const r of ref) walkTables(r, visit); return }
  if (ref === null || typeof ref !== 'object') return
  const node = ref as Record<string, unknown>
  if (node.type === 'BASE_TABLE') { visit(node); return }
  if (typeof node.type === 'string' && QUERY_NODE_TYPES.has(node.type)) return
  for (const item of Object.values(node)) walkTables(item, visit)
}

/** Every name part of every column reference and USING column in the tree, and the last parts apart (lower case). */
function collectNames (value: unknown, names: Set<string>, lastNames: Set<string>): void {
  if (Array.isArray(value)) { for (const item of value) collectNames(item, names, lastNames); return }
  if (value === null || typeof value !== 'object') return
  const node = value as Record<string, unknown>
  if (node.class === 'COLUMN_REF' && Array.isArray(node.column_names)) {
    for (const n of node.column_names) names.add(String(n).toLowerCase())
    lastNames.add(String(node.column_names.at(-1)).toLowerCase())
  }
  if (node.type === 'JOIN' && Array.isArray(node.using_columns)) for (const n of node.using_columns) names.add(String(n).toLowerCase())
  for (const item of Object.values(node)) collectNames(item, names, lastNames)
}
