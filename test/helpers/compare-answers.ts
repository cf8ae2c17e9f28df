/**
 * Comparing the network's answer with the reference: same column names (and types), same rows — as multisets when
 * the query has no ORDER BY, in order when it has one; DOUBLEs within a relative 1e-9 (partial sums add up in
 * another order).
 */
import type { QueryAnswer } from './answers.js'

export const RELATIVE_TOLERANCE = 1e-9

type Canonical = null | boolean | number | string

/** A JS value for a DuckDB value: numbers stay numbers (compared with tolerance), everything else exact text. */
export function canonical (value: unknown): Canonical {
  if (value === null || value === undefined) return null
  if (typeof value === 'number' || typeof value === 'boolean') return value
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'string') return `'${value}`
  return `<${String(value)}>`
}

function closeEnough (a: Canonical, b: Canonical): boolean {
  if (a === b) return true
  if (typeof a !== 'number' || typeof b !== 'number') return false
  if (Number.isNaN(a) && Number.isNaN(b)) return true
  return Math.abs(a - b) <= RELATIVE_TOLERANCE * Math.max(Math.abs(a), Math.abs(b)) + 1e-12
}

function rowsEqual (a: readonly Canonical[], b: readonly Canonical[]): boolean {
  return a.length === b.length && a.every((v, i) => closeEnough(v, b[i] as Canonical))
}

/** undefined when equal, else what differs. */
export function differences (actual: QueryAnswer, expected: QueryAnswer, ordered: boolean, options: { readonly compareTypes?: boolean } = {}): string | undefined {
  if (JSON.stringify(actual.columns) !== JSON.stringify(expected.columns)) return `columns ${JSON.stringify(actual.columns)} != ${JSON.stringify(expected.columns)}`
  if ((options.compareTypes ?? true) && actual.types.length > 0 && JSON.stringify(actual.types) !== JSON.stringify(expected.types)) {
    return `types ${JSON.stringify(actual.types)} != ${JSON.stringify(expected.types)}`
  }
  const a = actual.rows.map(r => r.map(canonical))
  const e = expected.rows.map(r => r.map(canonical))
  if (a.length !== e.length) return `${a.length} rows != ${e.length} rows\nactual: ${show(a.slice(0, 8))}\nexpected: ${show(e.slice(0, 8))}`
  if (ordered) {
    const at = a.findIndex((row, i) => !rowsEqual(row, e[i] as Canonical[]))
    return at < 0 ? undefined : `row ${at}: ${show([a[at] as Canonical[]])} != ${show([e[at] as Canonical[]])}\nactual: ${show(a.slice(0, 10))}\nexpected: ${show(e.slice(0, 10))}`
  }
  // multisets: rows bucketed by their exact (non-number) cells, matched greedily within a bucket
  const bucketOf = (row: readonly Canonical[]): string => JSON.stringify(row.map(v => typeof v === 'number' ? '#' : v))
  const buckets = new Map<string, Canonical[][]>()
  for (const row of a) {
    const list = buckets.get(bucketOf(row)) ?? []
    list.push(row)
    buckets.set(bucketOf(row), list)
  }
  for (const row of e) {
    const list = buckets.get(bucketOf(row)) ?? []
    const match = list.findIndex(candidate => rowsEqual(candidate, row))
    if (match < 0) return `expected row ${show([row])} is missing\nactual: ${show(a.slice(0, 10))}\nexpected: ${show(e.slice(0, 10))}`
    list.splice(match, 1)
  }
  return undefined
}

function show (rows: readonly (readonly Canonical[])[]): string {
  return JSON.stringify(rows)
}
