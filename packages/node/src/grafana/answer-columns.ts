/**
 * A network answer read into columns of Grafana values: TIMESTAMP and DATE as epoch milliseconds (type time),
 * every number as a JSON number (BIGINT, HUGEINT and DECIMAL included, rounded to a double: Grafana plots
 * doubles), NaN and infinities as null, booleans, text, and LIST/STRUCT values as JSON. Bounded by the node's
 * reply caps (limits.maxReplyRows, limits.maxReplyBytes): a bigger answer is refused, never cut. Columns are named
 * as in sql replies.
 */
import { FedlakeError } from '@fedlake/core'
import type { JsonValue } from '@fedlake/core'
import { replyColumnNames } from '@fedlake/query'
import { SQL_ERRORS } from '@fedlake/sql'
import type { ResultStream, ResultVector } from '@fedlake/sql'

export type FieldKind = 'time' | 'number' | 'string' | 'boolean' | 'other'

export interface AnswerField {
  readonly name: string
  readonly kind: FieldKind
}

export interface AnswerColumns {
  readonly fields: readonly AnswerField[]
  /** values[field][row] */
  readonly values: readonly JsonValue[][]
  readonly rowCount: number
}

export interface AnswerCaps {
  readonly maxRows: number
  readonly maxBytes: number
}

const EXACT_NUMBER_TYPES = /^(HUGEINT|UHUGEINT|UBIGINT|BIGNUM|VARINT|DECIMAL)/
const US_PER_MS = 1000n

export function fieldKindOf (duckdbType: string): FieldKind {
  const t = duckdbType.toUpperCase()
  if (t === 'TIMESTAMP' || t === 'TIMESTAMP WITH TIME ZONE' || t === 'DATE') return 'time'
  if (t === 'BOOLEAN') return 'boolean'
  if (['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'FLOAT', 'DOUBLE'].includes(t) || EXACT_NUMBER_TYPES.test(t)) return 'number'
  if (t.endsWith(']') || t.startsWith('STRUCT') || t.startsWith('MAP') || t.startsWith('UNION')) return 'other'
  return 'string'
}

type Reader = (vector: ResultVector, row: number) => JsonValue

function readerFor (kind: FieldKind, duckdbType: string): Reader {
  const isDate = duckdbType.toUpperCase() === 'DATE'
  return (vector, row) => {
    if (vector.valid !== null && vector.valid[row] === 0) return null
    switch (vector.kind) {
      case 'bool': return vector.values[row] === 1
      case 'f64': {
        const n = vector.values[row] as number
        if (isDate) return n * 86_400_000
        return Number.isFinite(n) ? n : null
      }
      case 'i64': {
        const v = vector.values[row] as bigint
        if (kind === 'time') return Number(v >= 0n ? v / US_PER_MS : (v - US_PER_MS + 1n) / US_PER_MS)
        return Number(v)
      }
      case 'text': {
        const text = vector.values[row] as string
        if (kind !== 'number') return text
        const n = Number(text)
        return Number.isFinite(n) ? n : null
      }
      case 'json': return JSON.parse(vector.values[row] as string) as JsonValue
    }
  }
}

/** Rough size of a value in the reply, for the byte cap. */
function sizeOf (value: JsonValue): number {
  if (value === null) return 4
  if (typeof value === 'string') return value.length + 3
  if (typeof value === 'number' || typeof value === 'boolean') return 14
  return JSON.stringify(value).length + 1
}

export async function readAnswer (stream: ResultStream, caps: AnswerCaps): Promise<AnswerColumns> {
  // named as in sql replies: an unaliased count(*) is `count(*)`, a repeated name gets _1, _2
  const names = replyColumnNames(stream.fields)
  const fields = stream.fields.map((f, i) => ({ name: names[i] ?? f.name, kind: fieldKindOf(f.type) }))
  const readers = stream.fields.map((f, i) => readerFor(fields[i]?.kind ?? 'string', f.type))
  const values: JsonValue[][] = fields.map(() => [])
  let rowCount = 0
  let bytes = 2
  try {
    for await (const batch of stream) {
      if (rowCount + batch.rowCount > caps.maxRows) throw tooLarge(`${caps.maxRows} rows (limits.maxReplyRows)`)
      batch.vectors.forEach((vector, f) => {
        const read = readers[f] as Reader
        const column = values[f] as JsonValue[]
        for (let r = 0; r < batch.rowCount; r++) {
          const value = read(vector, r)
          bytes += sizeOf(value)
          column.push(value)
        }
      })
      rowCount += batch.rowCount
      if (bytes > caps.maxBytes) throw tooLarge(`${caps.maxBytes} bytes (limits.maxReplyBytes)`)
    }
  } catch (err) {
    stream.cancel(err)
    throw err
  }
  return { fields, values, rowCount }
}

function tooLarge (cap: string): FedlakeError {
  return new FedlakeError(SQL_ERRORS.SQL_RESULT_TOO_LARGE, `the answer is larger than this node's reply cap of ${cap}: aggregate it for Grafana (increments(), GROUP BY) or add a LIMIT`)
}
