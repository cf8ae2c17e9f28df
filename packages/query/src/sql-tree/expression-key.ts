/**
 * Structural identity of expressions, as DuckDB's binder sees it: two expressions are the same when they differ
 * only in alias, source position, the case of names, or a qualifier naming the one table read. Used to match
 * select items with GROUP BY keys and ORDER BY terms, and to share partial aggregates.
 */
import type { Expr } from './nodes.js'

/** Qualifiers that name the table of the FROM clause (its name, its alias), lower case. */
export type TableQualifiers = ReadonlySet<string>

const NO_QUALIFIERS: TableQualifiers = new Set()

/** A string equal for expressions DuckDB binds to the same thing (the planner calls it often: no JSON round trip). */
export function expressionKey (expr: Expr, qualifiers: TableQualifiers = NO_QUALIFIERS): string {
  const out: string[] = []
  write(expr, qualifiers, out)
  return out.join('')
}

function write (value: unknown, qualifiers: TableQualifiers, out: string[]): void {
  if (value === null || value === undefined) { out.push('~'); return }
  switch (typeof value) {
    case 'string': out.push(JSON.stringify(value)); return
    case 'number': case 'boolean': out.push(String(value)); return
    case 'object': break
    default: out.push(String(value)); return
  }
  if (Array.isArray(value)) {
    out.push('[')
    for (const item of value) { write(item, qualifiers, out); out.push(',') }
    out.push(']')
    return
  }
  const node = value as Record<string, unknown>
  const cls = node.class
  if (cls === 'COLUMN_REF') { out.push('col', JSON.stringify(unqualified(node.column_names as string[], qualifiers))); return }
  out.push('{')
  for (const key in node) {
    if (key === 'alias' || key === 'query_location') continue
    const child = node[key]
    out.push(key, ':')
    if (key === 'function_name' && typeof child === 'string') out.push(child.toLowerCase())
    else write(child, qualifiers, out)
    out.push(';')
  }
  out.push('}')
}

function unqualified (names: readonly string[], qualifiers: TableQualifiers): string[] {
  const lower = names.map(n => n.toLowerCase())
  if (lower.length === 2 && qualifiers.has(lower[0] as string)) return [lower[1] as string]
  if (lower.length === 3 && qualifiers.has(`${lower[0] as string}.${lower[1] as string}`)) return [lower[2] as string]
  return lower
}
