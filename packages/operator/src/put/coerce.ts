/**
 * A PUT value as a storage value of a column type, or undefined when it does not fit. Lenient only where
 * nothing is lost: numeric strings into numeric columns, "true"/"false" into BOOLEAN, anything into VARCHAR
 * (objects and arrays as JSON text). A timestamp must be a timestamp string (numbers are ambiguous: s/ms/us?).
 * Integers are never rounded: one a column cannot hold exactly does not fit (no silent widening either).
 */
import type { ColumnType } from '@fedlake/core'
import type { StorageValue } from '../storage/types.js'
import { jsonTextOf } from './put-value.js'
import type { PutValue } from './put-value.js'
import { isTimestampText, parseTimestampMicros } from './timestamp.js'

const INTEGER_TEXT = /^\s*[-+]?\d+\s*$/
/** Longer strings are no 128-bit integer anyway, and BigInt() of a huge one is slow. */
const MAX_INTEGER_TEXT = 64
const INT32_MIN = -2147483648
const INT32_MAX = 2147483647
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const INT128_MIN = -(2n ** 127n)
const INT128_MAX = 2n ** 127n - 1n

export function coerceValue (value: PutValue | undefined, type: ColumnType): StorageValue | undefined {
  if (value === null || value === undefined) return null
  switch (type) {
    case 'VARCHAR':
      return typeof value === 'string' ? value : typeof value === 'object' ? jsonTextOf(value) : String(value)
    case 'TIMESTAMP': {
      const micros = typeof value === 'string' ? parseTimestampMicros(value.trim()) : undefined
      return micros !== undefined && Number.isSafeInteger(micros) ? micros : undefined
    }
    case 'BIGINT':
      return integerWithin(value, INT64_MIN, INT64_MAX)
    case 'HUGEINT':
      return integerWithin(value, INT128_MIN, INT128_MAX)
    case 'INTEGER': {
      const n = integerWithin(value, BigInt(INT32_MIN), BigInt(INT32_MAX))
      return n === undefined ? undefined : Number(n)
    }
    case 'DOUBLE':
      if (typeof value === 'number') return value
      if (typeof value === 'bigint') return exactDouble(value)
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

/** Why `value` does not fit `type` (for the error text), when coerceValue refused it. */
export function misfitReason (value: PutValue, type: ColumnType): string {
  if (type === 'TIMESTAMP' && typeof value === 'string' && isTimestampText(value.trim())) {
    return `is outside the TIMESTAMP range fedlake stores (${TIMESTAMP_RANGE})`
  }
  if (type === 'DOUBLE' && typeof value === 'bigint') return 'cannot be stored exactly in a DOUBLE column'
  const integer = integerOf(value)
  if (integer !== undefined && (type === 'BIGINT' || type === 'INTEGER' || type === 'HUGEINT')) {
    return `does not fit ${type} (${type === 'INTEGER' ? '32' : type === 'BIGINT' ? '64' : '128'}-bit); a column keeps the type it was created with`
  }
  return `is not a ${type}`
}

/** ±2^53 microseconds around the epoch: the range a timestamp keeps exactly as a JS number. */
const TIMESTAMP_RANGE = `${new Date(-Number.MAX_SAFE_INTEGER / 1000).toISOString().slice(0, 10)} to ${new Date(Number.MAX_SAFE_INTEGER / 1000).toISOString().slice(0, 10)}`

function integerWithin (value: PutValue, min: bigint, max: bigint): number | bigint | undefined {
  const n = integerOf(value)
  if (n === undefined) return undefined
  if (typeof n === 'number') return n >= Number(min) && n <= Number(max) ? n : undefined
  return n >= min && n <= max ? n : undefined
}

/** A safe integer as a number, a bigger one as a bigint, anything else undefined. */
function integerOf (value: PutValue): number | bigint | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : undefined
  if (typeof value === 'bigint') return value
  if (typeof value === 'string' && value.length <= MAX_INTEGER_TEXT && INTEGER_TEXT.test(value)) {
    const n = Number(value)
    return Number.isSafeInteger(n) ? n : BigInt(value.trim())
  }
  return undefined
}

function exactDouble (value: bigint): number | undefined {
  const n = Number(value)
  return BigInt(n) === value ? n : undefined
}
