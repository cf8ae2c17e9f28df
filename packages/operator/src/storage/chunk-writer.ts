/**
 * Fills DuckDB DataChunks (at most 2048 rows each, pitfall 3) column by column from a ColumnBatch.
 *
 * Fast paths write a whole vector with one native memory copy (duckdb-vectors.ts):
 * - VARCHAR: the 16-byte duckdb_string_t entries are built in JS. A string of at most 12 UTF-8 bytes is
 *   inlined in its entry, encoded once per batch; a longer one is stored once per chunk by DuckDB and its
 *   entry (length, prefix, pointer into the vector's string heap) copied to the other rows holding it.
 * - numbers: Float64 copied as is (DOUBLE), or converted into an Int32/Int64 buffer after the same checks
 *   as before (INTEGER range, safe integers for BIGINT and TIMESTAMP).
 * Anything else (bigints, booleans, values of an unexpected type) goes through node-api's vectors, one
 * typed setter per value, with the same checks and errors.
 */
import type { ColumnType } from '@fedlake/core'
import { FedlakeError } from '@fedlake/core'
import { BIGINT, BOOLEAN, DOUBLE, DuckDBDataChunk, HUGEINT, INTEGER, TIMESTAMP, VARCHAR, timestampValue } from '@duckdb/node-api'
import type { DuckDBType, DuckDBValue } from '@duckdb/node-api'
import { STORAGE_ERRORS } from '../errors-storage.js'
import { columnValue } from './column-batch.js'
import type { BatchColumn, ColumnBatch, NumberColumn, StringColumn } from './column-batch.js'
import { assignString, rawVector, readVectorData, writeVectorData, writeVectorValidity } from '@fedlake/duckdb'
import type { RawVector } from '@fedlake/duckdb'
import type { StorageValue } from './types.js'

export const CHUNK_ROWS = 2048

const DUCK_TYPES: Record<ColumnType, DuckDBType> = { TIMESTAMP, BIGINT, HUGEINT, INTEGER, DOUBLE, BOOLEAN, VARCHAR }

/** How one table column is filled: from column `from` of the batch, or NULL when -1. */
export interface ColumnSource {
  readonly name: string
  readonly type: ColumnType
  readonly from: number
}

type ToDuck = (value: Exclude<StorageValue, null>) => DuckDBValue | undefined

const INT32_MIN = -2147483648
const INT32_MAX = 2147483647
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const INT128_MIN = -(2n ** 127n)
const INT128_MAX = 2n ** 127n - 1n
const TWO_POW_32 = 4294967296

/** Returns undefined for a value that does not fit the type. */
const TO_DUCK: Record<ColumnType, ToDuck> = {
  TIMESTAMP: v => {
    if (typeof v === 'number') return Number.isSafeInteger(v) ? timestampValue(BigInt(v)) : undefined
    if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? timestampValue(v) : undefined
    return undefined
  },
  BIGINT: v => {
    if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : undefined
    if (typeof v === 'bigint') return v >= INT64_MIN && v <= INT64_MAX ? v : undefined
    return undefined
  },
  HUGEINT: v => {
    if (typeof v === 'number') return Number.isSafeInteger(v) ? BigInt(v) : undefined
    if (typeof v === 'bigint') return v >= INT128_MIN && v <= INT128_MAX ? v : undefined
    return undefined
  },
  INTEGER: v => {
    if (typeof v === 'number') return Number.isInteger(v) && v >= INT32_MIN && v <= INT32_MAX ? v : undefined
    if (typeof v === 'bigint') return v >= BigInt(INT32_MIN) && v <= BigInt(INT32_MAX) ? Number(v) : undefined
    return undefined
  },
  DOUBLE: v => {
    if (typeof v === 'number') return v
    if (typeof v === 'bigint') return Number(v)
    return undefined
  },
  BOOLEAN: v => typeof v === 'boolean' ? v : undefined,
  VARCHAR: v => typeof v === 'string' ? v : String(v)
}

export function duckTypesOf (columns: readonly ColumnSource[]): DuckDBType[] {
  return columns.map(c => DUCK_TYPES[c.type])
}

