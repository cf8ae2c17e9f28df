/**
 * The sub-query protocol between a query node and an operator, one sub-query at a time on a stream:
 *
 *   query node → operator:  control {type:'query', queryId, dbms, sql, timeoutMs, keepOpen?}
 *   operator → query node:  control {type:'fields', fields}, batch frames..., control {type:'end', rows, keepOpen?}
 *                           or, at any point, control {type:'error', error:{code, message, details}}
 *
 * The query node keeps its write side open until it has the end (or the error), then closes it. It cancels by
 * resetting the stream, or by closing its write side early: the operator stops the query as soon as its read
 * side ends or fails before it has answered in full.
 *
 * Reuse: a request with `keepOpen: true` asks the operator to wait for the next request on the same stream once
 * it has answered. An operator that does says so in its end (`keepOpen: true`); the query node may then send the
 * next request there instead of closing (no stream set-up, protocol negotiation or peer store update per
 * sub-query), or close its write side when it no longer needs the stream. After an error, or an end without
 * `keepOpen`, the stream is done, as before; nodes that do not know the flag ignore it. The
 * deadline travels as the time left (`timeoutMs`), not as a clock time, so the nodes' clocks need not agree.
 * A frame's first byte says what it is: 1 = control message (UTF-8 JSON), 2 = result batch (batch-codec).
 */
import { FedlakeError } from '@fedlake/core'
import type { JsonValue } from '@fedlake/core'
import { decodeBatch, encodeBatch } from './batch-codec.js'
import { SQL_ERRORS } from './errors.js'
import { sliceBatch } from './result-batch.js'
import type { ResultBatch, ResultField } from './result-batch.js'

/** Appended to the network's protocol prefix by the transport. */
export const SUBQUERY_PROTOCOL = 'subquery/1.0.0'

const CONTROL = 1
const BATCH = 2

export interface SubqueryRequest {
  readonly type: 'query'
  readonly queryId: string
  readonly dbms: string
  readonly sql: string
  /** Time the operator has for the whole sub-query, from when it reads this. */
  readonly timeoutMs: number
  /** The query node may send further requests on this stream once this one has ended. */
  readonly keepOpen?: boolean
}

export interface SerializedSubqueryError {
  readonly code: string
  readonly message: string
  readonly details: Readonly<Record<string, JsonValue>>
}

export type SubqueryReply =
  | { readonly type: 'fields', readonly fields: readonly ResultField[] }
  | { readonly type: 'end', readonly rows: number, readonly keepOpen?: boolean }
  | { readonly type: 'error', readonly error: SerializedSubqueryError }

export type SubqueryFrame =
  | { readonly kind: 'control', readonly message: SubqueryRequest | SubqueryReply }
  | { readonly kind: 'batch', readonly batch: ResultBatch }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function encodeControl (message: SubqueryRequest | SubqueryReply): Uint8Array {
  const json = encoder.encode(JSON.stringify(message))
  const frame = new Uint8Array(json.length + 1)
  frame[0] = CONTROL
  frame.set(json, 1)
  return frame
}

export function encodeBatchFrame (batch: ResultBatch): Uint8Array {
  const body = encodeBatch(batch)
  const frame = new Uint8Array(body.length + 1)
  frame[0] = BATCH
  frame.set(body, 1)
  return frame
}

/**
 * A batch as frames of at most `maxBytes` each where its rows allow: 2,048 rows of 10 KB strings encode to
 * 20 MB, over what the transport carries in one frame, so such a batch goes as consecutive row ranges (the
 * receiver appends batches in order, so the rows arrive as before). A single row over `maxBytes` stays one frame.
 */
export function encodeBatchFrames (batch: ResultBatch, maxBytes: number): Uint8Array[] {
  const frame = encodeBatchFrame(batch)
  if (frame.byteLength <= maxBytes || batch.rowCount <= 1) return [frame]
  const pieces = Math.min(batch.rowCount, Math.ceil(frame.byteLength / maxBytes))
  const frames: Uint8Array[] = []
  for (let i = 0; i < pieces; i++) {
    const start = Math.floor(i * batch.rowCount / pieces)
    const end = Math.floor((i + 1) * batch.rowCount / pieces)
    // rows differ in width: a range still over the limit is cut again
    frames.push(...encodeBatchFrames(sliceBatch(batch, start, end), maxBytes))
  }
  return frames
}

/** Throws SUBQUERY_PROTOCOL for anything that is not a well-formed frame. */
export function decodeFrame (frame: Uint8Array): SubqueryFrame {
  if (frame[0] === BATCH) return { kind: 'batch', batch: decodeBatch(frame.subarray(1)) }
  if (frame[0] !== CONTROL) throw protocolError(`unknown frame type ${String(frame[0])}`)
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(frame.subarray(1)))
  } catch (err) {
    throw protocolError(`control frame is not JSON: ${(err as Error).message}`)
  }
  return { kind: 'control', message: checkedMessage(value) }
}

function checkedMessage (value: unknown): SubqueryRequest | SubqueryReply {
  if (typeof value !== 'object' || value === null) throw protocolError('control frame is not an object')
  const m = value as Record<string, unknown>
  const str = (k: string): boolean => typeof m[k] === 'string'
  switch (m.type) {
    case 'query':
      if (str('queryId') && str('dbms') && str('sql') && typeof m.timeoutMs === 'number' && Number.isFinite(m.timeoutMs) && m.timeoutMs > 0) return value as SubqueryRequest
      break
    case 'fields':
      if (Array.isArray(m.fields) && m.fields.every(f => typeof f === 'object' && f !== null && typeof (f as ResultField).name === 'string' && typeof (f as ResultField).type === 'string')) return value as SubqueryReply
      break
    case 'end':
      if (typeof m.rows === 'number') return value as SubqueryReply
      break
    case 'error': {
      const e = m.error as Record<string, unknown> | undefined
      if (typeof e === 'object' && e !== null && typeof e.code === 'string' && typeof e.message === 'string') return value as SubqueryReply
    }
  }
  throw protocolError(`malformed ${String(m.type)} message`)
}

export function protocolError (why: string): FedlakeError {
  return new FedlakeError(SQL_ERRORS.SUBQUERY_PROTOCOL, `sub-query protocol: ${why}`)
}
