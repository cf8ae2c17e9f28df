/**
 * How result values are written in replies, one rule for local and network answers:
 *
 * - numbers are JSON numbers when JSON can carry them exactly: DOUBLE, FLOAT (shortest text that reads back
 *   as the same float), integers up to 2^53 in magnitude; BIGINT, HUGEINT, UBIGINT beyond that and DECIMALs a
 *   double cannot hold exactly are strings of their exact digits ("12345678901234567890");
 * - NaN and ±Infinity (which JSON has no numbers for) are the strings "NaN", "Infinity", "-Infinity";
 * - TIMESTAMP (and TIMESTAMP WITH TIME ZONE) are 'YYYY-MM-DD HH:MM:SS.ffffff' in the reply's time zone
 *   (UTC unless the query names one), EdgeLake's shape; DATE is 'YYYY-MM-DD';
 * - other scalars (INTERVAL, UUID, TIME, BLOB, ENUM...) are strings of DuckDB's text for them;
 * - LIST, ARRAY, STRUCT, MAP are JSON arrays and objects (MAP as [{"key":..,"value":..}]).
 */
import type { JsonValue } from '@fedlake/core'
import type { ResultField, ResultVector } from './result-batch.js'
import { formatDateDays, formatTimestampMicros } from './timestamps.js'
import type { TimeZone } from './timestamps.js'

/** JSON text of the value at `row` of a vector (NULL is `null`). */
export type JsonTextEncoder = (vector: ResultVector, row: number) => string
/** The value at `row` as a JSON value (for table rendering and tests). */
export type JsonValueDecoder = (vector: ResultVector, row: number) => JsonValue

const EXACT_NUMBER_TYPES = /^(HUGEINT|UHUGEINT|UBIGINT|BIGNUM|VARINT|DECIMAL)/

export interface ValueFormatOptions {
  /** @default UTC */
  readonly timeZone?: TimeZone
}

/** One encoder per field: values of that column as JSON text. */
export function jsonTextEncoders (fields: readonly ResultField[], options: ValueFormatOptions = {}): JsonTextEncoder[] {
  return fields.map(field => jsonTextEncoder(field.type, options))
}

export function jsonTextEncoder (type: string, options: ValueFormatOptions = {}): JsonTextEncoder {
  const t = type.toUpperCase()
  const timeZone = options.timeZone
  return (vector, row) => {
    if (vector.valid !== null && vector.valid[row] === 0) return 'null'
    switch (vector.kind) {
      case 'bool': return vector.values[row] === 1 ? 'true' : 'false'
      case 'f64': {
        const n = vector.values[row] as number
        if (t === 'DATE') return `"${formatDateDays(n)}"`
        return numberText(t === 'FLOAT' ? shortestFloat32(n) : n)
      }
      case 'i64': {
        const v = vector.values[row] as bigint
        if (t === 'BIGINT') return integerText(v)
        return `"${formatTimestampMicros(v, timeZone)}"`
      }
      case 'text': {
        const text = vector.values[row] as string
        return EXACT_NUMBER_TYPES.test(t) ? exactNumberText(text) : JSON.stringify(text)
      }
      case 'json': return vector.values[row] as string
    }
  }
}

/** One decoder per field: values as JSON values (numbers, strings, objects), same rules as the text. */
export function jsonValueDecoders (fields: readonly ResultField[], options: ValueFormatOptions = {}): JsonValueDecoder[] {
  return fields.map(field => {
    const encode = jsonTextEncoder(field.type, options)
    return (vector, row) => {
      if (vector.valid !== null && vector.valid[row] === 0) return null
      switch (vector.kind) {
        case 'bool': return vector.values[row] === 1
        case 'text': if (!EXACT_NUMBER_TYPES.test(field.type.toUpperCase())) return vector.values[row] as string
      }
      return JSON.parse(encode(vector, row)) as JsonValue
    }
  })
}

function numberText (n: number): string {
  if (Number.isFinite(n)) return String(n)
  return Number.isNaN(n) ? '"NaN"' : n > 0 ? '"Infinity"' : '"-Infinity"'
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

function integerText (v: bigint): string {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? String(v) : `"${v}"`
}

/** A DECIMAL/HUGEINT's exact text as a JSON number when a double holds it exactly, else as a string. */
function exactNumberText (text: string): string {
  const n = Number(text)
  if (Number.isFinite(n) && (Number.isSafeInteger(n) || !Number.isInteger(n)) && String(n) === normaliseDecimal(text)) return String(n)
  return JSON.stringify(text)
}

/** '-001.2500' → '-1.25', '3.000' → '3': the way String(number) prints the same value. */
function normaliseDecimal (text: string): string {
  let s = text.trim()
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '')
  const negative = s.startsWith('-')
  if (negative || s.startsWith('+')) s = s.slice(1)
  s = s.replace(/^0+(?=\d)/, '')
  if (s === '0') return '0'
  return negative ? `-${s}` : s
}

/** The shortest decimal that reads back as the same 32-bit float (DuckDB prints FLOAT 0.1 as 0.1). */
function shortestFloat32 (n: number): number {
  if (!Number.isFinite(n) || n === 0) return n
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(n.toPrecision(digits))
    if (Math.fround(candidate) === n) return candidate
  }
  return n
}
