/**
 * ResultBatches as bytes, for the node-to-node sub-query protocol: a batch is one frame, column by column.
 * Numbers and timestamps are their typed arrays' bytes; strings are dictionary-encoded per column (telemetry
 * repeats a few hundred values per column), each distinct string once in UTF-8, then one index per row.
 *
 * Layout (little-endian):
 *   u32 rowCount, u16 vectorCount, then per vector:
 *     u8 kind (0 bool, 1 f64, 2 i64, 3 text, 4 json), u8 hasValidity, [rowCount validity bytes]
 *     bool: rowCount bytes | f64, i64: rowCount × 8 bytes
 *     text, json: u32 distinct, then per distinct string u32 byteLength + UTF-8 bytes, then rowCount × u32 index
 *                 (0xFFFFFFFF for NULL)
 */
import { FedlakeError } from '@fedlake/core'
import { SQL_ERRORS } from './errors.js'
import type { ResultBatch, ResultVector, ResultVectorKind } from './result-batch.js'

const KINDS: readonly ResultVectorKind[] = ['bool', 'f64', 'i64', 'text', 'json']
const NULL_INDEX = 0xFFFFFFFF
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

class ByteWriter {
  private buffer = new Uint8Array(64 * 1024)
  private view = new DataView(this.buffer.buffer)
  length = 0

  private ensure (extra: number): void {
    if (this.length + extra <= this.buffer.length) return
    let size = this.buffer.length * 2
    while (size < this.length + extra) size *= 2
    const grown = new Uint8Array(size)
    grown.set(this.buffer.subarray(0, this.length))
    this.buffer = grown
    this.view = new DataView(grown.buffer)
  }

  u8 (v: number): void { this.ensure(1); this.view.setUint8(this.length, v); this.length += 1 }
  u16 (v: number): void { this.ensure(2); this.view.setUint16(this.length, v, true); this.length += 2 }
  u32 (v: number): void { this.ensure(4); this.view.setUint32(this.length, v, true); this.length += 4 }
  bytes (v: Uint8Array): void { this.ensure(v.length); this.buffer.set(v, this.length); this.length += v.length }
  /** A string's UTF-8 bytes after a u32 byte length. */
  string (s: string): void {
    this.ensure(4 + s.length * 3)
    const { written } = encoder.encodeInto(s, this.buffer.subarray(this.length + 4))
    this.view.setUint32(this.length, written, true)
    this.length += 4 + written
  }

  result (): Uint8Array { return this.buffer.slice(0, this.length) }
}

export function encodeBatch (batch: ResultBatch): Uint8Array {
  const w = new ByteWriter()
  w.u32(batch.rowCount)
  w.u16(batch.vectors.length)
  for (const vector of batch.vectors) {
    w.u8(KINDS.indexOf(vector.kind))
    w.u8(vector.valid === null ? 0 : 1)
    if (vector.valid !== null) w.bytes(vector.valid.subarray(0, batch.rowCount))
    switch (vector.kind) {
      case 'bool': w.bytes(vector.values.subarray(0, batch.rowCount)); break
      case 'f64': case 'i64': w.bytes(new Uint8Array(vector.values.buffer, vector.values.byteOffset, batch.rowCount * 8)); break
      case 'text': case 'json': writeStrings(w, vector.values, batch.rowCount)
    }
  }
  return w.result()
}

function writeStrings (w: ByteWriter, values: readonly (string | null)[], rowCount: number): void {
  const ids = new Map<string, number>()
  const distinct: string[] = []
  const indexes = new Uint32Array(rowCount)
  for (let r = 0; r < rowCount; r++) {
    const value = values[r]
    if (value === null || value === undefined) { indexes[r] = NULL_INDEX; continue }
    let id = ids.get(value)
    if (id === undefined) { id = distinct.length; ids.set(value, id); distinct.push(value) }
    indexes[r] = id
  }
  w.u32(distinct.length)
  for (const s of distinct) w.string(s)
  w.bytes(new Uint8Array(indexes.buffer))
}

export function decodeBatch (bytes: Uint8Array): ResultBatch {
  const r = new ByteReader(bytes)
  const rowCount = r.u32()
  const vectorCount = r.u16()
  const vectors: ResultVector[] = []
  for (let v = 0; v < vectorCount; v++) {
    const kind = KINDS[r.u8()]
    if (kind === undefined) throw malformed('unknown vector kind')
    const valid = r.u8() === 1 ? r.copy(rowCount) : null
    switch (kind) {
      case 'bool': vectors.push({ kind, values: r.copy(rowCount), valid }); break
      case 'f64': vectors.push({ kind, values: new Float64Array(r.copy(rowCount * 8).buffer), valid }); break
      case 'i64': vectors.push({ kind, values: new BigInt64Array(r.copy(rowCount * 8).buffer), valid }); break
      case 'text': case 'json': vectors.push({ kind, values: readStrings(r, rowCount), valid } as ResultVector)
    }
  }
  if (!r.atEnd()) throw malformed('trailing bytes')
  return { rowCount, vectors }
}

function readStrings (r: ByteReader, rowCount: number): (string | null)[] {
  const distinct = new Array<string>(r.u32())
  for (let i = 0; i < distinct.length; i++) distinct[i] = decoder.decode(r.view(r.u32()))
  const indexes = new Uint32Array(r.copy(rowCount * 4).buffer)
  const values = new Array<string | null>(rowCount)
  for (let i = 0; i < rowCount; i++) {
    const id = indexes[i] as number
    if (id === NULL_INDEX) { values[i] = null; continue }
    const value = distinct[id]
    if (value === undefined) throw malformed('string index out of range')
    values[i] = value
  }
  return values
}

class ByteReader {
  private at = 0
  private readonly dv: DataView
  constructor (private readonly bytes: Uint8Array) { this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength) }
  private need (n: number): void { if (n < 0 || this.at + n > this.bytes.length) throw malformed('truncated') }
  u8 (): number { this.need(1); return this.dv.getUint8(this.at++) }
  u16 (): number { this.need(2); const v = this.dv.getUint16(this.at, true); this.at += 2; return v }
  u32 (): number { this.need(4); const v = this.dv.getUint32(this.at, true); this.at += 4; return v }
  /** n bytes in a buffer of their own (aligned for typed arrays). */
  copy (n: number): Uint8Array { this.need(n); const out = this.bytes.slice(this.at, this.at + n); this.at += n; return out }
  view (n: number): Uint8Array { this.need(n); const out = this.bytes.subarray(this.at, this.at + n); this.at += n; return out }
  atEnd (): boolean { return this.at === this.bytes.length }
}

function malformed (why: string): FedlakeError {
  return new FedlakeError(SQL_ERRORS.SQL_EXECUTION, `malformed result batch: ${why}`)
}
