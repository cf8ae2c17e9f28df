/**
 * `<dbms>.logs`, `main.logs` and `<dbms>.main.logs` all name the table `logs` of the queried dbms on an operator
 * (validate.ts accepts them there). The query node plans and binds over its own copies of the tables, which live
 * in no catalog of that name, so it drops those qualifiers first: a query that runs on one operator runs over the
 * network too. A table whose name a CTE of the statement also has keeps its qualifier (unqualified, the CTE
 * would answer instead). Columns named through such a qualifier (`<dbms>.logs.pod_name`) lose it as well.
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
  const unqualified = new Set<string>()
  visitTree(copy, node => {
    const table = String(node.table_name ?? '').toLowerCase()
    if (!isOwnQualifiedTable(node, own) || cteNames.has(table)) return
    node.schema_name = ''
    node.catalog_name = ''
    if (String(node.alias ?? '') === '') unqualified.add(table)
  })
  visitTree(copy, node => {
    const names = node.class === 'COLUMN_REF' && Array.isArray(node.column_names) ? node.column_names as string[] : []
    if (names.length < 3 || names.length > 4) return
    const [catalog, schema] = names.length === 4 ? [names[0] ?? '', names[1] ?? ''] : ['', names[0] ?? '']
    if (namesDbms(catalog.toLowerCase(), schema.toLowerCase(), own) && unqualified.has((names.at(-2) ?? '').toLowerCase())) node.column_names = names.slice(-2)
  })
  return copy
}

function isOwnQualifiedTable (node: Record<string, unknown>, dbms: string): boolean {
  if (node.type !== 'BASE_TABLE') return false
  const schema = String(node.schema_name ?? '').toLowerCase()
  const catalog = String(node.catalog_name ?? '').toLowerCase()
  return (schema !== '' || catalog !== '') && namesDbms(catalog, schema, dbms)
}
