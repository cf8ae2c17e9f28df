/**
 * DuckDB result values to JSON-safe values (core's QueryResult contract):
 * - BIGINT/HUGEINT/UBIGINT...: number when a safe integer, else the exact decimal string;
 * - DECIMAL: number when the number prints back exactly, else the exact string;
 * - DOUBLE/FLOAT: number; NaN and ±Infinity become null (JSON has no such numbers);
 * - TIMESTAMP (all precisions, and TIMESTAMPTZ): 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC, EdgeLake's shape (@fedlake/sql);
 * - DATE: 'YYYY-MM-DD'; TIME: 'HH:MM:SS[.ffffff]'; UUID/BLOB/BIT/ENUM...: text;
 * - INTERVAL: {"months":m,"days":d,"micros":us}; LIST/ARRAY: arrays; STRUCT: objects; MAP: [{"key","value"}].
 */
import type { ColumnType, JsonValue } from '@fedlake/core'
import { formatDateDays, formatTimestampMicros } from '@fedlake/sql'
import { DuckDBTypeId } from '@duckdb/node-api'
import type {
  DuckDBDateValue, DuckDBDecimalValue, DuckDBIntervalValue, DuckDBListValue, DuckDBMapValue, DuckDBStructValue,
  DuckDBTimestampMillisecondsValue, DuckDBTimestampNanosecondsValue, DuckDBTimestampSecondsValue, DuckDBType,
  DuckDBUnionValue, DuckDBValue
} from '@duckdb/node-api'

export type ValueConverter = (value: DuckDBValue) => JsonValue

export function bigintToJson (value: bigint): number | string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value.toString()
}

export function decimalToJson (value: DuckDBDecimalValue): number | string {
  const exact = value.toString()
  const n = Number(exact)
  return Number.isFinite(n) && String(n) === normaliseDecimal(exact) ? n : exact
}

/** '-001.2500' → '-1.25', '3.000' → '3': the way String(number) prints the same value. */
function normaliseDecimal (text: string): string {
  let s = text
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '')
  const negative = s.startsWith('-')
  if (negative) s = s.slice(1)
  s = s.replace(/^0+(?=\d)/, '')
  if (s === '0') return '0'
  return negative ? `-${s}` : s
}

