/**
 * The network query planner: pure and synchronous. From DuckDB's parse tree of one SELECT (after the date pre-pass),
 * the catalog of the queried dbms and the answer's column names, it builds what operators run and how the query
 * node merges their rows, so that the answer equals what one DuckDB gives over the union of every operator's rows.
 * Whatever the specific strategies refuse (PLAN_UNSUPPORTED) falls back to the relational pull, which answers
 * every SELECT exactly by running it whole on the query node over the rows the operators send; only statements
 * with EdgeLake's increments() or period() keep the specific strategies' refusal (they mean nothing to DuckDB).
 *
 *   statement ─ statementShape ─┬─ reads no distributed table ─────────▶ local query
 *                               ├─ one table ─ date strings to UTC ─ period()? ─▶ PeriodPlan (probe, then complete(T))
 *                               │                                   └─ buildQueryModel ─┬─ aggregates ─▶ split aggregation
 *                               │                                                       └─ rows ───────▶ plain select
 *                               └─ anything refused above (PLAN_UNSUPPORTED) ─────────────────▶ relational pull
 *                                    (its subqueries over one table that a strategy above answers: planned by it, planSubquery)
 */
import { isFedlakeError } from '@fedlake/core'
import { resolveTimestampLiterals, resolveTimeZone } from '../dates/index.js'
import { QUERY_ERRORS } from '../errors.js'
import { and, boolean, columnRef, func, orderModifier, selectNode, statement, visitTree, withAlias } from '../sql-tree/index.js'
import type { Expr, OrderModifier, SelectNode } from '../sql-tree/index.js'
import { bindableStatement } from './bindable-statement.js'
import { describe } from './describe.js'
import { incrementsBuckets } from './increments.js'
import { findPeriod, probeCondition, windowCondition } from './period.js'
import type { PeriodCall } from './period.js'
import type { EmptyPlan, NetworkPlan, PeriodPlan, PlanCatalog, PlanOptions, QueryPlan } from './plan.js'
import { buildQueryModel } from './query-model.js'
import type { SelectQuery } from './query-model.js'
import { statementShape } from './statement-shape.js'
import { FRAGMENT, fragmentTable } from './strategies/context.js'
import { planLocalQuery } from './strategies/local-query.js'
import { planPlainSelect } from './strategies/plain-select.js'
import { planRelationalPull } from './strategies/relational-pull.js'
import type { SubqueryPlanner } from './derived-tables.js'
import { planSplitAggregation } from './strategies/split-aggregation.js'
import type { TableInfo } from './table-info.js'
import { tableColumnOf } from './table-info.js'

/** The column name of the period probe's one column. */
export const PERIOD_PROBE_COLUMN = 'period_end'

/**
 * Plans one SELECT for the network.
 * @param statement a `statements[i]` of createSqlParser().parse(resolveDateExpressions(sql))
 * @param catalog the queried dbms and its tables (lower-case names)
 * @param outputNames the column names one DuckDB gives the query (bind bindableStatement(statement) over empty tables)
 * @throws FedlakeError PLAN_UNSUPPORTED, PLAN_INVALID_ARGUMENT, SQL_UNKNOWN_TABLE, DATE_EXPRESSION_INVALID
 */
export function planNetworkQuery (statement: unknown, catalog: PlanCatalog, outputNames: readonly string[], options: PlanOptions = {}): QueryPlan {
  try {
    return planSpecific(statement, catalog, outputNames, options)
  } catch (err) {
    if (!isFedlakeError(err, QUERY_ERRORS.PLAN_UNSUPPORTED) || usesEdgeLakeFunctions(statement)) throw err
    const subquery: SubqueryPlanner = (sub, names) => planSubquery(sub, catalog, names, options)
    return planRelationalPull(bindableStatement(statement), catalog, outputNames, err.message, resolveTimeZone(options.timeZone), subquery)
  }
}

/**
 * A subquery of a relational pull that a specific strategy answers on its own and to advantage: an aggregation, or
 * a SELECT with LIMIT or DISTINCT (a plain SELECT without them would send the rows the pull sends).
 */
function planSubquery (statement: unknown, catalog: PlanCatalog, outputNames: readonly string[], options: PlanOptions): ReturnType<SubqueryPlanner> {
  try {
    const shape = statementShape(statement, catalog)
    if (shape.kind === 'local') return undefined
    const node = withTimestampLiterals(shape.node, shape.table, resolveTimeZone(options.timeZone))
    if (findPeriod(node.where_clause, shape.table, resolveTimeZone(options.timeZone)) !== undefined) return undefined
    const { plan, query } = planSelect(node, shape.table, catalog.dbms, outputNames, options)
    if (query.increments !== null || (!query.isAggregate && query.limit === null && !query.distinct)) return undefined
    const strategy = query.isAggregate
      ? `split aggregation${plan.fragments.length > 1 ? ' with per-group values (holistic)' : ''}`
      : `plain select${query.limit !== null && query.orderBy.length > 0 ? ' (top-N)' : query.distinct ? ' (DISTINCT)' : query.limit !== null ? ' (LIMIT)' : ''}`
    return { plan, strategy }
  } catch (err) {
    // refused, or not valid for a strategy: the merge DuckDB runs it as part of the statement
    if (isFedlakeError(err)) return undefined
    throw err
  }
}

