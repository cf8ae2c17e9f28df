/**
 * Value conversion from record values (JSON-like) to the storage column types. Every converter
 * either returns a storage value or throws a ConversionFailure (a plain object, cheap to throw;
 * it never leaves the row builder, which turns it into a MappingError value).
 *
 * TIMESTAMP values are epoch microseconds (number) in UTC.
 */
import type { ColumnType } from '@fedlake/core'
import type { IngestValue } from '../ingest/sink.js'

export class ConversionFailure {
  readonly message: string
  /** Index of the column being built, set by the row builder. */
  column: number | undefined
  constructor (message: string) { this.message = message }
}

/** Short printable form of a bad value for error texts. */
export function describeValue (value: unknown): string {
  let text: string
  try {
    text = typeof value === 'string' ? `'${value}'` : typeof value === 'bigint' ? value.toString() : JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

function fail (value: unknown, type: string): never {
  throw new ConversionFailure(`cannot convert ${describeValue(value)} to ${type}`)
}

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const INTEGER_TEXT = /^\s*[+-]?\d+\s*$/
const NUMBER_TEXT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/

export function toInteger (value: unknown): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) return value
  } else if (typeof value === 'string') {
    if (INTEGER_TEXT.test(value)) {
      const n = Number(value)
      if (n >= INT32_MIN && n <= INT32_MAX) return n
    }
  } else if (typeof value === 'bigint') {
    if (value >= BigInt(INT32_MIN) && value <= BigInt(INT32_MAX)) return Number(value)
  } else if (typeof value === 'boolean') {
    return value ? 1 : 0
  }
  return fail(value, 'INTEGER')
}

export function toBigint (value: unknown): number | bigint {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return value
    if (Number.isInteger(value) && value >= -(2 ** 63) && value < 2 ** 63) return BigInt(value)
  } else if (typeof value === 'string') {
    if (INTEGER_TEXT.test(value)) {
      const n = Number(value)
      if (Number.isSafeInteger(n)) return n
      const big = BigInt(value.trim())
      if (big >= INT64_MIN && big <= INT64_MAX) return big
    }
  } else if (typeof value === 'bigint') {
    if (value >= INT64_MIN && value <= INT64_MAX) return Number.isSafeInteger(Number(value)) ? Number(value) : value
  } else if (typeof value === 'boolean') {
    return value ? 1 : 0
  }
  return fail(value, 'BIGINT')
}

const INT128_MIN = -(2n ** 127n)
const INT128_MAX = 2n ** 127n - 1n

export function toHugeint (value: unknown): number | bigint {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value
  if (typeof value === 'bigint' && value >= INT128_MIN && value <= INT128_MAX) return value
  if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
    const big = BigInt(value.trim())
    if (big >= INT128_MIN && big <= INT128_MAX) return big
  }
  if (typeof value === 'boolean') return value ? 1 : 0
  return fail(value, 'HUGEINT')
}

export function toDouble (value: unknown): number {
  if (typeof value === 'number') return value
  if (typeof value === 'string' && NUMBER_TEXT.test(value)) return Number(value)
  if (typeof value === 'bigint') return Number(value)
  return fail(value, 'DOUBLE')
}

export function toBoolean (value: unknown): boolean {
  if (typeof value === 'boolean') return value
  if (value === 1 || value === 0) return value === 1
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase()
    if (v === 'true' || v === '1' || v === 'yes' || v === 't') return true
    if (v === 'false' || v === '0' || v === 'no' || v === 'f') return false
  }
  return fail(value, 'BOOLEAN')
}

/** Text form: arrays are comma-joined (KubeArmor ATags -> 'NIST,SI-4'), objects become JSON. */
export function toText (value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (Array.isArray(value)) return value.map(v => typeof v === 'string' ? v : toJsonText(v)).join(',')
  if (typeof value === 'object' && value !== null) return toJsonText(value)
  return fail(value, 'VARCHAR')
}

export function toJsonText (value: unknown): string {
  try {
    const text = JSON.stringify(value, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v)
    if (text !== undefined) return text
  } catch {
    // circular structures fall through
  }
  return fail(value, 'JSON text')
}