function doubleToJson (value: DuckDBValue): JsonValue {
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

/** Builds the converter for one result column once; it is then applied to every value of that column. */
export function converterFor (type: DuckDBType): ValueConverter {
  const convert = rawConverterFor(type)
  return value => value === null ? null : convert(value)
}

function rawConverterFor (type: DuckDBType): ValueConverter {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return v => v as boolean
    case DuckDBTypeId.TINYINT: case DuckDBTypeId.SMALLINT: case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT: case DuckDBTypeId.USMALLINT: case DuckDBTypeId.UINTEGER:
      return v => v as number
    case DuckDBTypeId.BIGINT: case DuckDBTypeId.UBIGINT: case DuckDBTypeId.HUGEINT: case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return v => typeof v === 'bigint' ? bigintToJson(v) : v as number
    case DuckDBTypeId.FLOAT: case DuckDBTypeId.DOUBLE:
      return doubleToJson
    case DuckDBTypeId.DECIMAL:
      return v => decimalToJson(v as DuckDBDecimalValue)
    case DuckDBTypeId.TIMESTAMP: case DuckDBTypeId.TIMESTAMP_TZ:
      return v => formatTimestampMicros((v as { micros: bigint }).micros)
    case DuckDBTypeId.TIMESTAMP_S:
      return v => formatTimestampMicros((v as DuckDBTimestampSecondsValue).seconds * 1_000_000n)
    case DuckDBTypeId.TIMESTAMP_MS:
      return v => formatTimestampMicros((v as DuckDBTimestampMillisecondsValue).millis * 1000n)
    case DuckDBTypeId.TIMESTAMP_NS:
      return v => formatTimestampMicros(floorDiv((v as DuckDBTimestampNanosecondsValue).nanos, 1000n))
    case DuckDBTypeId.DATE:
      return v => formatDateDays((v as DuckDBDateValue).days)
    case DuckDBTypeId.INTERVAL:
      return v => {
        const i = v as DuckDBIntervalValue
        return { months: i.months, days: i.days, micros: bigintToJson(i.micros) }
      }
    case DuckDBTypeId.LIST: case DuckDBTypeId.ARRAY: {
      const item = converterFor((type as unknown as { valueType: DuckDBType }).valueType)
      return v => (v as DuckDBListValue).items.map(item)
    }
    case DuckDBTypeId.STRUCT: {
      const t = type as unknown as { entryNames: readonly string[], entryTypes: readonly DuckDBType[] }
      const fields = t.entryNames.map((name, i) => [name, converterFor(t.entryTypes[i] as DuckDBType)] as const)
      return v => {
        const entries = (v as DuckDBStructValue).entries
        const out: Record<string, JsonValue> = {}
        for (const [name, convert] of fields) out[name] = convert(entries[name] ?? null)
        return out
      }
    }
    case DuckDBTypeId.MAP: {
      const t = type as unknown as { keyType: DuckDBType, valueType: DuckDBType }
      const key = converterFor(t.keyType)
      const value = converterFor(t.valueType)
      return v => (v as DuckDBMapValue).entries.map(e => ({ key: key(e.key), value: value(e.value) }))
    }
    case DuckDBTypeId.UNION:
      return v => {
        const u = v as DuckDBUnionValue
        return { [u.tag]: genericToJson(u.value) }
      }
    case DuckDBTypeId.VARCHAR:
      return v => v as string
    default:
      return genericToJson
  }
}

/** For values whose column type gave no converter (UNION members, exotic types). */
function genericToJson (value: DuckDBValue): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'bigint') return bigintToJson(value)
  return String(value)
}

function floorDiv (a: bigint, b: bigint): bigint {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}

/** DuckDB result column type → core ColumnType (VARCHAR when there is no close match). */
export function columnTypeOf (type: DuckDBType): ColumnType {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN: return 'BOOLEAN'
    case DuckDBTypeId.TINYINT: case DuckDBTypeId.SMALLINT: case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT: case DuckDBTypeId.USMALLINT:
      return 'INTEGER'
    case DuckDBTypeId.BIGINT: case DuckDBTypeId.UINTEGER: case DuckDBTypeId.UBIGINT: case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT: case DuckDBTypeId.BIGNUM:
      return 'BIGINT'
    case DuckDBTypeId.FLOAT: case DuckDBTypeId.DOUBLE: case DuckDBTypeId.DECIMAL:
      return 'DOUBLE'
    case DuckDBTypeId.TIMESTAMP: case DuckDBTypeId.TIMESTAMP_TZ: case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS: case DuckDBTypeId.TIMESTAMP_NS:
      return 'TIMESTAMP'
    default:
      return 'VARCHAR'
  }
}

/** DuckDB's catalog type name (duckdb_columns().data_type) → core ColumnType. */
export function columnTypeOfName (dataType: string): ColumnType {
  const t = dataType.toUpperCase()
  if (t === 'TIMESTAMP' || t.startsWith('TIMESTAMP')) return 'TIMESTAMP'
  if (t === 'HUGEINT') return 'HUGEINT'
  if (t === 'BIGINT' || t === 'UBIGINT' || t === 'UINTEGER') return 'BIGINT'
  if (t === 'INTEGER' || t === 'SMALLINT' || t === 'TINYINT' || t === 'USMALLINT' || t === 'UTINYINT') return 'INTEGER'
  if (t === 'DOUBLE' || t === 'FLOAT' || t.startsWith('DECIMAL')) return 'DOUBLE'
  if (t === 'BOOLEAN') return 'BOOLEAN'
  return 'VARCHAR'
}
