/**
 * The rejects table: records that could not be decoded or mapped, with the error and the raw
 * record, so nothing is lost silently and a bad record never stops a stream (design.md §3.3).
 *   rejects(time TIMESTAMP, source VARCHAR, stream VARCHAR, error VARCHAR, raw VARCHAR)
 * `raw` is the record as JSON, or `base64:<bytes>` for a message that was not valid protobuf;
 * it is cut at REJECT_RAW_MAX_CHARS characters.
 */
import type { TableSchema } from '@fedlake/core'
import type { IngestValue } from '../ingest/sink.js'

export const REJECTS_TABLE = 'rejects'
export const REJECT_RAW_MAX_CHARS = 65_536

export function rejectsTableSchema (dbms: string): TableSchema {
  return Object.freeze({
    dbms,
    table: REJECTS_TABLE,
    columns: Object.freeze([
      { name: 'time', type: 'TIMESTAMP' },
      { name: 'source', type: 'VARCHAR' },
      { name: 'stream', type: 'VARCHAR' },
      { name: 'error', type: 'VARCHAR' },
      { name: 'raw', type: 'VARCHAR' }
    ] as const)
  })
}

export interface RejectedRecord {
  /** Where it came from, e.g. `127.0.0.1:32767` or `put`. */
  readonly source: string
  /** `logs`, `alerts`, `messages`, or a table name. */
  readonly stream: string
  readonly error: string
  /** Already-serialised raw text (see rawRecordText / rawBytesText). */
  readonly raw: string
}

/** JSON of a record for the raw column (bigints as text; unserialisable values as String()). */
export function rawRecordText (record: unknown): string {
  let text: string | undefined
  try {
    text = JSON.stringify(record, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v)
  } catch {
    text = undefined
  }
  return truncate(text ?? String(record))
}

export function rawBytesText (bytes: Uint8Array): string {
  return truncate(`base64:${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`)
}

function truncate (text: string): string {
  return text.length > REJECT_RAW_MAX_CHARS ? text.slice(0, REJECT_RAW_MAX_CHARS) : text
}

export function rejectRow (rejected: RejectedRecord, timeMicros: number = Date.now() * 1000): IngestValue[] {
  return [timeMicros, rejected.source, rejected.stream, rejected.error, rejected.raw]
}
