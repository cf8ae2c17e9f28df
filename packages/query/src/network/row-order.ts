/**
 * DuckDB's ORDER BY, row against row, over ResultBatch vectors: for the types whose transported values order
 * exactly as DuckDB orders them (checked against DuckDB 1.5 in packages/query/test/ordered-merge.test.ts):
 * - NULLs first or last as the term says, whatever its direction;
 * - numbers: -0.0 equals 0.0, NaN above +Infinity (and equal to NaN);
 * - VARCHAR: binary collation, i.e. the UTF-8 bytes, i.e. code points (not JavaScript's UTF-16 units);
 * - DATE as days, TIMESTAMP[TZ] as microseconds (±infinity included), BOOLEAN false before true.
 * Other types travel as text (DECIMAL, HUGEINT, UUID, INTERVAL...) or JSON (LIST, STRUCT...) whose order is not
 * DuckDB's: `uncomparableKey` names them, and the caller merges in SQL instead.
 */
import { vectorKindOf } from '@fedlake/sql'
import type { ResultBatch, ResultField, ResultVector } from '@fedlake/sql'
import type { OrderKey } from '../planner/index.js'

const EXACT_TYPES = new Set([
  'BOOLEAN', 'TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER',
  'FLOAT', 'DOUBLE', 'DATE', 'TIMESTAMP', 'TIMESTAMP WITH TIME ZONE', 'VARCHAR'
])

/** The first ORDER BY key whose type the row comparator cannot order as DuckDB does (as 'name TYPE'), if any. */
export function uncomparableKey (fields: readonly ResultField[], keys: readonly OrderKey[]): string | undefined {
  for (const key of keys) {
    const field = fields[key.column]
    if (field === undefined) return `column ${key.column + 1} (missing)`
    if (!EXACT_TYPES.has(field.type.toUpperCase())) return `${field.name} ${field.type}`
  }
  return undefined
}

/** Compares row `a` of one batch with row `b` of another (same fields): < 0 when a comes first. */
export type RowComparator = (x: ResultBatch, a: number, y: ResultBatch, b: number) => number

export function rowComparator (fields: readonly ResultField[], keys: readonly OrderKey[]): RowComparator {
  const terms = keys.map(key => {
    const compare = valueComparator(vectorKindOf((fields[key.column] as ResultField).type))
    const nulls = key.nullsFirst ? -1 : 1
    const direction = key.descending ? -1 : 1
    return { column: key.column, compare, nulls, direction }
  })
  return (x, a, y, b) => {
    for (const t of terms) {
      const u = x.vectors[t.column] as ResultVector
      const v = y.vectors[t.column] as ResultVector
      const uNull = u.valid !== null && u.valid[a] === 0
      const vNull = v.valid !== null && v.valid[b] === 0
      if (uNull || vNull) {
        if (uNull && vNull) continue
        return uNull ? t.nulls : -t.nulls
      }
      const c = t.compare(u, a, v, b)
      if (c !== 0) return c * t.direction
    }
    return 0
  }
}

type ValueComparator = (u: ResultVector, a: number, v: ResultVector, b: number) => number

function valueComparator (kind: ResultVector['kind']): ValueComparator {
  switch (kind) {
    case 'f64': return (u, a, v, b) => compareNumbers(u.values[a] as number, v.values[b] as number)
    case 'bool': return (u, a, v, b) => (u.values[a] as number) - (v.values[b] as number)
    case 'i64': return (u, a, v, b) => { const p = u.values[a] as bigint; const q = v.values[b] as bigint; return p < q ? -1 : p > q ? 1 : 0 }
    case 'text':
    case 'json': return (u, a, v, b) => compareCodePoints(u.values[a] as string, v.values[b] as string)
  }
}

function compareNumbers (p: number, q: number): number {
  if (p < q) return -1
  if (p > q) return 1
  if (p === q) return 0
  // NaN is above every number, equal to NaN
  return Number.isNaN(p) ? (Number.isNaN(q) ? 0 : 1) : -1
}

/** Code point order (UTF-8 byte order): UTF-16 units order the same except surrogates against U+E000..U+FFFF. */
export function compareCodePoints (p: string, q: string): number {
  if (p === q) return 0
  const n = Math.min(p.length, q.length)
  for (let i = 0; i < n; i++) {
    let c = p.charCodeAt(i)
    let d = q.charCodeAt(i)
    if (c === d) continue
    if (c >= 0xd800 && d >= 0xd800) {
      c = c < 0xe000 ? c + 0x2000 : c - 0x800
      d = d < 0xe000 ? d + 0x2000 : d - 0x800
    }
    return c - d
  }
  return p.length - q.length
}
