/**
 * The query node's end of one sub-query (@fedlake/sql subquery-protocol.ts): send the request, read the
 * fields, then the batches as a stream the merge consumes at its own pace (the transport's backpressure
 * reaches the operator, whose DuckDB then waits). Any failure names the operator it came from.
 */
import { FedlakeError, isFedlakeError } from '@fedlake/core'
import type { FrameStream, JsonValue } from '@fedlake/core'
import { decodeFrame, encodeControl, protocolError, SQL_ERRORS } from '@fedlake/sql'
import type { ResultBatch, ResultField, SubqueryRequest } from '@fedlake/sql'

export interface SubqueryTarget {
  readonly peerId: string
  /** The node's name, for errors and statistics. */
  readonly name: string
}

export interface OpenSubquery {
  readonly target: SubqueryTarget
  readonly fields: readonly ResultField[]
  /** The operator's batches; throws the operator's error (with `details.node`) if it fails midway. */
  readonly batches: AsyncIterable<ResultBatch>
  /** Rows received so far. */
  rows(): number
  /** Resets the stream: the operator interrupts its query. */
  cancel(): void
}

/**
 * Sends `request` over `stream` and resolves once the operator has answered with its fields. `reusable` takes
 * the stream back once every row is read, when the request asked to keep it open and the operator agreed.
 */
export async function openSubquery (stream: FrameStream, target: SubqueryTarget, request: SubqueryRequest, signal?: AbortSignal, reusable?: () => void): Promise<OpenSubquery> {
  let finished = false
  const cancel = (): void => { if (!finished) { finished = true; stream.abort() } }
  const onAbort = (): void => { cancel() }
  signal?.addEventListener('abort', onAbort, { once: true })
  const release = (): void => { signal?.removeEventListener('abort', onAbort) }
  const frames = stream.frames[Symbol.asyncIterator]()
  const fail = (err: unknown): never => {
    cancel()
    release()
    if (signal?.aborted === true && isFedlakeError(signal.reason)) throw signal.reason
    throw fromOperator(err, target)
  }
  let fields: readonly ResultField[]
  try {
    await stream.send(encodeControl(request))
    const first = await frames.next()
    if (first.done === true) throw protocolError('the operator closed the stream without an answer')
    const frame = decodeFrame(first.value)
    if (frame.kind !== 'control') throw protocolError('a batch before the fields')
    if (frame.message.type === 'error') throw remoteError(frame.message.error, target)
    if (frame.message.type !== 'fields') throw protocolError(`unexpected ${frame.message.type} before the fields`)
    fields = frame.message.fields
  } catch (err) {
    return fail(err)
  }
  let rows = 0
  async function * batches (): AsyncGenerator<ResultBatch> {
    try {
      for (;;) {
        const next = await frames.next()
        if (next.done === true) throw protocolError('the operator closed the stream before the end of its rows')
        const frame = decodeFrame(next.value)
        if (frame.kind === 'batch') {
          if (frame.batch.vectors.length !== fields.length) throw protocolError(`a batch of ${frame.batch.vectors.length} columns for ${fields.length} fields`)
          rows += frame.batch.rowCount
          yield frame.batch
          continue
        }
        if (frame.message.type === 'error') throw remoteError(frame.message.error, target)
        if (frame.message.type !== 'end') throw protocolError(`unexpected ${frame.message.type} among the rows`)
        if (frame.message.rows !== rows) throw protocolError(`the operator counted ${frame.message.rows} rows, ${rows} arrived`)
        finished = true
        release()
        if (request.keepOpen === true && frame.message.keepOpen === true && reusable !== undefined) reusable()
        else await stream.closeWrite().catch(() => undefined)
        return
      }
    } catch (err) {
      fail(err)
    } finally {
      // the consumer left early (an error elsewhere, a LIMIT reached): stop the operator
      cancel()
      release()
    }
  }
  return { target, fields, batches: batches(), rows: () => rows, cancel }
}

function remoteError (error: { code: string, message: string, details: Readonly<Record<string, JsonValue>> }, target: SubqueryTarget): FedlakeError {
  return new FedlakeError(error.code, `${target.name}: ${error.message}`, { ...error.details, node: target.name, peerId: target.peerId })
}

/** Names the operator in any error that does not already carry it. */
export function fromOperator (err: unknown, target: SubqueryTarget): FedlakeError {
  if (isFedlakeError(err)) {
    if (err.details.node !== undefined) return err
    return new FedlakeError(err.code, `${target.name}: ${err.message}`, { ...err.details, node: target.name, peerId: target.peerId }, { cause: err })
  }
  return new FedlakeError(SQL_ERRORS.SUBQUERY_PROTOCOL, `${target.name}: ${err instanceof Error ? err.message : String(err)}`, { node: target.name, peerId: target.peerId }, { cause: err })
}
