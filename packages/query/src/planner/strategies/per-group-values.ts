/**
 * The per-group part of split aggregation: aggregates computed on the query node from each group's values
 * (aggregates/holistic.ts). Each distinct (values, FILTER, counted) asks the operators once, as its own fragment:
 *
 *   operators (__p1..):  SELECT <keys> AS __k0.., <values> AS __v0.., count(*) AS __n FROM t WHERE <where AND filter>
 *                        GROUP BY <keys>, <values>                      (or the rows, without count and GROUP BY)
 *   query node:          one subquery per aggregate, one row per group:
 *                        SELECT __k0 AS __q0_0.., <final> AS __h0 FROM <shaped __p1> GROUP BY <keys>
 *                        LEFT JOINed to the partials' rows on the keys (IS NOT DISTINCT FROM: NULL keys are a group)
 *
 * A subquery has one row per group, so the join repeats no partial row and the partial aggregates stay exact; the
 * aggregate's result is any_value(__h0) in the merge. The fragments run as separate sub-queries of the same request.
 */
import {
  and, baseTable, cast, columnRef, compare, func, integer, isNotNull, orderTerm, selectNode, statement, subqueryTable, windowAggregate,
  withAlias
} from '../../sql-tree/index.js'
import type { ColumnRef, Expr, SelectNode, TableRefNode } from '../../sql-tree/index.js'
import type { PerGroupAggregate, PerGroupColumns } from '../aggregates/aggregate-splitter.js'
import { describe } from '../describe.js'
import type { Fragment } from '../plan.js'
import type { SelectQuery } from '../query-model.js'

interface KeyColumn {
  readonly name: string
  readonly expr: Expr
}

interface ValuesFragment {
  readonly name: string
  readonly values: readonly Expr[]
  readonly counted: boolean
  readonly filter: Expr | null
}

interface GroupSubquery {
  readonly alias: string
  readonly result: string
  readonly node: SelectNode
}

export interface PerGroupValues {
  /** The column of the merge holding the aggregate's result per group. */
  add(aggregate: PerGroupAggregate): ColumnRef
  readonly fragments: () => Fragment[]
  /** `source` LEFT JOIN every subquery on the keys. */
  joined(source: TableRefNode): TableRefNode
  readonly explain: () => string[]
}

const COLUMNS: PerGroupColumns = {
  values: [],
  count: columnRef('__n'),
  cumulative: columnRef('__cum'),
  total: columnRef('__total')
}

export function perGroupValues (query: SelectQuery, from: TableRefNode, keys: readonly KeyColumn[], firstFragment: number): PerGroupValues {
  const fragments: ValuesFragment[] = []
  const fragmentByKey = new Map<string, ValuesFragment>()
  const subqueries: GroupSubquery[] = []
  const subqueryByKey = new Map<string, GroupSubquery>()
  const lines: string[] = []
  const keyRefs = keys.map(k => columnRef(k.name))

  const fragmentFor = (aggregate: PerGroupAggregate): ValuesFragment => {
    const k = JSON.stringify([aggregate.counted, aggregate.values.map(query.key), aggregate.filter === null ? null : query.key(aggregate.filter)])
    const known = fragmentByKey.get(k)
    if (known !== undefined) return known
    const fragment = { name: `__p${firstFragment + fragments.length}`, values: aggregate.values, counted: aggregate.counted, filter: aggregate.filter }
    fragments.push(fragment)
    fragmentByKey.set(k, fragment)
    return fragment
  }

  return {
    add (aggregate) {
      const fragment = fragmentFor(aggregate)
      const columns = { ...COLUMNS, values: aggregate.values.map((_, i) => columnRef(`__v${i}`)) }
      const final = aggregate.final(columns)
      const k = JSON.stringify([fragment.name, aggregate.shape, query.key(final)])
      const known = subqueryByKey.get(k)
      if (known !== undefined) return columnRef(known.result)
      const j = subqueries.length
      const subquery = {
        alias: `__q${j}`,
        result: `__h${j}`,
        node: selectNode({
          selectList: [...keyRefs.map((ref, i) => withAlias(ref, `__q${j}_${i}`)), withAlias(final, `__h${j}`)],
          from: shaped(fragment, aggregate.shape, keyRefs),
          groupBy: keys.map((_, i) => integer(i + 1))
        })
      }
      subqueries.push(subquery)
      subqueryByKey.set(k, subquery)
      lines.push(`${subquery.result}: ${aggregate.method} (operators send ${fragment.name})`)
      return columnRef(subquery.result)
    },
    fragments: () => fragments.map(f => ({ name: f.name, tables: [query.table.name], statement: statement(valuesStatement(f, query, from, keys)) })),
    joined (source) {
      return subqueries.reduce<TableRefNode>((left, sub) => join(left, subqueryTable(sub.node, sub.alias), keyRefs.map((ref, i) =>
        ({ ...compare('COMPARE_EQUAL', ref, columnRef(`${sub.alias}_${i}`)), type: 'COMPARE_NOT_DISTINCT_FROM' }))), source)
    },
    explain: () => [
      ...fragments.map(f => `operators (${f.name}): ${f.counted ? 'value counts' : 'rows'} of ${f.values.map(describe).join(', ')} per group` +
        (f.filter === null ? '' : ` where ${describe(f.filter)}`)),
      ...lines
    ]
  }
}

