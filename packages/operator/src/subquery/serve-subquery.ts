/**
 * The operator's end of the sub-query protocol (@fedlake/sql subquery-protocol.ts): read the request,
 * run it as any local `sql` runs (the storage re-validates it: one read-only SELECT over this dbms's tables,
 * no file or system functions, on a locked-down DuckDB), and stream its batches back with the transport's
 * backpressure. A reset stream, or the request's own time running out, interrupts DuckDB. When the request
 * asks to keep the stream open, the next request is read from the same stream once this one has ended.
 * `counts()` tells how many sub-queries run now and how the others ended (the node's /metrics shows them).
 */
import { FedlakeError, isFedlakeError, silentLogger, toFedlakeError } from '@fedlake/core'
import type { FrameStream, JsonValue, Logger } from '@fedlake/core'
import { decodeFrame, encodeBatchFrames, encodeControl, protocolError, SQL_ERRORS } from '@fedlake/sql'
import type { ResultStream, SubqueryRequest } from '@fedlake/sql'

export interface SubqueryServiceInit {
  readonly openQuery: (dbms: string, sql: string, options: { signal: AbortSignal }) => Promise<ResultStream>
  /** Longest time a request may ask for (the node's limits.maxCommandTimeoutMs). */
  readonly maxTimeoutMs: number
  readonly logger?: Logger
  /** How long a new stream may take to send its request. @default 5000 */
  readonly requestTimeoutMs?: number
  /**
   * How long a kept-open stream waits for its next request before this side closes it. Longer than the query
   * node keeps an idle stream (10 s), so the query node is the one that lets it go. @default 60000
   */
  readonly idleTimeoutMs?: number
  /** Reply frames gathered for one write go out once the next batch takes longer than this (ms). @default 20 */
  readonly replyHoldMs?: number
}

/** Reply frames gathered into one write up to this size (the transport's single-frame limit, peer-stream.ts). */
const REPLY_WRITE_BYTES = 60 * 1024
/**
 * A batch frame's size, at most, where its rows allow: a quarter of the transport's frame limit (16 MiB,
 * DEFAULT_MAX_FRAME_BYTES in @fedlake/metadata), which DuckDB's 2,048-row chunks of wide rows exceed.
 */
const BATCH_FRAME_BYTES = 4 * 1024 * 1024

/** Whether `promise` settles within `ms` (a rejection counts as settled: the caller awaits it next). */
async function settlesWithin (promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<false>(resolve => { timer = setTimeout(() => { resolve(false) }, ms) })
  try {
    return await Promise.race([promise.then(() => true, () => true), late])
  } finally {
    clearTimeout(timer)
  }
}

export type SubqueryHandler = (stream: FrameStream) => Promise<void>

type NextFrame = Promise<IteratorResult<Uint8Array>>

export interface SubqueryCounts {
  /** Sub-queries being answered: from their request until their DuckDB query has ended or been told to stop. */
  readonly running: number
  readonly completed: number
  /** Stopped by the query node (its client left, a LIMIT was reached, another operator failed) or by their own deadline. */
  readonly cancelled: number
  /** Refused or failed here (invalid SQL, a DuckDB error). */
  readonly failed: number
}

export interface SubqueryService extends SubqueryHandler {
  counts(): SubqueryCounts
}

