/**
 * Sub-query streams to operators, kept open between sub-queries (subquery-protocol.ts, `keepOpen`).
 *
 * Opening a stream costs both nodes a yamux stream, a multistream-select round trip and libp2p's peer store
 * update, several socket writes each: with many operators per query that was most of the query node's work.
 * A stream whose sub-query ended cleanly goes back here, idle, and the next sub-query to that operator sends
 * its request on it. Idle streams are closed after `idleMs` (the operator waits longer, so this side lets
 * go first). A kept stream may still have ended meanwhile (the operator restarted or gave up on it): a
 * sub-query that fails on a reused stream before any answer runs again on a fresh one, which is safe since
 * sub-queries only read.
 *
 * The node's own operator role is reached through an in-process pipe, opened per sub-query.
 */
import { createFramePipe, isFedlakeError } from '@fedlake/core'
import type { FrameStream, Logger } from '@fedlake/core'
import type { SubqueryRequest } from '@fedlake/sql'
import { fromOperator, openSubquery } from './subquery-client.js'
import type { OpenSubquery, SubqueryTarget } from './subquery-client.js'

export interface OperatorStreamsInit {
  /** Opens a sub-query stream over the node-to-node transport; `signal` bounds the opening and then the stream. */
  readonly openStream: (peerId: string, signal: AbortSignal) => Promise<FrameStream>
  /** This node's peer id, when its metadata layer runs. */
  readonly selfPeerId: () => string | undefined
  /** This node's own sub-query service, when it is an operator. */
  readonly localService?: (stream: FrameStream) => Promise<void>
  readonly logger: Logger
  /** How long an idle stream is kept. @default 10000 */
  readonly idleMs?: number
  /** Idle streams kept per operator; more are closed. @default 32 */
  readonly maxIdlePerPeer?: number
}

interface IdleStream {
  readonly stream: FrameStream
  readonly timer: NodeJS.Timeout
}

/**
 * Failures of a kept stream that ended before it carried the request (operator codes pass through
 * fromOperator unchanged): the end of the stream, a reset, a closed write side. metadata's codes are
 * written out so that this package does not load the transport.
 */
const STALE_STREAM_CODES = new Set(['SUBQUERY_PROTOCOL', 'METADATA_STREAM_RESET', 'METADATA_STREAM_CLOSED'])

export class OperatorStreams {
  private readonly idle = new Map<string, IdleStream[]>()

  constructor (private readonly init: OperatorStreamsInit) {}

  /** Sends `request` to the operator and resolves once it has answered with its fields. */
  async ask (target: SubqueryTarget, request: SubqueryRequest, signal: AbortSignal): Promise<OpenSubquery> {
    if (target.peerId === this.init.selfPeerId() && this.init.localService !== undefined) {
      const [client, server] = createFramePipe(4, [target.peerId, target.peerId])
      void this.init.localService(server).catch((err: unknown) => { this.init.logger.warn('local sub-query failed', { error: (err as Error).message }) })
      return await openSubquery(client, target, request, signal)
    }
    for (;;) {
      const reused = this.take(target.peerId)
      const stream = reused ?? await this.open(target, signal)
      try {
        return await openSubquery(stream, target, { ...request, keepOpen: true }, signal, () => { this.release(target.peerId, stream) })
      } catch (err) {
        if (reused === undefined || signal.aborted || !isFedlakeError(err) || !STALE_STREAM_CODES.has(err.code)) throw err
        this.init.logger.debug('kept sub-query stream had ended; asking on a new one', { node: target.name, error: err.message })
      }
    }
  }

  /** Closes every idle stream. */
  close (): void {
    for (const streams of this.idle.values()) {
      for (const { stream, timer } of streams) { clearTimeout(timer); stream.abort() }
    }
    this.idle.clear()
  }

  /** The stream the query's signal may cancel while it opens, but which outlives the query once open. */
  private async open (target: SubqueryTarget, signal: AbortSignal): Promise<FrameStream> {
    const opening = new AbortController()
    const onAbort = (): void => { opening.abort(signal.reason) }
    signal.addEventListener('abort', onAbort, { once: true })
    if (signal.aborted) onAbort()
    try {
      return await this.init.openStream(target.peerId, opening.signal)
    } catch (err) {
      throw fromOperator(err, target)
    } finally {
      signal.removeEventListener('abort', onAbort)
    }
  }

  /** The most recently used idle stream to the peer. */
  private take (peerId: string): FrameStream | undefined {
    const streams = this.idle.get(peerId)
    const last = streams?.pop()
    if (streams?.length === 0) this.idle.delete(peerId)
    if (last === undefined) return undefined
    clearTimeout(last.timer)
    return last.stream
  }

  private release (peerId: string, stream: FrameStream): void {
    const streams = this.idle.get(peerId) ?? []
    if (streams.length >= (this.init.maxIdlePerPeer ?? 32)) { letGo(stream); return }
    const timer = setTimeout(() => {
      const at = streams.findIndex(s => s.stream === stream)
      if (at >= 0) streams.splice(at, 1)
      if (streams.length === 0 && this.idle.get(peerId) === streams) this.idle.delete(peerId)
      letGo(stream)
    }, this.init.idleMs ?? 10_000)
    timer.unref()
    streams.push({ stream, timer })
    this.idle.set(peerId, streams)
  }
}

/** Ends a stream cleanly: the operator's read side ends and it closes its side. */
function letGo (stream: FrameStream): void {
  stream.closeWrite().catch(() => { stream.abort() })
}
