/**
 * The general strategy, for every SELECT the specific strategies do not answer (joins, subqueries over
 * distributed tables, CTEs, set operations, window functions, QUALIFY, DISTINCT ON, grouping sets, holistic
 * aggregates...): each reference to a distributed table becomes a fragment the operators holding the table run,
 *
 *   SELECT <the columns the statement may read> FROM <table> AS <alias> WHERE <the conditions that hold for it alone>
 *
 * and the query node runs the user's statement whole over the fragments' rows, each reference replaced by its
 * `__p<i>` table under the same alias (so column references bind as before). The answer is then the statement over
 * the union of every operator's rows, by construction; what is pushed down only saves transfer
 * (see table-references.ts for what may be). References with the same fragment share one.
 *
 * First, subqueries in FROM and CTEs over one distributed table that a specific strategy answers on its own become
 * network queries of their own, their answers tables `__sq<i>` of the merge (derived-tables.ts); key shipping may
 * then cut the fragments by their keys.
 */
import { and, baseTable, boolean, columnRef, isColumnRef, isExpr, selectNode, statement as statementOf, transformExpr, withAlias } from '../../sql-tree/index.js'
import type { BaseTableRef, Expr } from '../../sql-tree/index.js'
import { resolveTimestampLiterals } from '../../dates/index.js'
import { describe } from '../describe.js'
import type { Fragment, KeyShipping, NetworkPlan, PlanCatalog } from '../plan.js'
import { deriveSubqueries } from '../derived-tables.js'
import type { SubqueryPlanner } from '../derived-tables.js'
import { tableReferences } from '../table-references.js'
import type { TableReference } from '../table-references.js'

export function planRelationalPull (original: unknown, catalog: PlanCatalog, outputNames: readonly string[], why: string, timeZone: string, planSubquery?: SubqueryPlanner): NetworkPlan {
  const derivation = planSubquery === undefined ? undefined : deriveSubqueries(original, catalog, planSubquery)
  const statement = derivation?.statement ?? original
  const schemas = derivation?.schemas ?? new Map()
  const read = new Set(tableReferences(statement, catalog, schemas).map(r => r.table))
  const resolved = withTimestampLiterals(statement, timestampColumns(catalog, read), timeZone)
  const references = tableReferences(resolved, catalog, schemas)
  const fragments: Fragment[] = []
  const byKey = new Map<string, string>()
  const replacements = new Map<unknown, BaseTableRef>()
  const lines: string[] = []
  const derived = derivation?.derived ?? []
  for (const d of derived) {
    lines.push(`subquery ${d.label} (${d.name}): a network query of its own, ${d.strategy}; its answer is table ${d.name} of the merge`)
    lines.push(...d.plan.explain.map(line => `  ${line}`))
  }
  const names = new Map<BaseTableRef, string>()
  for (const ref of references) {
    const schema = catalog.tables.get(ref.table)
    const columns = (schema?.columns ?? []).map(c => c.name).filter(c => ref.columns === 'all' || ref.columns.has(c.toLowerCase()))
    const selectList = columns.length === 0 ? [withAlias(boolean(true), '__r')] : columns.map(c => columnRef(c))
    const node = selectNode({ selectList, from: baseTable(ref.node.table_name, ref.alias === ref.table ? '' : ref.alias), where: and(...ref.conditions) ?? null })
    const key = JSON.stringify(node)
    let name = byKey.get(key)
    if (name === undefined) {
      name = `__p${fragments.length}`
      byKey.set(key, name)
      fragments.push({ name, tables: [ref.table], statement: statementOf(node) })
      lines.push(`operators (${name}): ${ref.table}${ref.alias === ref.table ? '' : ` AS ${ref.alias}`}, ` +
        `${ref.columns === 'all' ? 'every column' : columns.length === 0 ? 'no column (rows only)' : `columns ${columns.join(', ')}`}, ` +
        (ref.conditions.length === 0 ? 'all rows' : `rows where ${ref.conditions.map(describe).join(' AND ')}`))
    }
    names.set(ref.node, name)
    replacements.set(ref.node, { ...ref.node, table_name: name, schema_name: '', catalog_name: '', alias: ref.node.alias !== '' ? ref.node.alias : ref.node.table_name })
  }
  const merge = replaced(resolved, replacements)
  const keyShipping = shippable(references, names, new Map(derived.map(d => [d.name, d.label])))
  for (const k of keyShipping) lines.push(`key shipping possible: keys of ${k.sourceTable}.${k.sourceColumn} (${k.source}) to ${k.targetTable}.${k.column} (${k.target})`)
  return {
    kind: 'network',
    dbms: catalog.dbms,
    fragments,
    merge: { kind: 'sql', statement: merge },
    outputNames,
    explain: [
      `strategy: relational pull (${why})`,
      ...lines,
      `query node: the whole statement over ${[...fragments.map(f => f.name), ...derived.map(d => d.name)].join(', ')}, each distributed table replaced by its fragment` +
        (derived.length === 0 ? '' : ', each derived subquery by its answer')
    ],
    ...(keyShipping.length === 0 ? {} : { keyShipping }),
    ...(derived.length === 0 ? {} : { derived })
  }
}

