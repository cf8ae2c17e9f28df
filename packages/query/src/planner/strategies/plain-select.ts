/**
 * A SELECT without aggregates, GROUP BY or increments: every operator filters and projects its own rows.
 * - no ORDER BY, no DISTINCT: rows are concatenated as they arrive; `LIMIT offset+limit` is pushed to each operator
 *   and the query node skips `offset` rows and stops after `limit`;
 * - ORDER BY: each operator sorts (and keeps its first offset+limit rows when there is a LIMIT: a row of the global
 *   first n is among its operator's first n); the query node merges the sorted streams as they arrive, then applies
 *   LIMIT/OFFSET, with memory bounded by a batch per operator (no merge DuckDB, so no sort to run out of memory).
 *   ORDER BY keys that are not output columns travel as hidden columns (__o0, ...) and are dropped by the merge;
 * - DISTINCT: operators de-duplicate, the query node de-duplicates again (and re-sorts the union, in SQL).
 */
import { distinctModifier, orderModifier, selectNode, statement, withAlias } from '../../sql-tree/index.js'
import type { Expr, OrderTerm, ResultModifier } from '../../sql-tree/index.js'
import { describe } from '../describe.js'
import type { NetworkPlan } from '../plan.js'
import type { SelectQuery } from '../query-model.js'
import { unsupported } from '../refusals.js'
import type { StrategyContext } from './context.js'
import { FRAGMENT, fragmentTable, itemColumn, limitText, mergeLimit, namedOutputs, operatorLimit, orderByExpr, orderByItem, ref } from './context.js'

export function planPlainSelect (query: SelectQuery, ctx: StrategyContext): NetworkPlan {
  const base = { kind: 'network' as const, dbms: ctx.dbms, outputNames: query.items.map(i => i.name) }
  const filtered = query.where === null ? 'all rows' : `rows where ${describe(query.where)}`
  if (query.orderBy.length === 0 && !query.distinct) {
    const fragment = { ...ctx.node, modifiers: operatorLimit(query) }
    return {
      ...base,
      fragments: [{ name: FRAGMENT, tables: [query.table.name], statement: statement(fragment) }],
      merge: { kind: 'concat', offset: Number(query.offset), limit: query.limit === null ? null : Number(query.limit) },
      explain: [
        `operators: the select list over ${filtered} of ${query.table.name}${query.limit === null ? '' : `, at most ${query.offset + query.limit} rows each (LIMIT ${query.offset} + ${query.limit})`}`,
        `query node: rows concatenated as they arrive${limitText(query) === '' ? '' : `, then ${limitText(query)}`} (no ORDER BY, so any rows are a correct answer)`
      ]
    }
  }

  const hidden = query.orderBy.flatMap(o => o.target.kind === 'expr' ? [o.target.expr] : [])
  if (query.distinct && hidden.length > 0) throw unsupported('SELECT DISTINCT ordered by an expression that is not selected', 'which of the duplicates gives the sort key is not defined')
  const hiddenColumn = (j: number): string => `__o${j}`
  const selectList: Expr[] = [
    ...query.items.map((item, i) => withAlias(item.expr, itemColumn(i))),
    ...hidden.map((expr, j) => withAlias(expr, hiddenColumn(j)))
  ]
  let hiddenAt = 0
  const orderTerms = (forMerge: boolean): OrderTerm[] => {
    hiddenAt = 0
    return query.orderBy.map(o => o.target.kind === 'item'
      ? (forMerge ? orderByItem(o, o.target.index) : orderByExpr(o, ref(itemColumn(o.target.index))))
      : orderByExpr(o, ref(hiddenColumn(hiddenAt++))))
  }
  const distinct: ResultModifier[] = query.distinct ? [distinctModifier()] : []
  const ordered = !query.distinct
  const pushOrder: ResultModifier[] = (ordered || query.limit !== null) && query.orderBy.length > 0 ? [orderModifier(orderTerms(false))] : []
  const fragment = selectNode({
    selectList,
    from: ctx.node.from_table,
    where: query.where,
    modifiers: [...distinct, ...pushOrder, ...operatorLimit(query)]
  })
  const merge = selectNode({
    selectList: namedOutputs(query, query.items.map((_, i) => ref(itemColumn(i)))),
    from: fragmentTable(),
    modifiers: [...distinct, ...(query.orderBy.length > 0 ? [orderModifier(orderTerms(true))] : []), ...mergeLimit(query)]
  })
  const top = query.offset + (query.limit ?? 0n)
  const explain = [
    `operators: ${query.distinct ? 'distinct ' : ''}select list over ${filtered} of ${query.table.name}` +
      (hidden.length > 0 ? `, plus ${hidden.length} hidden ORDER BY column${hidden.length === 1 ? '' : 's'} (${hidden.map(describe).join(', ')})` : '') +
      (pushOrder.length === 0 ? '' : operatorLimit(query).length === 0 ? ', sorted' : `, sorted, first ${top} rows each (a row of the global top ${top} is in its operator's top ${top})`),
    ordered
      ? `query node: merges the operators' sorted streams in order as they arrive${limitText(query) === '' ? '' : `, ${limitText(query)}`}${hidden.length > 0 ? ', hidden columns dropped' : ''} ` +
        '(in SQL over the union instead when an ORDER BY key has a type the query node cannot compare exactly as DuckDB does)'
      : `query node: ${query.distinct ? 'DISTINCT again, ' : ''}${query.orderBy.length > 0 ? 're-sorts the union' : 'the union'}${limitText(query) === '' ? '' : `, ${limitText(query)}`}${hidden.length > 0 ? ', hidden columns dropped' : ''}`
  ]
  hiddenAt = 0
  const keys = query.orderBy.map(o => ({
    column: o.target.kind === 'item' ? o.target.index : query.items.length + hiddenAt++,
    descending: o.descending,
    nullsFirst: o.nullsFirst
  }))
  return {
    ...base,
    fragments: [{ name: FRAGMENT, tables: [query.table.name], statement: statement(fragment) }],
    merge: ordered
      ? { kind: 'ordered', keys, columns: query.items.length, offset: Number(query.offset), limit: query.limit === null ? null : Number(query.limit), statement: statement(merge) }
      : { kind: 'sql', statement: statement(merge) },
    explain
  }
}
