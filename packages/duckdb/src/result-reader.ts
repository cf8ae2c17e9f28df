/**
 * DuckDB result chunks as ResultBatches (@fedlake/sql's contract): fixed-width columns are copied as typed
 * arrays, strings and the text of other scalars as string arrays, nested values as JSON text.
 *
 * Scalars that JavaScript cannot hold natively (HUGEINT, DECIMAL, INTERVAL, UUID, BLOB, TIME, ...) travel as
 * node-api's toString() of the value, which is DuckDB's own CAST(x AS VARCHAR) text (checked by a test), so
 * a query node can cast them back exactly.
 */
import { DuckDBTypeId } from '@duckdb/node-api'
import type { DuckDBDataChunk, DuckDBType, DuckDBValue, DuckDBVector } from '@duckdb/node-api'
import type { ResultBatch, ResultField, ResultVector } from '@fedlake/sql'
import { vectorKindOf } from '@fedlake/sql'
import { readStrings } from './string-vector.js'
import { converterFor } from './values.js'
import type { ValueConverter } from './values.js'

type VectorReader = (vector: DuckDBVector, rowCount: number) => ResultVector

export interface ResultReader {
  readonly fields: readonly ResultField[]
  read(chunk: DuckDBDataChunk): ResultBatch
}

/** A reader for chunks of a result with these column names and types. */
export function createResultReader (names: readonly string[], types: readonly DuckDBType[]): ResultReader {
  const fields = names.map((name, i) => ({ name, type: (types[i] as DuckDBType).toString() }))
  const readers = types.map(vectorReaderFor)
  return {
    fields,
    read (chunk) {
      const rowCount = chunk.rowCount
      const vectors = readers.map((read, c) => read(chunk.getColumnVector(c), rowCount))
      return { rowCount, vectors }
    }
  }
}

/** Typed-array buffers of a batch, for postMessage's transfer list (the strings are cloned). */
export function transferablesOf (batch: ResultBatch): ArrayBuffer[] {
  const buffers: ArrayBuffer[] = []
  for (const vector of batch.vectors) {
    if (vector.kind !== 'text' && vector.kind !== 'json') buffers.push(vector.values.buffer as ArrayBuffer)
    if (vector.valid !== null) buffers.push(vector.valid.buffer as ArrayBuffer)
  }
  return buffers
}

function vectorReaderFor (type: DuckDBType): VectorReader {
  const kind = vectorKindOf(type.toString())
  switch (kind) {
    case 'bool':
      return (vector, rowCount) => {
        const values = new Uint8Array(rowCount)
        const valid = validityOf(vector, rowCount)
        for (let r = 0; r < rowCount; r++) if (valid === null || valid[r] === 1) values[r] = vector.getItem(r) === true ? 1 : 0
        return { kind, values, valid }
      }
    case 'f64':
      return f64Reader(type)
    case 'i64':
      return (vector, rowCount) => {
        const items = (vector as unknown as { items: BigInt64Array }).items
        return { kind, values: BigInt64Array.from(items.subarray(0, rowCount)), valid: validityOf(vector, rowCount) }
      }
    case 'json':
      return stringReader(kind, jsonText(converterFor(type)))
    case 'text':
      if (type.typeId === DuckDBTypeId.VARCHAR) {
        return (vector, rowCount) => {
          const valid = validityOf(vector, rowCount)
          return { kind, values: readStrings((vector as unknown as { dataView: DataView }).dataView, rowCount, valid), valid }
        }
      }
      return stringReader(kind, v => String(v))
  }
}

function f64Reader (type: DuckDBType): VectorReader {
  if (type.typeId === DuckDBTypeId.DATE) {
    return (vector, rowCount) => {
      const values = new Float64Array(rowCount)
      const valid = validityOf(vector, rowCount)
      const items = (vector as unknown as { items: Int32Array }).items
      for (let r = 0; r < rowCount; r++) values[r] = items[r] as number
      return { kind: 'f64', values, valid }
    }
  }
  return (vector, rowCount) => {
    const items = (vector as unknown as { items: ArrayLike<number> }).items
    const values = Float64Array.from({ length: rowCount }, (_, r) => items[r] as number)
    return { kind: 'f64', values, valid: validityOf(vector, rowCount) }
  }
}

function stringReader (kind: 'text' | 'json', toText: (value: Exclude<DuckDBValue, null>) => string): VectorReader {
  return (vector, rowCount) => {
    const values = new Array<string | null>(rowCount)
    let valid: Uint8Array | null = null
    for (let r = 0; r < rowCount; r++) {
      const value = vector.getItem(r)
      if (value === null) {
        valid ??= new Uint8Array(rowCount).fill(1)
        valid[r] = 0
        values[r] = null
      } else {
        values[r] = toText(value)
      }
    }
    return { kind, values, valid }
  }
}

function jsonText (convert: ValueConverter): (value: Exclude<DuckDBValue, null>) => string {
  return value => JSON.stringify(convert(value))
}

/** null when every row is valid, else 1 = valid, 0 = NULL per row (from DuckDB's 64-bit validity words). */
function validityOf (vector: DuckDBVector, rowCount: number): Uint8Array | null {
  const words = (vector as unknown as { validity: { data: BigUint64Array | null } }).validity.data
  if (words === null) return null
  const halves = new Uint32Array(words.buffer, words.byteOffset, words.length * 2)
  let valid: Uint8Array | null = null
  for (let r = 0; r < rowCount; r++) {
    const bit = ((halves[r >>> 5] as number) >>> (r & 31)) & 1
    if (bit === 0) {
      valid ??= new Uint8Array(rowCount).fill(1)
      valid[r] = 0
    }
  }
  return valid
}
