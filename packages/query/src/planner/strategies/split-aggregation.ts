/**
 * GROUP BY and aggregates: operators compute partial aggregates per group of their own rows, the query node merges
 * the partials of each group and evaluates everything above the aggregation: the final aggregates, expressions over
 * them, HAVING, DISTINCT, ORDER BY, LIMIT/OFFSET (never pushed below the GROUP BY: an operator's top groups need not
 * be the network's).
 *
 *   operators:   SELECT <keys> AS __k0.., <distinct args> AS __d0.., <partials> AS __a0_<kind>..
 *                FROM t WHERE ... GROUP BY <keys>, <distinct args>
 *   query node:  SELECT <finals> AS "<output name>".. FROM __p0 GROUP BY __k0.. HAVING .. ORDER BY .. LIMIT ..
 *
 * With no keys the merge has no GROUP BY, so a global aggregate answers its one row even when no operator sent a
 * row (count 0, sum NULL). COUNT(DISTINCT x) and the like make the operators group by x as well and ship its
 * distinct values; the other partials are then per (keys, x) and still merge exactly. Holistic and order-sensitive
 * aggregates (median, quantiles, mode, string_agg, list, ...) are computed per group from value counts or rows that
 * operators send in fragments of their own, joined to the partials by key (per-group-values.ts).
 */
import {
  columnRef, distinctModifier, func, integer, isColumnRef, isFunction, orderModifier, orderTerm, selectNode, star, statement,
  subqueryTable, transformExpr, windowAggregate, withAlias
} from '../../sql-tree/index.js'
import type { ColumnRef, Expr, FunctionExpr, OrderTerm, ResultModifier } from '../../sql-tree/index.js'
import { aggregateCallOf } from '../aggregate-calls.js'
import type { AggregateCall, SplitContext } from '../aggregates/aggregate-splitter.js'
import { splitterFor } from '../aggregates/registry.js'
import { describe } from '../describe.js'
import type { IncrementsBuckets } from '../increments.js'
import type { NetworkPlan } from '../plan.js'
import type { SelectQuery } from '../query-model.js'
import { unsupported } from '../refusals.js'
import { tableColumnOf } from '../table-info.js'
import type { StrategyContext } from './context.js'
import { FRAGMENT, fragmentTable, limitText, mergeLimit, namedOutputs, orderByExpr, orderByItem } from './context.js'
import { perGroupValues } from './per-group-values.js'

interface Column {
  readonly name: string
  readonly expr: Expr
}