function valuesStatement (fragment: ValuesFragment, query: SelectQuery, from: TableRefNode, keys: readonly KeyColumn[]): SelectNode {
  const grouped = [...keys.map(k => withAlias(k.expr, k.name)), ...fragment.values.map((v, i) => withAlias(v, `__v${i}`))]
  return selectNode({
    selectList: fragment.counted ? [...grouped, withAlias(func('count_star', []), '__n')] : grouped,
    from,
    where: and(query.where, fragment.filter) ?? null,
    groupBy: fragment.counted ? grouped.map((_, i) => integer(i + 1)) : []
  })
}

/** The relation a per-group aggregate reads (see PerGroupAggregate.shape). */
function shaped (fragment: ValuesFragment, shape: PerGroupAggregate['shape'], keyRefs: readonly ColumnRef[]): TableRefNode {
  const table = baseTable(fragment.name)
  const values = fragment.values.map((_, i) => columnRef(`__v${i}`))
  if (shape === 'shipped' || !fragment.counted) return table
  if (shape === 'expanded') {
    return subqueryTable(selectNode({ selectList: [...keyRefs, ...values, withAlias(func('unnest', [func('range', [columnRef('__n')])]), '__x')], from: table }), '__s')
  }
  const value = values[0] as ColumnRef
  const total = func('sum', [func('sum', [columnRef('__n')])])
  const asBigint = (e: Expr): Expr => cast(e, 'BIGINT')
  return subqueryTable(selectNode({
    selectList: [
      ...keyRefs, value,
      withAlias(asBigint(func('sum', [columnRef('__n')])), '__n'),
      withAlias(asBigint({ ...windowAggregate('sum', total.children, keyRefs), orders: [orderTerm(value, false, false)] }), '__cum'),
      withAlias(asBigint(windowAggregate('sum', total.children, keyRefs)), '__total')
    ],
    from: table,
    where: isNotNull(value),
    groupBy: [...keyRefs, value].map((_, i) => integer(i + 1))
  }), '__s')
}

function join (left: TableRefNode, right: TableRefNode, conditions: readonly Expr[]): TableRefNode {
  const condition = and(...conditions) ?? null
  return {
    type: 'JOIN', alias: '', sample: null, left, right, condition,
    join_type: condition === null ? 'INNER' : 'LEFT',
    ref_type: condition === null ? 'CROSS' : 'REGULAR',
    using_columns: [], delim_flipped: false, duplicate_eliminated_columns: []
  }
}