/** The specific strategies: one SELECT over one distributed table. Throws PLAN_UNSUPPORTED for any other shape. */
function planSpecific (statement: unknown, catalog: PlanCatalog, outputNames: readonly string[], options: PlanOptions): QueryPlan {
  const shape = statementShape(statement, catalog)
  if (shape.kind === 'local') return planLocalQuery(statement, catalog.dbms, outputNames)
  const timeZone = resolveTimeZone(options.timeZone)
  const node = withTimestampLiterals(shape.node, shape.table, timeZone)
  const period = findPeriod(node.where_clause, shape.table, timeZone)
  const planner = (where: Expr | null): { plan: NetworkPlan, query: SelectQuery } =>
    planSelect({ ...node, where_clause: where }, shape.table, catalog.dbms, outputNames, options)
  if (period === undefined) return planner(node.where_clause).plan
  return planPeriod(period, shape.table, catalog.dbms, planner)
}

function planSelect (node: SelectNode, table: TableInfo, dbms: string, outputNames: readonly string[], options: PlanOptions): { plan: NetworkPlan, query: SelectQuery } {
  const query = buildQueryModel(node, table, outputNames)
  const ctx = { dbms, node }
  if (!query.isAggregate) return { plan: planPlainSelect(query, ctx), query }
  const buckets = query.increments === null ? null : incrementsBuckets(query.increments, table, query.where, () => options.now ?? new Date())
  return { plan: planSplitAggregation(query, ctx, buckets), query }
}

function planPeriod (period: PeriodCall, table: TableInfo, dbms: string, planner: (where: Expr | null) => { plan: NetworkPlan, query: SelectQuery }): PeriodPlan {
  // plan phase two once now, so that what would be refused is refused before phase one runs
  const trial = planner(and(period.rest, windowCondition(period, '1970-01-01 00:00:00')) ?? null)
  const probeFragment = selectNode({
    selectList: [withAlias(func('max', [period.column]), '__t')],
    from: (trial.query.table.node),
    where: probeCondition(period)
  })
  const probeMerge = selectNode({ selectList: [withAlias(func('max', [columnRef('__t')]), PERIOD_PROBE_COLUMN)], from: fragmentTable() })
  const column = tableColumnOf(period.column, table) as string
  const window = `${period.count} ${period.unit}${period.count === 1 ? '' : 's'}`
  const probe: NetworkPlan = {
    kind: 'network',
    dbms,
    fragments: [{ name: FRAGMENT, tables: [table.name], statement: statement(probeFragment) }],
    merge: { kind: 'sql', statement: statement(probeMerge) },
    outputNames: [PERIOD_PROBE_COLUMN],
    explain: [`period phase one: T = max(${column}) where ${describe(probeCondition(period))}, over every operator`]
  }
  const explain = [
    ...probe.explain,
    `period phase two: the query with T - ${window} < ${column} <= T`,
    ...trial.plan.explain
  ]
  return {
    kind: 'period',
    probe,
    explain,
    complete (t: string | null): NetworkPlan | EmptyPlan {
      if (t !== null) {
        const { plan } = planner(and(period.rest, windowCondition(period, t)) ?? null)
        return { ...plan, explain: [`period: T = ${t}, rows with T - ${window} < ${column} <= T`, ...plan.explain] }
      }
      const isGlobalAggregate = trial.query.isAggregate && (trial.query.groupBy ?? []).length === 0 && trial.query.increments === null
      if (!isGlobalAggregate) return { kind: 'empty', outputNames: trial.plan.outputNames, explain: [`period: no row of ${table.name} at or before the date, so no rows`] }
      const { plan } = planner(boolean(false))
      return { ...plan, explain: [`period: no row of ${table.name} at or before the date; the aggregate still answers its one row`, ...plan.explain] }
    }
  }
}

/** increments() or period() anywhere: EdgeLake's functions, which only the specific strategies understand. */
function usesEdgeLakeFunctions (statement: unknown): boolean {
  let found = false
  visitTree(statement, node => {
    if (node.class === 'FUNCTION' && node.schema === '' && ['increments', 'period'].includes(String(node.function_name).toLowerCase())) found = true
  })
  return found
}

/** Date strings compared with the table's TIMESTAMP columns, in every clause, as UTC TIMESTAMP literals. */
function withTimestampLiterals (node: SelectNode, table: TableInfo, timeZone: string): SelectNode {
  const isTimestamp = (e: Expr): boolean => {
    const column = tableColumnOf(e, table)
    return column !== undefined && table.columnTypes.get(column) === 'TIMESTAMP'
  }
  const resolve = (e: Expr): Expr => resolveTimestampLiterals(e, isTimestamp, timeZone)
  const resolveAll = (e: Expr | null): Expr | null => e === null ? null : resolve(e)
  return {
    ...node,
    select_list: node.select_list.map(resolve),
    where_clause: resolveAll(node.where_clause),
    having: resolveAll(node.having),
    group_expressions: node.group_expressions.map(resolve),
    modifiers: node.modifiers.map(m => m.type === 'ORDER_MODIFIER'
      ? orderModifier((m as OrderModifier).orders.map(o => ({ ...o, expression: resolve(o.expression) })))
      : m)
  }
}
