/**
 * A JSON value as a storage value of a column type, or undefined when it does not fit. Lenient only where
 * nothing is lost: numeric strings into numeric columns, "true"/"false" into BOOLEAN, anything into VARCHAR
 * (objects and arrays as JSON text). A timestamp must be a timestamp string (numbers are ambiguous: s/ms/us?).
 */
import type { ColumnType, JsonValue } from '@fedlake/core'
import type { StorageValue } from '../storage/types.js'
import { parseTimestampMicros } from './timestamp.js'

const INTEGER_TEXT = /^\s*[-+]?\d+\s*$/
const INT32_MIN = -2147483648
const INT32_MAX = 2147483647

export function coerceValue (value: JsonValue | undefined, type: ColumnType): StorageValue | undefined {
  if (value === null || value === undefined) return null
  switch (type) {
    case 'VARCHAR':
      return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value)
    case 'TIMESTAMP':
      return typeof value === 'string' ? parseTimestampMicros(value.trim()) : undefined
    case 'BIGINT': {
      const n = integerOf(value)
      return n !== undefined && Number.isSafeInteger(n) ? n : undefined
    }
    case 'INTEGER': {
      const n = integerOf(value)
      return n !== undefined && n >= INT32_MIN && n <= INT32_MAX ? n : undefined
    }
    case 'DOUBLE':
      if (typeof value === 'number') return value
      if (typeof value === 'string' && value.trim() !== '') {
        const n = Number(value)
        return Number.isFinite(n) ? n : undefined
      }
      return undefined
    case 'BOOLEAN':
      if (typeof value === 'boolean') return value
      if (typeof value === 'string') {
        const lower = value.trim().toLowerCase()
        if (lower === 'true') return true
        if (lower === 'false') return false
      }
      return undefined
  }
}

function integerOf (value: JsonValue): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined
  if (typeof value === 'string' && INTEGER_TEXT.test(value)) return Number(value)
  return undefined
}
