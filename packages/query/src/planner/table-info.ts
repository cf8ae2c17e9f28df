/** The one distributed table a SELECT reads, resolved against the catalog. */
import type { ColumnType, TableSchema } from '@fedlake/core'
import { isColumnRef } from '../sql-tree/index.js'
import type { BaseTableRef, Expr } from '../sql-tree/index.js'

export interface TableInfo {
  readonly name: string
  readonly schema: TableSchema
  readonly node: BaseTableRef
  /** Names a column reference may be qualified with: the alias, else the table name (and dbms.table). */
  readonly qualifiers: ReadonlySet<string>
  readonly columnTypes: ReadonlyMap<string, ColumnType>
}

export function tableInfo (node: BaseTableRef, schema: TableSchema, dbms: string): TableInfo {
  const name = node.table_name.toLowerCase()
  const alias = node.alias.toLowerCase()
  const qualifiers = alias !== '' ? new Set([alias]) : new Set([name, `${dbms}.${name}`, `main.${name}`])
  return { name, schema, node, qualifiers, columnTypes: new Map(schema.columns.map(c => [c.name.toLowerCase(), c.type])) }
}

/** The table column a column reference names (lower case), or undefined (an alias, a struct field, another scope). */
export function tableColumnOf (expr: Expr, table: TableInfo): string | undefined {
  if (!isColumnRef(expr)) return undefined
  const names = expr.column_names.map(n => n.toLowerCase())
  const column = names[names.length - 1] as string
  if (!table.columnTypes.has(column)) return undefined
  if (names.length === 1) return column
  const qualifier = names.slice(0, -1).join('.')
  return table.qualifiers.has(qualifier) ? column : undefined
}
