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

/** What a column's type decides about its values, worked out once per column (not per value: every cell of every reply). */
function columnRules (type: string): { exactText: boolean, isDate: boolean, isFloat: boolean, isBigint: boolean } {
  const t = type.toUpperCase()
  return { exactText: EXACT_NUMBER_TYPES.test(t), isDate: t === 'DATE', isFloat: t === 'FLOAT', isBigint: t === 'BIGINT' }
}

export function jsonTextEncoder (type: string, options: ValueFormatOptions = {}): JsonTextEncoder {
  const timeZone = options.timeZone
  const { exactText, isDate, isFloat, isBigint } = columnRules(type)
  return (vector, row) => {
    if (vector.valid !== null && vector.valid[row] === 0) return 'null'
    switch (vector.kind) {
      case 'text': {
        const text = vector.values[row] as string
        return exactText ? exactNumberText(text) : JSON.stringify(text)
      }
      case 'i64': {
        const v = vector.values[row] as bigint
        if (isBigint) return integerText(v)
        return `"${formatTimestampMicros(v, timeZone)}"`
      }
      case 'f64': {
        const n = vector.values[row] as number
        if (isDate) return `"${formatDateDays(n)}"`
        return numberText(isFloat ? shortestFloat32(n) : n)
      }
      case 'bool': return vector.values[row] === 1 ? 'true' : 'false'
      case 'json': return vector.values[row] as string
    }
  }
}

/** One decoder per field: values as JSON values (numbers, strings, objects), same rules as the text. */
export function jsonValueDecoders (fields: readonly ResultField[], options: ValueFormatOptions = {}): JsonValueDecoder[] {
  return fields.map(field => jsonValueDecoder(field.type, options))
}

/**
 * The value the text encoder writes, as a JSON value: JSON.stringify of it gives the encoder's text exactly
 * (JSON.stringify and String print numbers alike), so replies can be built from plain objects.
 */
export function jsonValueDecoder (type: string, options: ValueFormatOptions = {}): JsonValueDecoder {
  const timeZone = options.timeZone
  const { exactText, isDate, isFloat, isBigint } = columnRules(type)
  return (vector, row) => {
    if (vector.valid !== null && vector.valid[row] === 0) return null
    switch (vector.kind) {
      case 'text': {
        const text = vector.values[row] as string
        return exactText ? exactNumberValue(text) : text
      }
      case 'i64': {
        const v = vector.values[row] as bigint
        if (isBigint) return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : String(v)
        return formatTimestampMicros(v, timeZone)
      }
      case 'f64': {
        const n = vector.values[row] as number
        if (isDate) return formatDateDays(n)
        return numberValue(isFloat ? shortestFloat32(n) : n)
      }
      case 'bool': return vector.values[row] === 1
      case 'json': return JSON.parse(vector.values[row] as string) as JsonValue
    }
  }
}

function numberValue (n: number): number | string {
  if (Number.isFinite(n)) return n
  return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity'
}

function exactNumberValue (text: string): number | string {
  const n = Number(text)
  if (Number.isFinite(n) && (Number.isSafeInteger(n) || !Number.isInteger(n)) && String(n) === normaliseDecimal(text)) return n
  return text
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