// Scratch buffers, reused for every vector (the writer is synchronous).
const entryWords = new Uint32Array(CHUNK_ROWS * 4)
const entryBytes = new Uint8Array(entryWords.buffer)
const int32s = new Int32Array(CHUNK_ROWS * 2)
const validityWords = new Uint32Array(CHUNK_ROWS / 32)
const noneValid = new Uint32Array(CHUNK_ROWS / 32)

/** Per batch column: each dictionary string's entry when inlined, or marked long. */
interface StringEntries {
  /** 0 = not yet encoded, 1 = inlined (entry in `inline`), 2 = longer than 12 bytes */
  readonly state: Uint8Array
  readonly inline: Uint32Array
  /** Per chunk: the row whose entry DuckDB wrote for a long string, -1 = not yet in this chunk. */
  readonly heapRow: Int32Array
}

const entriesOf = new WeakMap<StringColumn, StringEntries>()
const utf8 = new TextEncoder()
const inlineBytes = new Uint8Array(16)
const inlineView = new DataView(inlineBytes.buffer)
const inlineWords = new Uint32Array(inlineBytes.buffer)

function stringEntries (column: StringColumn): StringEntries {
  let entries = entriesOf.get(column)
  if (entries === undefined) {
    const n = column.dict.length
    entries = { state: new Uint8Array(n), inline: new Uint32Array(n * 4), heapRow: new Int32Array(n) }
    entriesOf.set(column, entries)
  }
  return entries
}

/** duckdb_string_t of a short string: uint32 length, then up to 12 bytes, zero-padded (DuckDB compares them). */
function encodeInline (value: string, entries: StringEntries, id: number): void {
  if (value.length <= 12) {
    inlineBytes.fill(0)
    const { read, written } = utf8.encodeInto(value, inlineBytes.subarray(4))
    if (read === value.length) {
      inlineView.setUint32(0, written, true)
      entries.inline.set(inlineWords, id * 4)
      entries.state[id] = 1
      return
    }
  }
  entries.state[id] = 2
}

function writeStrings (vector: RawVector, column: StringColumn, start: number, count: number): boolean {
  const entries = stringEntries(column)
  const { state, inline, heapRow } = entries
  const { dict, ids } = column
  heapRow.fill(-1)
  let nulls = false
  let long = false
  for (let r = 0; r < count; r++) {
    const id = ids[start + r] as number
    const at = r * 4
    if (id < 0) {
      nulls = true
      entryWords[at] = 0; entryWords[at + 1] = 0; entryWords[at + 2] = 0; entryWords[at + 3] = 0
      continue
    }
    let s = state[id]
    if (s === 0) {
      const value = dict[id]
      if (value === undefined) throw new FedlakeError(STORAGE_ERRORS.STORAGE_INVALID_VALUE, `row ${start + r}: string id ${id} is not in the batch's dictionary`, { row: start + r })
      encodeInline(value, entries, id)
      s = state[id]
    }
    if (s === 1) {
      const from = id * 4
      entryWords[at] = inline[from] as number
      entryWords[at + 1] = inline[from + 1] as number
      entryWords[at + 2] = inline[from + 2] as number
      entryWords[at + 3] = inline[from + 3] as number
    } else {
      long = true
      if (heapRow[id] === -1) {
        heapRow[id] = r
        assignString(vector, r, dict[id] as string)
      }
    }
  }
  if (long) {
    // copy the entries DuckDB wrote (they point into this vector's string heap) to every row of the same string
    const bytes = readVectorData(vector, count * 16)
    const written = bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, count * 4) : new Uint32Array(bytes.slice().buffer)
    for (let r = 0; r < count; r++) {
      const id = ids[start + r] as number
      if (id < 0 || state[id] !== 2) continue
      const from = (heapRow[id] as number) * 4
      const at = r * 4
      entryWords[at] = written[from] as number
      entryWords[at + 1] = written[from + 1] as number
      entryWords[at + 2] = written[from + 2] as number
      entryWords[at + 3] = written[from + 3] as number
    }
  }
  writeVectorData(vector, entryBytes.subarray(0, count * 16))
  return nulls
}