export function planSplitAggregation (query: SelectQuery, ctx: StrategyContext, buckets: IncrementsBuckets | null): NetworkPlan {
  const keys: Column[] = []
  const keyIndex = new Map<string, number>()
  for (const expr of [...(query.groupBy ?? []), ...(buckets?.keys ?? [])]) {
    const k = query.key(expr)
    if (keyIndex.has(k)) continue
    keyIndex.set(k, keys.length)
    keys.push({ name: `__k${keys.length}`, expr })
  }
  const keyRefs = keys.map(k => columnRef(k.name))

  const distinctValues: Column[] = []
  const partials: Column[] = []
  const windows: Column[] = []
  const byKey = new Map<string, ColumnRef>()
  const perGroup = perGroupValues(query, ctx.node.from_table, keys, 1)
  const split: SplitContext = {
    partial (aggregate, label) {
      const k = `partial:${query.key(aggregate)}`
      const known = byKey.get(k)
      if (known !== undefined) return known
      const column = { name: `__a${partials.length}_${label}`, expr: aggregate }
      partials.push(column)
      return remember(k, column.name)
    },
    distinctValues (expr): Expr {
      // a row value `(a, b)` is an unnamed STRUCT, a type no staging table can be created with ("" field names):
      // its fields travel as distinct-value columns of their own and the query node builds the row again
      if (isRowValue(expr)) return func('row', expr.children.map(c => split.distinctValues(c)))
      const k = `distinct:${query.key(expr)}`
      const known = byKey.get(k)
      if (known !== undefined) return known
      const column = { name: `__d${distinctValues.length}`, expr }
      distinctValues.push(column)
      return remember(k, column.name)
    },
    overFinalGroup (aggregate, label) {
      const expr = windowAggregate(aggregate.function_name, aggregate.children, keyRefs)
      const k = `window:${query.key(expr)}`
      const known = byKey.get(k)
      if (known !== undefined) return known
      const column = { name: `__w${windows.length}_${label}`, expr }
      windows.push(column)
      return remember(k, column.name)
    },
    perGroup: aggregate => perGroup.add(aggregate),
    columnType (expr) {
      const column = tableColumnOf(expr, query.table)
      return column === undefined ? undefined : query.table.columnTypes.get(column)
    },
    key: expr => query.key(expr)
  }
  function remember (k: string, name: string): ColumnRef {
    const column = columnRef(name)
    byKey.set(k, column)
    return column
  }

  const finalOfCall = (call: AggregateCall): Expr => {
    const argumentColumn = call.args[0] === undefined ? undefined : tableColumnOf(call.args[0], query.table)
    if ((call.name === 'avg' || call.name === 'mean') && argumentColumn !== undefined && query.table.columnTypes.get(argumentColumn) === 'TIMESTAMP') {
      throw unsupported(`${call.name}() of a TIMESTAMP`, 'partial sums of timestamps do not exist')
    }
    const splitter = splitterFor(call.name) as NonNullable<ReturnType<typeof splitterFor>>
    if (call.distinct && splitter.handlesDistinct !== true) {
      const values = split.distinctValues(call.args[0] as Expr)
      const flag = call.filter === null ? null : split.partial(func('bool_or', [call.filter]), 'any')
      return func(call.name, [values], { distinct: true, filter: flag })
    }
    return splitter.split(call, split)
  }
  const aliases = new Map(query.items.filter(i => i.alias !== '').map(i => [i.alias, i.expr] as const))
  const toFinal = (expr: Expr, seen: ReadonlySet<string> = new Set()): Expr => transformExpr(expr, node => {
    const key = keyIndex.get(query.key(node))
    if (key !== undefined) return keyRefs[key]
    const call = aggregateCallOf(node)
    if (call !== undefined) return finalOfCall(call)
    if (node.class === 'SUBQUERY') throw unsupported('a subquery in an aggregate query')
    if (isColumnRef(node)) {
      const name = node.column_names.length === 1 ? (node.column_names[0] as string).toLowerCase() : ''
      const aliased = aliases.get(name)
      if (aliased !== undefined && !seen.has(name)) return toFinal(aliased, new Set([...seen, name]))
      throw unsupported(`column ${describe(node)} outside GROUP BY and aggregates`)
    }
    return undefined
  })

  const finals = query.items.map(item => toFinal(item.expr))
  const having = query.having === null ? null : toFinal(query.having)
  if (query.distinct && (buckets !== null || query.orderBy.some(o => o.target.kind === 'expr'))) {
    throw unsupported(buckets !== null ? 'SELECT DISTINCT with increments()' : 'SELECT DISTINCT ordered by an expression that is not selected')
  }
  const orderTerms: OrderTerm[] = query.orderBy.map(o => o.target.kind === 'item' ? orderByItem(o, o.target.index) : orderByExpr(o, toFinal(o.target.expr)))
  // the bucket orders rows after the user's ORDER BY (a bucket key may also be one of the user's GROUP BY keys)
  for (const bucketKey of buckets?.keys ?? []) orderTerms.push(orderTerm(keyRefs[keyIndex.get(query.key(bucketKey)) as number] as Expr, false, false))
  // operators send a row per group even when every aggregate is computed per group from values
  if (keys.length === 0 && distinctValues.length === 0 && partials.length === 0) split.partial(func('count_star', []), 'count')

  const fragment = selectNode({
    selectList: [...keys, ...distinctValues, ...partials].map(c => withAlias(c.expr, c.name)),
    from: ctx.node.from_table,
    where: query.where,
    // by position: a key that is a constant (GROUP BY 1 over `select 2, ...`) would otherwise read as an ordinal
    groupBy: [...keys, ...distinctValues].map((_, i) => integer(i + 1))
  })
  const source = perGroup.joined(windows.length === 0
    ? fragmentTable()
    : subqueryTable(selectNode({ selectList: [star(), ...windows.map(w => withAlias(w.expr, w.name))], from: fragmentTable() }), FRAGMENT))
  const modifiers: ResultModifier[] = [
    ...(query.distinct ? [distinctModifier()] : []),
    ...(orderTerms.length > 0 ? [orderModifier(orderTerms)] : []),
    ...mergeLimit(query)
  ]
  const merge = selectNode({ selectList: namedOutputs(query, finals), from: source, groupBy: keyRefs, having, modifiers })

  return {
    kind: 'network',
    dbms: ctx.dbms,
    outputNames: query.items.map(i => i.name),
    fragments: [{ name: FRAGMENT, tables: [query.table.name], statement: statement(fragment) }, ...perGroup.fragments()],
    merge: { kind: 'sql', statement: statement(merge) },
    explain: explainLines(query, keys, distinctValues, partials, windows, buckets, perGroup.explain()),
    ...(buckets?.dependsOnNow === true ? { dependsOnNow: true } : {})
  }
}

function isRowValue (expr: Expr): expr is FunctionExpr {
  return isFunction(expr) && expr.function_name.toLowerCase() === 'row' && expr.children.length > 0 && expr.filter === null && !expr.distinct
}

function explainLines (query: SelectQuery, keys: readonly Column[], distinctValues: readonly Column[], partials: readonly Column[], windows: readonly Column[], buckets: IncrementsBuckets | null, perGroupLines: readonly string[]): string[] {
  const groups = [...keys, ...distinctValues].map(c => describe(c.expr))
  const lines = [
    `operators: ${query.where === null ? 'all rows' : `rows where ${describe(query.where)}`} of ${query.table.name}, ` +
      (groups.length === 0 ? 'one partial row' : `grouped by ${groups.join(', ')}`) +
      (partials.length === 0 ? '' : `, partials ${partials.map(p => `${p.name} = ${describe(p.expr)}`).join(', ')}`)
  ]
  if (buckets !== null) lines.push(`increments(${buckets.unit}, ${buckets.count}, ${describe(buckets.column)}): buckets keyed by ${buckets.keys.map(describe).join(', ')}, not returned; rows ordered by bucket after any ORDER BY`)
  if (distinctValues.length > 0) lines.push(`DISTINCT aggregates: operators ship the distinct values of ${distinctValues.map(d => describe(d.expr)).join(', ')} per group`)
  lines.push(...perGroupLines)
  if (windows.length > 0) lines.push(`query node: per-group ${windows.map(w => w.name).join(', ')} over the partial rows first (variance merge: deviations from the grand mean, Chan et al.)`)
  const after = [query.having === null ? '' : 'HAVING', query.distinct ? 'DISTINCT' : '', query.orderBy.length > 0 ? 'ORDER BY' : '', limitText(query)].filter(s => s !== '')
  lines.push(`query node: ${keys.length === 0 ? 'one row from all partial rows (even none)' : `merges the partial rows of each of ${keys.length} key${keys.length === 1 ? '' : 's'}`}` +
    (after.length === 0 ? '' : `, then ${after.join(', ')}`) +
    (query.limit !== null && keys.length > 0 ? ' (a LIMIT below GROUP BY would drop groups other operators complete)' : ''))
  return lines
}
