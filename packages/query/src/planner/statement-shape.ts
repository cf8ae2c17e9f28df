/**
 * The statement shapes the specific strategies answer, and a named refusal for every other one: one SELECT over one
 * distributed table, without joins, set operations, CTEs, window functions, QUALIFY, DISTINCT ON, grouping sets,
 * samples or subqueries over distributed tables. A statement that reads no distributed table at all runs whole on
 * the query node. The refusals (PLAN_UNSUPPORTED) send the statement to the relational pull (plan-network-query.ts),
 * and name, in its explain line, why the specific strategies did not apply.
 */
import { FedlakeError } from '@fedlake/core'
import { cteNamesOf, SQL_ERRORS } from '@fedlake/sql'
import { isSelectNode, visitTree } from '../sql-tree/index.js'
import type { BaseTableRef, SelectNode, SelectStatement } from '../sql-tree/index.js'
import type { PlanCatalog } from './plan.js'
import { unsupported } from './refusals.js'
import type { TableInfo } from './table-info.js'
import { tableInfo } from './table-info.js'

export type StatementShape =
  | { readonly kind: 'local' }
  | { readonly kind: 'select', readonly node: SelectNode, readonly table: TableInfo }

const FROM_NAMES: Readonly<Record<string, string>> = {
  JOIN: 'JOIN', SUBQUERY: 'a subquery in FROM', TABLE_FUNCTION: 'a table function in FROM', PIVOT: 'PIVOT/UNPIVOT',
  EXPRESSION_LIST: 'VALUES in FROM', DELIM_GET: 'this FROM clause', COLUMN_DATA: 'this FROM clause', SHOW_REF: 'DESCRIBE/SHOW/SUMMARIZE'
}

export function statementShape (statement: unknown, catalog: PlanCatalog): StatementShape {
  const node = (statement as Partial<SelectStatement> | null)?.node
  if (node === undefined || node === null || typeof node.type !== 'string') throw new FedlakeError(SQL_ERRORS.SQL_SYNTAX, 'not a parsed SELECT statement')
  const read = distributedTablesRead(node, catalog)
  if (read.size === 0) return { kind: 'local' }

  if (node.type === 'SET_OPERATION_NODE') {
    const op = String(node.setop_type ?? 'UNION').replace(/_/g, ' ')
    throw unsupported(`${op}${node.setop_all === true ? ' ALL' : ''}`, 'set operations over distributed tables')
  }
  if (!isSelectNode(node)) throw unsupported(node.type === 'RECURSIVE_CTE_NODE' ? 'WITH RECURSIVE' : node.type)
  if (node.cte_map.map.length > 0) throw unsupported('WITH (common table expressions)')
  const from = node.from_table
  if (from.type !== 'BASE_TABLE') throw unsupported(FROM_NAMES[from.type] ?? `FROM ${from.type}`)
  const base = from as BaseTableRef
  const name = base.table_name.toLowerCase()
  const schema = catalog.tables.get(name)
  if (schema === undefined) throw new FedlakeError(SQL_ERRORS.SQL_UNKNOWN_TABLE, `Table '${name}' in DBMS '${catalog.dbms}' not defined`, { table: name, dbms: catalog.dbms })
  if (base.sample !== null && base.sample !== undefined) throw unsupported('TABLESAMPLE')
  if (node.sample !== null && node.sample !== undefined) throw unsupported('USING SAMPLE')
  if (node.qualify !== null) throw unsupported('QUALIFY')
  if (node.group_sets.length > 1) throw unsupported('GROUPING SETS, ROLLUP and CUBE')
  for (const modifier of node.modifiers) {
    if (modifier.type === 'LIMIT_PERCENT_MODIFIER') throw unsupported('LIMIT with a percentage')
    if (modifier.type === 'DISTINCT_MODIFIER' && ((modifier as { distinct_on_targets?: unknown[] }).distinct_on_targets?.length ?? 0) > 0) throw unsupported('DISTINCT ON')
  }
  checkExpressions(node, catalog)
  return { kind: 'select', node, table: tableInfo(base, schema, catalog.dbms) }
}

/** Window functions anywhere, subqueries that read a distributed table, COLLATE outside WHERE. */
function checkExpressions (node: SelectNode, catalog: PlanCatalog): void {
  // partial rows reach the query node without their collation: grouping, sorting or DISTINCT there would differ
  visitTree([node.select_list, node.having, node.group_expressions, node.modifiers], value => {
    if (value.class === 'COLLATE') throw unsupported('COLLATE outside WHERE', 'the merge would compare the values without the collation')
  })
  const parts = [node.select_list, node.where_clause, node.having, node.group_expressions, node.modifiers]
  visitTree(parts, value => {
    if (value.class === 'WINDOW') throw unsupported(`window functions (${String(value.function_name)}() OVER ...)`)
    if (value.class === 'SUBQUERY') {
      const inner = distributedTablesRead(value.subquery, catalog)
      if (inner.size > 0) throw unsupported(`a subquery over distributed table ${[...inner].join(', ')}`)
    }
  })
}

/** Catalog tables a tree reads (CTE names excepted), in one walk. */
function distributedTablesRead (tree: unknown, catalog: PlanCatalog): Set<string> {
  const cteNames = new Set<string>()
  const tables: Record<string, unknown>[] = []
  visitTree(tree, value => {
    for (const name of cteNamesOf(value)) cteNames.add(name)
    if (value.type === 'BASE_TABLE' && typeof value.table_name === 'string') tables.push(value)
  })
  const read = new Set<string>()
  for (const table of tables) {
    const name = (table.table_name as string).toLowerCase()
    const qualified = String(table.schema_name ?? '') !== '' || String(table.catalog_name ?? '') !== ''
    if (!qualified && cteNames.has(name)) continue
    if (!catalog.tables.has(name)) throw new FedlakeError(SQL_ERRORS.SQL_UNKNOWN_TABLE, `Table '${name}' in DBMS '${catalog.dbms}' not defined`, { table: name, dbms: catalog.dbms })
    read.add(name)
  }
  return read
}
