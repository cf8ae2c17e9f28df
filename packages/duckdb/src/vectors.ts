/**
 * Raw vector writes for the chunk writer, through the native bindings that @duckdb/node-api itself wraps
 * (resolved from node-api's own location, so it is always the exact version node-api was built with).
 * node-api's vector classes write a VARCHAR with one native call per value; here a whole vector is one
 * memory copy (duckdb_string_t entries built in JS) plus one native call per distinct long string.
 */
import { createRequire } from 'node:module'
import type { DuckDBDataChunk } from '@duckdb/node-api'

/** An opaque duckdb_vector handle. */
export type RawVector = object & { readonly __rawVector?: never }

interface RawBindings {
  data_chunk_get_vector(chunk: DuckDBDataChunk['chunk'], columnIndex: number): RawVector
  /** A copy of the first `byteCount` bytes of the vector's data. */
  vector_get_data(vector: RawVector, byteCount: number): Uint8Array
  vector_assign_string_element(vector: RawVector, index: number, value: string): void
  vector_ensure_validity_writable(vector: RawVector): void
  copy_data_to_vector(vector: RawVector, targetByteOffset: number, source: ArrayBuffer, sourceByteOffset: number, byteCount: number): void
  copy_data_to_vector_validity(vector: RawVector, targetByteOffset: number, source: ArrayBuffer, sourceByteOffset: number, byteCount: number): void
}

const requireHere = createRequire(import.meta.url)
const bindings = createRequire(requireHere.resolve('@duckdb/node-api'))('@duckdb/node-bindings') as RawBindings

export function rawVector (chunk: DuckDBDataChunk, column: number): RawVector {
  return bindings.data_chunk_get_vector(chunk.chunk, column)
}

/** Copies `bytes` to the start of the vector's data. */
export function writeVectorData (vector: RawVector, bytes: ArrayBufferView): void {
  bindings.copy_data_to_vector(vector, 0, bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength)
}

/** Copies a validity mask (bit r of 64-bit little-endian words: 1 = valid) over the vector's. */
export function writeVectorValidity (vector: RawVector, words: Uint32Array): void {
  bindings.vector_ensure_validity_writable(vector)
  bindings.copy_data_to_vector_validity(vector, 0, words.buffer as ArrayBuffer, words.byteOffset, words.byteLength)
}

/** Stores `value` at `index` (copying a long string into the vector's string heap). */
export function assignString (vector: RawVector, index: number, value: string): void {
  bindings.vector_assign_string_element(vector, index, value)
}

export function readVectorData (vector: RawVector, byteCount: number): Uint8Array {
  return bindings.vector_get_data(vector, byteCount)
}