/** Epoch microseconds from epoch time in the given unit (a number or a numeric string). */
export function epochToMicros (value: unknown, unitMicros: number): number {
  let n: number
  if (typeof value === 'number') n = value
  else if (typeof value === 'string' && NUMBER_TEXT.test(value)) n = Number(value)
  else if (typeof value === 'bigint') n = Number(value)
  else return fail(value, 'TIMESTAMP (epoch)')
  if (!Number.isFinite(n)) return fail(value, 'TIMESTAMP (epoch)')
  return Math.round(n * unitMicros)
}

// A single-entry cache: consecutive events share their date-and-second prefix most of the time.
let cachedPrefix = ''
let cachedSecondsMicros = 0

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function digits (s: string, start: number, count: number): number {
  let n = 0
  for (let i = start; i < start + count; i++) {
    const d = s.charCodeAt(i) - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/**
 * Parses `YYYY-MM-DD[T| ]HH:MM:SS[.f{1,9}][Z|±HH:MM|±HHMM]` or `YYYY-MM-DD`; without a zone it is
 * UTC. Returns epoch microseconds, or undefined when the text is not such a timestamp.
 * Digits beyond microseconds are truncated.
 */
export function parseIsoMicros (s: string): number | undefined {
  const len = s.length
  if (len < 10) return undefined
  let base: number
  let pos: number
  if (cachedPrefix.length === 19 && len >= 19 && s.startsWith(cachedPrefix)) {
    base = cachedSecondsMicros
    pos = 19
  } else {
    if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return undefined
    const year = digits(s, 0, 4)
    const month = digits(s, 5, 2)
    const day = digits(s, 8, 2)
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > (DAYS_IN_MONTH[month - 1] as number)) return undefined
    if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return undefined
    let hour = 0
    let minute = 0
    let second = 0
    pos = 10
    if (len > 10) {
      const sep = s.charCodeAt(10)
      if ((sep !== 84 && sep !== 32) || len < 19 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined
      hour = digits(s, 11, 2)
      minute = digits(s, 14, 2)
      second = digits(s, 17, 2)
      if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) return undefined
      pos = 19
    }
    base = Date.UTC(year, month - 1, day, hour, minute, second) * 1000
    if (pos === 19) {
      cachedPrefix = s.slice(0, 19)
      cachedSecondsMicros = base
    }
  }
  let micros = 0
  if (pos < len && s.charCodeAt(pos) === 46) {
    pos++
    let scale = 100000
    const start = pos
    while (pos < len) {
      const d = s.charCodeAt(pos) - 48
      if (d < 0 || d > 9) break
      micros += d * scale
      scale /= 10
      pos++
    }
    if (pos === start) return undefined
    micros = Math.floor(micros)
  }
  if (pos === len) return base + micros
  const z = s.charCodeAt(pos)
  if (z === 90 || z === 122) return pos + 1 === len ? base + micros : undefined
  if (z !== 43 && z !== 45) return undefined
  const rest = s.slice(pos + 1)
  const m = /^(\d{2}):?(\d{2})$/.exec(rest)
  if (m === null) return undefined
  const offsetMinutes = Number(m[1]) * 60 + Number(m[2])
  return base + micros - (z === 43 ? 1 : -1) * offsetMinutes * 60_000_000
}

/** TIMESTAMP from a record value: ISO text, epoch seconds (number or digits), or a Date. */
export function toTimestamp (value: unknown): number {
  if (typeof value === 'string') {
    const iso = parseIsoMicros(value)
    if (iso !== undefined) return iso
    if (NUMBER_TEXT.test(value)) return epochToMicros(value, 1_000_000)
  } else if (typeof value === 'number' || typeof value === 'bigint') {
    return epochToMicros(value, 1_000_000)
  } else if (value instanceof Date && !Number.isNaN(value.getTime())) {
    return value.getTime() * 1000
  }
  return fail(value, 'TIMESTAMP')
}

/** ISO-8601 text (microseconds, Z) for a TIMESTAMP value, e.g. when a timestamp lands in a text column. */
export function microsToIso (micros: number): string {
  const ms = Math.floor(micros / 1000)
  const frac = String(micros - ms * 1000).padStart(3, '0')
  return new Date(ms).toISOString().replace('Z', `${frac}Z`)
}

export function converterFor (type: ColumnType): (value: unknown) => IngestValue {
  switch (type) {
    case 'VARCHAR': return toText
    case 'INTEGER': return toInteger
    case 'BIGINT': return toBigint
    case 'HUGEINT': return toHugeint
    case 'DOUBLE': return toDouble
    case 'BOOLEAN': return toBoolean
    case 'TIMESTAMP': return toTimestamp
  }
}
