/**
 * A ResultBatch built from JavaScript values, for results made outside DuckDB (and tests). Values per kind:
 * bool: boolean; f64: number (DATE: days since 1970-01-01); i64: bigint or safe integer (TIMESTAMP: µs);
 * text: string; json: any JSON value (serialised). null is NULL.
 */
import type { ResultBatch, ResultField, ResultVector } from './result-batch.js'
import { vectorKindOf } from './result-batch.js'

export type BatchValue = boolean | number | bigint | string | null | readonly unknown[] | Readonly<Record<string, unknown>>

export function batchFromValues (fields: readonly ResultField[], rows: readonly (readonly BatchValue[])[]): ResultBatch {
  const rowCount = rows.length
  const vectors = fields.map((field, c): ResultVector => {
    const kind = vectorKindOf(field.type)
    let valid: Uint8Array | null = null
    const isNull = (r: number): boolean => {
      const v = rows[r]?.[c]
      if (v !== null && v !== undefined) return false
      valid ??= new Uint8Array(rowCount).fill(1)
      valid[r] = 0
      return true
    }
    switch (kind) {
      case 'bool': {
        const values = new Uint8Array(rowCount)
        for (let r = 0; r < rowCount; r++) if (!isNull(r)) values[r] = rows[r]?.[c] === true ? 1 : 0
        return { kind, values, valid }
      }
      case 'f64': {
        const values = new Float64Array(rowCount)
        for (let r = 0; r < rowCount; r++) if (!isNull(r)) values[r] = Number(rows[r]?.[c])
        return { kind, values, valid }
      }
      case 'i64': {
        const values = new BigInt64Array(rowCount)
        for (let r = 0; r < rowCount; r++) if (!isNull(r)) values[r] = BigInt(rows[r]?.[c] as bigint | number)
        return { kind, values, valid }
      }
      case 'text': case 'json': {
        const values = rows.map((row, r) => isNull(r) ? null : kind === 'json' ? JSON.stringify(row[c]) : String(row[c]))
        return { kind, values, valid } as ResultVector
      }
    }
  })
  return { rowCount, vectors }
}
