/**
 * Small partial results go into the merge SQL itself: each fragment becomes a CTE over a VALUES list of text
 * literals cast to the fields' types (DuckDB's own text for each value, so the cast back is exact), and the
 * merge is one statement. Creating, filling and dropping a temporary table costs several DuckDB calls
 * (~5 ms under load); a count(*) over three operators merges three rows.
 */
import { formatDateDays, formatTimestampMicros } from '@fedlake/sql'
import type { ResultBatch, ResultField, ResultVector } from '@fedlake/sql'
import { quoteIdent } from './batch-writer.js'

/** Above this many values the partials are staged in a table instead. */
export const MAX_INLINE_VALUES = 4096

/** `"name" AS (SELECT CAST(c0 AS T) AS "f0", ... FROM (VALUES ...) v(c0, ...))`; undefined when a value cannot be written inline. */
export function inlineFragment (name: string, fields: readonly ResultField[], batches: readonly ResultBatch[]): string | undefined {
  const columns = fields.map((_, i) => `c${i}`)
  const select = fields.map((field, i) => `CAST(c${i} AS ${field.type}) AS ${quoteIdent(field.name)}`)
  const rows: string[] = []
  for (const batch of batches) {
    for (let r = 0; r < batch.rowCount; r++) {
      const values: string[] = []
      for (let c = 0; c < fields.length; c++) {
        const literal = literalOf(batch.vectors[c] as ResultVector, (fields[c] as ResultField).type, r)
        if (literal === undefined) return undefined
        values.push(literal)
      }
      rows.push(`(${values.join(', ')})`)
    }
  }
  if (fields.length === 0) return `${quoteIdent(name)} AS (SELECT 1 AS __none WHERE false)`
  if (rows.length === 0) return `${quoteIdent(name)} AS (SELECT ${fields.map((f, i) => `CAST(NULL AS ${f.type}) AS ${quoteIdent(fields[i]?.name ?? '')}`).join(', ')} WHERE false)`
  return `${quoteIdent(name)} AS (SELECT ${select.join(', ')} FROM (VALUES ${rows.join(', ')}) AS v(${columns.join(', ')}))`
}

/** The merge statement with the fragments' CTEs in front (merged into its own WITH when it has one). */
export function withInlineFragments (mergeSql: string, ctes: readonly string[]): string {
  if (ctes.length === 0) return mergeSql
  const own = /^\s*WITH\s+(RECURSIVE\s+)?/i.exec(mergeSql)
  if (own !== null) return `WITH ${own[1] === undefined ? '' : 'RECURSIVE '}${ctes.join(', ')}, ${mergeSql.slice(own[0].length)}`
  return `WITH ${ctes.join(', ')} ${mergeSql}`
}

function literalOf (vector: ResultVector, type: string, row: number): string | undefined {
  if (vector.valid !== null && vector.valid[row] === 0) return 'NULL'
  switch (vector.kind) {
    case 'bool': return vector.values[row] === 1 ? "'true'" : "'false'"
    case 'f64': {
      const n = vector.values[row] as number
      if (type.toUpperCase() === 'DATE') return text(formatDateDays(n))
      return text(Number.isNaN(n) ? 'nan' : n === Infinity ? 'inf' : n === -Infinity ? '-inf' : String(n))
    }
    case 'i64': {
      const v = vector.values[row] as bigint
      return type.toUpperCase() === 'BIGINT' ? text(String(v)) : text(formatTimestampMicros(v))
    }
    case 'text': case 'json': {
      const v = vector.values[row] as string
      return v.includes('\u0000') ? undefined : text(v)
    }
  }
}

function text (value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}
