/**
 * Schema of a PUT table, inferred from the WHOLE first batch (EdgeLake types a column from its first value,
 * so "d0" makes a char(2) column that "device-long-name" later overflows; reference/edgelake.md §5.2).
 *
 * Per key, over every non-null value: TIMESTAMP if all are timestamp strings, BIGINT if all are integers within
 * 64 bits (safe integers, or bigints for those beyond 2^53), HUGEINT if all are integers and one needs more than
 * 64 bits, DOUBLE if all are numbers and one is not such an integer, BOOLEAN if all are booleans, else VARCHAR
 * (objects and arrays are stored as JSON text). Keys with only nulls become VARCHAR.
 */
import type { ColumnSchema, ColumnType, TableSchema } from '@fedlake/core'
import { FedlakeError } from '@fedlake/core'
import { PUT_ERRORS } from '../errors-storage.js'
import type { PutRow } from './put-value.js'
import { isTimestampText } from './timestamp.js'

const NAME = /^[a-z0-9_]{1,63}$/
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** dbms and table names: lower-cased (as EdgeLake does) and limited to letters, digits and _. */
export function normaliseTableName (kind: 'dbms' | 'table', name: string): string {
  const lower = name.trim().toLowerCase()
  if (!NAME.test(lower)) {
    throw new FedlakeError(PUT_ERRORS.PUT_INVALID_NAME, `invalid ${kind} name '${name}': use letters, digits and _ (at most 63)`, { [kind]: name })
  }
  return lower
}

/** A JSON key as a SQL column name: lower case, anything but [a-z0-9_] as _, a leading digit prefixed with _. */
export function columnNameOf (key: string): string {
  let name = key.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 128)
  if (name === '') name = '_'
  if (/^[0-9]/.test(name)) name = `_${name}`.slice(0, 128)
  return name
}

interface Evidence {
  nonNull: number
  booleans: number
  integers: number
  /** Integers beyond 64 bits. */
  hugeIntegers: number
  numbers: number
  timestamps: number
}

/** Maps each key of every row to its column, refusing a row with two keys that land on one column. */
export function rowColumns (rows: readonly PutRow[]): { names: string[], keysOf: (row: PutRow, index: number) => [string, string][] } {
  const names: string[] = []
  const seen = new Set<string>()
  const cache = new Map<string, string>()
  const columnOf = (key: string): string => {
    let name = cache.get(key)
    if (name === undefined) { name = columnNameOf(key); cache.set(key, name) }
    return name
  }
  const keysOf = (row: PutRow, index: number): [string, string][] => {
    const pairs: [string, string][] = []
    const inRow = new Map<string, string>()
    for (const key of Object.keys(row)) {
      const name = columnOf(key)
      const other = inRow.get(name)
      if (other !== undefined) {
        throw new FedlakeError(PUT_ERRORS.PUT_DUPLICATE_COLUMN, `row ${index}: keys '${other}' and '${key}' both map to column ${name}`, { row: index, column: name })
      }
      inRow.set(name, key)
      pairs.push([key, name])
    }
    return pairs
  }
  rows.forEach((row, i) => {
    for (const [, name] of keysOf(row, i)) {
      if (!seen.has(name)) { seen.add(name); names.push(name) }
    }
  })
  return { names, keysOf }
}

export function inferSchema (dbms: string, table: string, rows: readonly PutRow[]): TableSchema {
  const dbmsName = normaliseTableName('dbms', dbms)
  const tableName = normaliseTableName('table', table)
  const { names, keysOf } = rowColumns(rows)
  const evidence = new Map<string, Evidence>(names.map(n => [n, { nonNull: 0, booleans: 0, integers: 0, hugeIntegers: 0, numbers: 0, timestamps: 0 }]))
  rows.forEach((row, i) => {
    for (const [key, name] of keysOf(row, i)) {
      const value = row[key]
      if (value === null || value === undefined) continue
      const e = evidence.get(name) as Evidence
      e.nonNull++
      if (typeof value === 'boolean') e.booleans++
      else if (typeof value === 'number') {
        e.numbers++
        if (Number.isSafeInteger(value)) e.integers++
      } else if (typeof value === 'bigint') {
        e.numbers++
        e.integers++
        if (value < INT64_MIN || value > INT64_MAX) e.hugeIntegers++
      } else if (typeof value === 'string' && isTimestampText(value)) e.timestamps++
    }
  })
  const columns: ColumnSchema[] = names.map(name => ({ name, type: typeFrom(evidence.get(name) as Evidence) }))
  return { dbms: dbmsName, table: tableName, columns }
}

function typeFrom (e: Evidence): ColumnType {
  if (e.nonNull === 0) return 'VARCHAR'
  if (e.booleans === e.nonNull) return 'BOOLEAN'
  if (e.numbers === e.nonNull) return e.integers < e.nonNull ? 'DOUBLE' : e.hugeIntegers > 0 ? 'HUGEINT' : 'BIGINT'
  if (e.timestamps === e.nonNull) return 'TIMESTAMP'
  return 'VARCHAR'
}
