/**
 * A SELECT's result as it leaves DuckDB: its fields, then batches of column vectors. This is what the
 * operator's storage thread hands its main thread, what an operator streams to a query node, what the query
 * node's merge engine appends and what the reply writers encode. Plain data (typed arrays and string arrays),
 * so a batch crosses a worker boundary as a structured clone and the wire as the binary codec's frames.
 *
 * How a vector's values are read depends on its field's DuckDB type:
 *
 * | kind   | values                                   | DuckDB types                                                   |
 * |--------|------------------------------------------|----------------------------------------------------------------|
 * | `bool` | Uint8Array, 0 or 1                       | BOOLEAN                                                        |
 * | `f64`  | Float64Array                             | DOUBLE, FLOAT, TINYINT..INTEGER, UTINYINT..UINTEGER, DATE (days since 1970-01-01) |
 * | `i64`  | BigInt64Array                            | BIGINT; TIMESTAMP and TIMESTAMP WITH TIME ZONE (µs since 1970-01-01 UTC) |
 * | `text` | strings                                  | VARCHAR; any other scalar as DuckDB's own text for it (CAST AS VARCHAR): HUGEINT, UBIGINT, DECIMAL, UUID, INTERVAL, TIME, BLOB, ENUM... |
 * | `json` | strings holding JSON                     | LIST, ARRAY, STRUCT, MAP, UNION                                |
 *
 * NULLs: `valid` is null when the vector has none; otherwise `valid[r] === 0` marks row r NULL (and its
 * slot in `values` holds a placeholder: 0, or null for strings).
 */

/** A result column: its name and DuckDB's type for it as SQL text (BIGINT, DECIMAL(18,3), VARCHAR[], ...). */
export interface ResultField {
  readonly name: string
  readonly type: string
}

export interface BoolVector { readonly kind: 'bool', readonly values: Uint8Array, readonly valid: Uint8Array | null }
export interface F64Vector { readonly kind: 'f64', readonly values: Float64Array, readonly valid: Uint8Array | null }
export interface I64Vector { readonly kind: 'i64', readonly values: BigInt64Array, readonly valid: Uint8Array | null }
export interface TextVector { readonly kind: 'text', readonly values: readonly (string | null)[], readonly valid: Uint8Array | null }
export interface JsonVector { readonly kind: 'json', readonly values: readonly (string | null)[], readonly valid: Uint8Array | null }

export type ResultVector = BoolVector | F64Vector | I64Vector | TextVector | JsonVector
export type ResultVectorKind = ResultVector['kind']

export interface ResultBatch {
  readonly rowCount: number
  /** One per field, in field order. */
  readonly vectors: readonly ResultVector[]
}

/** A result being read: its fields, then its batches in order. Errors arrive as FedlakeErrors from the iterator. */
export interface ResultStream extends AsyncIterable<ResultBatch> {
  readonly fields: readonly ResultField[]
  /** Stops the query wherever it runs (DuckDB interrupted, sub-queries cancelled) and releases it. Idempotent. */
  cancel(reason?: unknown): void
}

const INT_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'UTINYINT', 'USMALLINT', 'UINTEGER'])

/** The vector kind a field of this DuckDB type travels as. */
export function vectorKindOf (type: string): ResultVectorKind {
  const t = type.toUpperCase()
  if (t === 'BOOLEAN') return 'bool'
  if (t === 'DOUBLE' || t === 'FLOAT' || t === 'DATE' || INT_TYPES.has(t)) return 'f64'
  if (t === 'BIGINT' || t === 'TIMESTAMP' || t === 'TIMESTAMP WITH TIME ZONE') return 'i64'
  if (t.endsWith(']') || t.startsWith('STRUCT') || t.startsWith('MAP') || t.startsWith('UNION')) return 'json'
  return 'text'
}

export function isNull (vector: ResultVector, row: number): boolean {
  return vector.valid !== null && vector.valid[row] === 0
}

/** Rows [start, end) of a batch (the batch itself when that is every row). */
export function sliceBatch (batch: ResultBatch, start: number, end: number): ResultBatch {
  if (start === 0 && end === batch.rowCount) return batch
  const vectors = batch.vectors.map((v): ResultVector => {
    const valid = v.valid === null ? null : v.valid.slice(start, end)
    switch (v.kind) {
      case 'bool': return { kind: v.kind, values: v.values.slice(start, end), valid }
      case 'f64': return { kind: v.kind, values: v.values.slice(start, end), valid }
      case 'i64': return { kind: v.kind, values: v.values.slice(start, end), valid }
      case 'text': return { kind: v.kind, values: v.values.slice(start, end), valid }
      case 'json': return { kind: v.kind, values: v.values.slice(start, end), valid }
    }
  })
  return { rowCount: end - start, vectors }
}
