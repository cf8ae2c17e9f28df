/**
 * Structural identity of expressions, as DuckDB's binder sees it: two expressions are the same when they differ
 * only in alias, source position, the case of names, or a qualifier naming the one table read. Used to match
 * select items with GROUP BY keys and ORDER BY terms, and to share partial aggregates.
 */
import { isExpr } from './nodes.js'
import type { Expr } from './nodes.js'

/** Qualifiers that name the table of the FROM clause (its name, its alias), lower case. */
export type TableQualifiers = ReadonlySet<string>

export function expressionKey (expr: Expr, qualifiers: TableQualifiers = new Set()): string {
  return JSON.stringify(normalize(expr, qualifiers))
}

function normalize (value: unknown, qualifiers: TableQualifiers): unknown {
  if (Array.isArray(value)) return value.map(v => normalize(v, qualifiers))
  if (value === null || typeof value !== 'object') return value
  const node = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(node).sort()) {
    if (key === 'alias' || key === 'query_location') continue
    out[key] = normalize(node[key], qualifiers)
  }
  if (isExpr(value)) {
    if (value.class === 'COLUMN_REF') out.column_names = unqualified(value.column_names as string[], qualifiers)
    if (value.class === 'FUNCTION' || value.class === 'WINDOW') out.function_name = String(value.function_name).toLowerCase()
  }
  return out
}

function unqualified (names: readonly string[], qualifiers: TableQualifiers): string[] {
  const lower = names.map(n => n.toLowerCase())
  if (lower.length === 2 && qualifiers.has(lower[0] as string)) return [lower[1] as string]
  if (lower.length === 3 && qualifiers.has(`${lower[0] as string}.${lower[1] as string}`)) return [lower[2] as string]
  return lower
}
