/**
 * ResultBatches back into DuckDB: the query node's merge engine appends operators' partial results into
 * staging tables. A staging column has the field's own type when its vector kind carries it natively
 * (BOOLEAN, integers, DOUBLE, FLOAT, DATE, BIGINT, TIMESTAMP), else VARCHAR holding DuckDB's text (or JSON)
 * for the value, which a view casts back (`stagingView`). Fixed-width vectors are written with one memory
 * copy each; strings one value at a time.
 */
import { DuckDBDataChunk, DuckDBTypeId } from '@duckdb/node-api'
import type { DuckDBAppender, DuckDBType } from '@duckdb/node-api'
import { vectorKindOf } from '@fedlake/sql'
import type { ResultBatch, ResultField, ResultVector } from '@fedlake/sql'
import { assignString, rawVector, writeVectorData, writeVectorValidity } from './vectors.js'

export const CHUNK_ROWS = 2048

type TypedArrayOf = (values: Float64Array, start: number, count: number) => ArrayBufferView

const NUMERIC: Readonly<Record<string, TypedArrayOf>> = {
  TINYINT: (v, s, n) => Int8Array.from(v.subarray(s, s + n)),
  SMALLINT: (v, s, n) => Int16Array.from(v.subarray(s, s + n)),
  INTEGER: (v, s, n) => Int32Array.from(v.subarray(s, s + n)),
  UTINYINT: (v, s, n) => Uint8Array.from(v.subarray(s, s + n)),
  USMALLINT: (v, s, n) => Uint16Array.from(v.subarray(s, s + n)),
  UINTEGER: (v, s, n) => Uint32Array.from(v.subarray(s, s + n)),
  DATE: (v, s, n) => Int32Array.from(v.subarray(s, s + n)),
  FLOAT: (v, s, n) => Float32Array.from(v.subarray(s, s + n)),
  DOUBLE: (v, s, n) => v.slice(s, s + n)
}

/** The SQL type a field is staged as. */
export function stagingType (field: ResultField): string {
  const kind = vectorKindOf(field.type)
  if (kind === 'text' || kind === 'json') return 'VARCHAR'
  return field.type
}

/** The select list that reads staged columns `c0, c1, ...` back as the fields' names and types. */
export function stagingView (fields: readonly ResultField[]): string {
  return fields.map((field, i) => {
    const kind = vectorKindOf(field.type)
    const column = `c${i}`
    const value = kind === 'json'
      ? `CAST(CAST(${column} AS JSON) AS ${field.type})`
      : kind === 'text' && field.type.toUpperCase() !== 'VARCHAR' ? `CAST(${column} AS ${field.type})` : column
    return `${value} AS ${quoteIdent(field.name)}`
  }).join(', ')
}

export function quoteIdent (name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/** Appends a batch (any row count) through the appender of a staging table with `types`. */
export function appendBatch (appender: DuckDBAppender, types: readonly DuckDBType[], batch: ResultBatch): void {
  for (let start = 0; start < batch.rowCount; start += CHUNK_ROWS) {
    const count = Math.min(CHUNK_ROWS, batch.rowCount - start)
    const chunk = DuckDBDataChunk.create(types as DuckDBType[], count)
    batch.vectors.forEach((vector, c) => { writeColumn(chunk, c, types[c] as DuckDBType, vector, start, count) })
    appender.appendDataChunk(chunk)
  }
}

const validityWords = new Uint32Array(CHUNK_ROWS / 32)

function writeColumn (chunk: DuckDBDataChunk, c: number, type: DuckDBType, vector: ResultVector, start: number, count: number): void {
  const raw = rawVector(chunk, c)
  if (vector.valid !== null) {
    const words = validityWords.subarray(0, Math.ceil(count / 64) * 2)
    words.fill(0xffffffff)
    for (let r = 0; r < count; r++) if (vector.valid[start + r] === 0) words[r >>> 5] = (words[r >>> 5] as number) & ~(1 << (r & 31))
    writeVectorValidity(raw, words)
  }
  switch (vector.kind) {
    case 'bool':
      writeVectorData(raw, vector.values.slice(start, start + count))
      return
    case 'f64': {
      const toTyped = NUMERIC[type.toString().toUpperCase()] ?? NUMERIC.DOUBLE as TypedArrayOf
      writeVectorData(raw, toTyped(vector.values, start, count))
      return
    }
    case 'i64':
      writeVectorData(raw, vector.values.slice(start, start + count))
      return
    case 'text': case 'json':
      if (type.typeId !== DuckDBTypeId.VARCHAR) throw new Error(`a ${vector.kind} vector is staged as VARCHAR, not ${type.toString()}`)
      for (let r = 0; r < count; r++) {
        const value = vector.values[start + r]
        if (value !== null && value !== undefined) assignString(raw, r, value)
      }
  }
}