/**
 * The references' key reducers between fragments. A fragment shared by several references is cut only by what
 * cuts every one of them.
 */
function shippable (references: readonly TableReference[], names: ReadonlyMap<BaseTableRef, string>, derived: ReadonlyMap<string, string>): KeyShipping[] {
  const cuts = (ref: TableReference): Map<string, KeyShipping> => {
    const target = names.get(ref.node) as string
    const out = new Map<string, KeyShipping>()
    for (const r of ref.reducers) {
      const label = derived.get(r.source.table_name)
      const source = label === undefined ? names.get(r.source) : r.source.table_name
      if (source === undefined || source === target) continue
      const sourceTable = label ?? references.find(s => s.node === r.source)?.table ?? ''
      out.set(`${target}.${r.column}<${source}.${r.sourceColumn}`, { target, targetTable: ref.table, column: r.column, source, sourceTable, sourceColumn: r.sourceColumn, type: r.type })
    }
    return out
  }
  const byFragment = new Map<string, Map<string, KeyShipping>>()
  for (const ref of references) {
    const name = names.get(ref.node) as string
    const mine = cuts(ref)
    const before = byFragment.get(name)
    byFragment.set(name, before === undefined ? mine : new Map([...before].filter(([key]) => mine.has(key))))
  }
  return [...byFragment.values()].flatMap(m => [...m.values()])
}

/** Column names typed TIMESTAMP in the tables read (and no other type in any of them). */
function timestampColumns (catalog: PlanCatalog, tables: ReadonlySet<string>): ReadonlySet<string> {
  const timestamp = new Set<string>()
  const other = new Set<string>()
  for (const table of tables) {
    for (const c of catalog.tables.get(table)?.columns ?? []) (c.type === 'TIMESTAMP' ? timestamp : other).add(c.name.toLowerCase())
  }
  return new Set([...timestamp].filter(n => !other.has(n)))
}

/** Date strings compared with TIMESTAMP columns, in every scope of the statement, as UTC TIMESTAMP literals. */
function withTimestampLiterals (tree: unknown, columns: ReadonlySet<string>, timeZone: string): unknown {
  if (columns.size === 0) return tree
  const isTimestamp = (e: Expr): boolean => isColumnRef(e) && columns.has((e.column_names.at(-1) ?? '').toLowerCase())
  const map = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(map)
    if (value === null || typeof value !== 'object') return value
    if (isExpr(value)) {
      return transformExpr(resolveTimestampLiterals(value, isTimestamp, timeZone), node => node.class === 'SUBQUERY'
        ? { ...node, subquery: map(node.subquery), child: map(node.child ?? null) }
        : undefined)
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, map(v)]))
  }
  return map(tree)
}

/** The tree with the nodes of `replacements` (by identity) replaced. */
function replaced (tree: unknown, replacements: ReadonlyMap<unknown, unknown>): unknown {
  const map = (value: unknown): unknown => {
    const replacement = replacements.get(value)
    if (replacement !== undefined) return replacement
    if (Array.isArray(value)) return value.map(map)
    if (value === null || typeof value !== 'object') return value
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, map(v)]))
  }
  return map(tree)
}