export function createSubqueryService (init: SubqueryServiceInit): SubqueryService {
  const log = (init.logger ?? silentLogger).child('subquery')
  const holdMs = init.replyHoldMs ?? 20
  const counts = { running: 0, completed: 0, cancelled: 0, failed: 0 }

  /** Answers one request; true when the stream stays open for the next one (`next` is then that request). */
  const answer = async (stream: FrameStream, request: SubqueryRequest, next: NextFrame): Promise<boolean> => {
    const controller = new AbortController()
    const timeoutMs = Math.min(request.timeoutMs, init.maxTimeoutMs)
    const timer = setTimeout(() => {
      controller.abort(new FedlakeError(SQL_ERRORS.SQL_CANCELLED, `sub-query exceeded its ${timeoutMs} ms`, { queryId: request.queryId }))
    }, timeoutMs)
    // the query node keeps its write side open and sends nothing while it waits: when its side ends, fails or
    // sends a frame first, it cancelled (a frame after the answer is its next request)
    let answered = false
    const cancelled = (): void => {
      if (!answered) controller.abort(new FedlakeError(SQL_ERRORS.SQL_CANCELLED, 'the query node cancelled the sub-query', { queryId: request.queryId }))
    }
    next.then(cancelled, cancelled)
    let rows = 0
    let result: ResultStream | undefined
    /** A send failed: the query node reset the stream (it cancelled), which its read side may not have shown yet. */
    let peerGone = false
    const send = async (frames: readonly Uint8Array[]): Promise<void> => { await stream.sendAll(frames).catch((err: unknown) => { peerGone = true; throw err }) }
    counts.running++
    try {
      result = await init.openQuery(request.dbms, request.sql, { signal: controller.signal })
      // frames wait here while the next batch follows within replyHoldMs, up to REPLY_WRITE_BYTES: a small answer
      // (fields, its batch, end) costs one write on both nodes instead of three, and a slow one still streams
      const held = [encodeControl({ type: 'fields', fields: result.fields })]
      let heldBytes = held[0]?.byteLength ?? 0
      const batches = result[Symbol.asyncIterator]()
      for (;;) {
        const pending = batches.next()
        if (await settlesWithin(pending, holdMs) === false) {
          await send(held.splice(0))
          heldBytes = 0
        }
        const next = await pending
        if (next.done === true) break
        rows += next.value.rowCount
        for (const frame of encodeBatchFrames(next.value, BATCH_FRAME_BYTES)) {
          held.push(frame)
          heldBytes += frame.byteLength
        }
        if (heldBytes >= REPLY_WRITE_BYTES) {
          await send(held.splice(0))
          heldBytes = 0
        }
      }
      answered = true
      const keepOpen = request.keepOpen === true
      held.push(encodeControl(keepOpen ? { type: 'end', rows, keepOpen } : { type: 'end', rows }))
      await send(held)
      counts.completed++
      log.debug('sub-query served', { queryId: request.queryId, peer: stream.remotePeer, rows })
      return keepOpen
    } catch (err) {
      result?.cancel(err)
      const cancelled = controller.signal.aborted || peerGone
      if (cancelled) counts.cancelled++
      else counts.failed++
      const error = controller.signal.aborted && isFedlakeError(controller.signal.reason) ? controller.signal.reason : toFedlakeError(err)
      log.debug(cancelled ? 'sub-query cancelled' : 'sub-query failed', { queryId: request.queryId, peer: stream.remotePeer, rows, code: error.code })
      answered = true
      await replyError(stream, error)
      return false
    } finally {
      counts.running--
      clearTimeout(timer)
    }
  }

  const handle = async (stream: FrameStream): Promise<void> => {
    const frames = stream.frames[Symbol.asyncIterator]()
    let next: NextFrame = frames.next()
    for (let served = 0; ; served++) {
      let request: SubqueryRequest
      try {
        request = await nextRequest(next, served === 0 ? init.requestTimeoutMs ?? 5000 : init.idleTimeoutMs ?? 60_000)
      } catch (err) {
        // a kept-open stream the query node let go of (closed, reset, or idle too long) simply ends
        if (served > 0) { await stream.closeWrite().catch(() => { stream.abort() }); return }
        await replyError(stream, toFedlakeError(err))
        return
      }
      next = frames.next()
      if (!await answer(stream, request, next)) {
        await stream.closeWrite().catch(() => undefined)
        return
      }
    }
  }
  return Object.assign(handle, { counts: (): SubqueryCounts => ({ ...counts }) })
}

async function nextRequest (next: NextFrame, timeoutMs: number): Promise<SubqueryRequest> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(protocolError(`no request within ${timeoutMs} ms`)) }, timeoutMs)
  })
  try {
    const first = await Promise.race([next, timeout])
    if (first.done === true) throw protocolError('the stream closed before its request')
    const frame = decodeFrame(first.value)
    if (frame.kind !== 'control' || frame.message.type !== 'query') throw protocolError('the first frame must be a query request')
    return frame.message
  } finally {
    clearTimeout(timer)
  }
}

async function replyError (stream: FrameStream, error: FedlakeError): Promise<void> {
  try {
    await stream.send(encodeControl({ type: 'error', error: { code: error.code, message: error.message, details: jsonDetails(error.details) } }))
    await stream.closeWrite()
  } catch {
    stream.abort()
  }
}

function jsonDetails (details: Readonly<Record<string, unknown>>): Record<string, JsonValue> {
  try {
    return JSON.parse(JSON.stringify(details, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v)) as Record<string, JsonValue>
  } catch {
    return {}
  }
}
