/**
 * The SQL one operator runs for a fragment: the planner's statement as it is, or, with EdgeLake's `include`
 * and `extend` options, behind a CTE that gives the queried table's name to the rows this operator holds:
 *
 *   WITH "logs" AS (SELECT <logs' columns>, '<node name>' AS "node", ... FROM "alert") <fragment SQL>
 *
 * An included table contributes the queried table's columns (NULL where it lacks one); extend columns are
 * constants per operator, so the fragment can filter and group on them like any column.
 */
import type { TableSchema } from '@fedlake/core'

export interface ExtendValue {
  readonly name: string
  readonly value: string | number | null
}

export function targetSql (fragmentSql: string, queried: TableSchema, source: TableSchema, extend: readonly ExtendValue[]): string {
  if (extend.length === 0 && source.table.toLowerCase() === queried.table.toLowerCase()) return fragmentSql
  const have = new Set(source.columns.map(c => c.name.toLowerCase()))
  const columns = queried.columns.map(c => have.has(c.name.toLowerCase()) ? quote(c.name) : `CAST(NULL AS ${c.type}) AS ${quote(c.name)}`)
  const extra = extend.map(e => `${literal(e.value)} AS ${quote(e.name)}`)
  const cte = `${quote(queried.table.toLowerCase())} AS (SELECT ${[...columns, ...extra].join(', ')} FROM ${quote(source.table)})`
  const withClause = /^\s*WITH\s+(?!RECURSIVE\b)/i.exec(fragmentSql)
  if (withClause !== null) return `WITH ${cte}, ${fragmentSql.slice(withClause[0].length)}`
  return `WITH ${cte} ${fragmentSql}`
}

function quote (name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

function literal (value: string | number | null): string {
  if (value === null) return 'NULL'
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NULL'
  return `'${value.replace(/'/g, "''")}'`
}