/** Writes a numbers column into a TIMESTAMP/BIGINT/INTEGER/DOUBLE vector; false when the type needs the slow path. */
function writeNumbers (vector: RawVector, column: NumberColumn, source: ColumnSource, start: number, count: number): boolean {
  const { values, nulls } = column
  switch (source.type) {
    case 'DOUBLE':
      writeVectorData(vector, values.subarray(start, start + count))
      return true
    case 'INTEGER':
      for (let r = 0; r < count; r++) {
        if (nulls?.[start + r] === 1) { int32s[r] = 0; continue }
        const v = values[start + r] as number
        if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw invalidValue(start + r, source, v)
        int32s[r] = v
      }
      writeVectorData(vector, int32s.subarray(0, count))
      return true
    case 'BIGINT': case 'TIMESTAMP':
      for (let r = 0; r < count; r++) {
        const at = r * 2
        if (nulls?.[start + r] === 1) { int32s[at] = 0; int32s[at + 1] = 0; continue }
        const v = values[start + r] as number
        if (!Number.isSafeInteger(v)) throw invalidValue(start + r, source, v)
        // int64 little-endian as two 32-bit halves: no BigInt per value
        const hi = Math.floor(v / TWO_POW_32)
        int32s[at] = (v - hi * TWO_POW_32) | 0
        int32s[at + 1] = hi
      }
      writeVectorData(vector, int32s.subarray(0, count * 2))
      return true
    default:
      return false
  }
}

function writeValidity (vector: RawVector, column: BatchColumn, start: number, count: number): void {
  const words = validityWords.subarray(0, Math.ceil(count / 64) * 2)
  words.fill(0xffffffff)
  for (let r = 0; r < count; r++) {
    if (columnValue(column, start + r) === null) words[r >>> 5] = (words[r >>> 5] as number) & ~(1 << (r & 31))
  }
  writeVectorValidity(vector, words)
}

/** Per value through node-api's typed vectors (bigints, booleans, mixed types). */
function writeValues (chunk: DuckDBDataChunk, c: number, column: BatchColumn, source: ColumnSource, start: number, count: number): void {
  const vector = chunk.getColumnVector(c)
  const toDuck = TO_DUCK[source.type]
  // NULLs are set last: once a vector has a validity mask, every set pays for BigInt mask arithmetic.
  let nulls: number[] | undefined
  for (let r = 0; r < count; r++) {
    const raw = columnValue(column, start + r)
    if (raw === null) { (nulls ??= []).push(r); continue }
    const value = toDuck(raw)
    if (value === undefined) throw invalidValue(start + r, source, raw)
    vector.setItem(r, value)
  }
  if (nulls !== undefined) for (const r of nulls) vector.setItem(r, null)
  vector.flush()
}

/**
 * Builds the chunk for rows [start, start+count) of `batch` (count <= CHUNK_ROWS). Errors name the offending row
 * by its index in the batch.
 */
export function buildChunk (
  columns: readonly ColumnSource[],
  types: readonly DuckDBType[],
  batch: ColumnBatch,
  start: number,
  count: number
): DuckDBDataChunk {
  const chunk = DuckDBDataChunk.create(types, count)
  for (let c = 0; c < columns.length; c++) {
    const source = columns[c] as ColumnSource
    const column = source.from < 0 ? undefined : batch.columns[source.from]
    if (column === undefined) {
      const vector = rawVector(chunk, c)
      writeVectorValidity(vector, noneValid.subarray(0, Math.ceil(count / 64) * 2))
      continue
    }
    if (column.kind === 'strings' && source.type === 'VARCHAR') {
      const vector = rawVector(chunk, c)
      if (writeStrings(vector, column, start, count)) writeValidity(vector, column, start, count)
      continue
    }
    if (column.kind === 'numbers') {
      const vector = rawVector(chunk, c)
      if (writeNumbers(vector, column, source, start, count)) {
        if (column.nulls !== null) writeValidity(vector, column, start, count)
        continue
      }
    }
    writeValues(chunk, c, column, source, start, count)
  }
  return chunk
}

function invalidValue (row: number, column: ColumnSource, value: StorageValue): FedlakeError {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : String(value)
  return new FedlakeError(STORAGE_ERRORS.STORAGE_INVALID_VALUE,
    `row ${row}: value ${shown} (${typeof value}) does not fit column ${column.name} ${column.type}`,
    { row, column: column.name, type: column.type })
}
