/**
 * `<dbms>.logs`, `main.logs` and `<dbms>.main.logs` all name the table `logs` of the queried dbms on an operator
 * (validate.ts accepts them there). The query node plans and binds over its own copies of the tables, which live
 * in no catalog of that name, so it drops those qualifiers first: a query that runs on one operator runs over the
 * network too. A table whose name a CTE of the statement also has keeps its qualifier (unqualified, the CTE
 * would answer instead).
 */
import { cteNamesOf, namesDbms } from '@fedlake/sql'
import { visitTree } from '../sql-tree/index.js'

export function withUnqualifiedTables<T> (statement: T, dbms: string): T {
  const own = dbms.toLowerCase()
  const cteNames = new Set<string>()
  let qualified = false
  visitTree(statement, node => {
    for (const name of cteNamesOf(node)) cteNames.add(name)
    if (isOwnQualifiedTable(node, own)) qualified = true
  })
  if (!qualified) return statement
  const copy = structuredClone(statement)
  visitTree(copy, node => {
    if (!isOwnQualifiedTable(node, own) || cteNames.has(String(node.table_name ?? '').toLowerCase())) return
    node.schema_name = ''
    node.catalog_name = ''
  })
  return copy
}

function isOwnQualifiedTable (node: Record<string, unknown>, dbms: string): boolean {
  if (node.type !== 'BASE_TABLE') return false
  const schema = String(node.schema_name ?? '').toLowerCase()
  const catalog = String(node.catalog_name ?? '').toLowerCase()
  return (schema !== '' || catalog !== '') && namesDbms(catalog, schema, dbms)
}
