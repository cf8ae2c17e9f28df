/**
 * A lean gRPC client on node:http2, for the connector's two call shapes (server streaming and unary).
 * It speaks the real gRPC wire protocol (one HTTP/2 session per source shared by all its calls, POST
 * /package.Service/Method, content-type application/grpc, te: trailers, grpc-timeout, length-prefixed
 * messages, status in trailers or in a headers-only response) without grpc-js's per-message machinery:
 * messages are parsed from each DATA chunk and handed to the caller synchronously in the 'data' handler,
 * and a call that has used its time slice pauses until setImmediate, so timers run between chunks
 * (grpc-js delivered them through long promise/nextTick chains that starved the event loop during ingest).
 *
 * Transport failures map to gRPC codes as grpc-js maps them (grpc-codes.ts), except that a dropped or
 * refused connection and a GOAWAY are always UNAVAILABLE: connection refused, session closed or
 * destroyed -> UNAVAILABLE; our cancel -> CANCELLED; our deadline -> DEADLINE_EXCEEDED.
 *
 * Flow control: the session advertises `flowControlWindowBytes` for every stream and for the connection;
 * pausing a call stops reading its HTTP/2 stream, so the server stops after at most that window.
 *
 * Transport security: plaintext (h2c, KubeArmor's default) or TLS with ALPN h2, optionally with a client
 * certificate (mTLS, as KubeArmor's `tlsEnabled` sets it up). The server's certificate is always verified.
 */
import { connect, constants as h2 } from 'node:http2'
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, SecureClientSessionOptions } from 'node:http2'
import { GRPC_STATUS, statusFromHeaders, statusFromHttp, statusFromRstCode } from './grpc-codes.js'
import type { GrpcCallStatus } from './grpc-codes.js'
import { GRPC_FRAME_HEADER_BYTES, GrpcMessageReader } from './grpc-message-reader.js'
import { sliceSpent } from './event-loop-slice.js'

export const DEFAULT_GRPC_WINDOW_BYTES = 1 << 20
/** grpc-js's default receive limit. */
export const DEFAULT_GRPC_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
const USER_AGENT = 'fedlake-grpc/0.1 (node:http2)'
/** HTTP/2's initial window: what a session has before our WINDOW_UPDATE. */
const HTTP2_DEFAULT_WINDOW = 65_535
const HOLD_CONSUMER = 1
const HOLD_SLICE = 2

export interface GrpcChannelInit {
  /** host:port (an IPv6 host in brackets). */
  readonly address: string
  /** HTTP/2 flow-control window per stream and for the connection. @default 1048576 */
  readonly flowControlWindowBytes?: number
  /** HTTP/2 PING interval while calls are open, to notice a dead connection; 0 disables. @default 0 */
  readonly keepaliveMs?: number
  /** A PING not answered within this time drops the connection (calls end UNAVAILABLE). @default 20000 */
  readonly keepaliveTimeoutMs?: number
  /** Larger response messages end the call with RESOURCE_EXHAUSTED. @default 4 MiB */
  readonly maxMessageBytes?: number
  /** TLS instead of plaintext HTTP/2. */
  readonly tls?: GrpcTlsOptions
}

/** PEM contents. The server certificate is verified against `ca` (or the system's roots) and `serverName`. */
export interface GrpcTlsOptions {
  /** CAs that may sign the server's certificate. @default Node's bundled root CAs */
  readonly ca?: Buffer
  /** Client certificate and key, for servers that require one (mTLS). */
  readonly cert?: Buffer
  readonly key?: Buffer
  /** Name the server's certificate must carry (and the TLS SNI). @default the address's host */
  readonly serverName?: string
}

export interface GrpcStreamHandlers {
  /**
   * One response message, synchronously from the HTTP/2 'data' handler. `message` may be a view of the
   * received chunk: copy what must outlive the call. `compressed`: the frame says compressed (we never
   * ask for compression, so a server sending it is broken).
   */
  onMessage(message: Buffer, compressed: boolean): void
  /** Exactly once, after the last message. */
  onStatus(status: GrpcCallStatus): void
}

export interface GrpcServerStream {
  /** Stops delivering messages (after the current one) and stops reading the HTTP/2 stream. */
  pause(): void
  resume(): void
  /** Ends the call; onStatus reports CANCELLED unless a status had already arrived. */
  cancel(): void
}

export interface GrpcCallOptions {
  /** The call ends with DEADLINE_EXCEEDED after this long (also sent as grpc-timeout). */
  readonly timeoutMs?: number
}

export interface GrpcUnaryResult extends GrpcCallStatus {
  /** The response message when code is OK. */
  readonly message?: Buffer
}

export interface GrpcChannel {
  readonly address: string
  /** `method` is the full path, e.g. /feeder.LogService/WatchLogs; `request` the serialized request message. */
  serverStream(method: string, request: Uint8Array, handlers: GrpcStreamHandlers, options?: GrpcCallOptions): GrpcServerStream
  /** Never rejects: failures are statuses. Aborting the signal cancels the call (CANCELLED). */
  unary(method: string, request: Uint8Array, options?: GrpcCallOptions & { readonly signal?: AbortSignal }): Promise<GrpcUnaryResult>
  /** Closes the connection; open calls end with CANCELLED (if cancelled first) or UNAVAILABLE. */
  close(): void
}

/** What a call needs from its session. */
interface SessionRef {
  readonly session: ClientHttp2Session
  /** Why the connection failed or was closed, once it has. */
  failure: string | undefined
  connected: boolean
}

function frame (message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(GRPC_FRAME_HEADER_BYTES + message.length)
  out[0] = 0
  out.writeUInt32BE(message.length, 1)
  out.set(message, GRPC_FRAME_HEADER_BYTES)
  return out
}

/** grpc-timeout: at most 8 digits and a unit. */
function grpcTimeout (ms: number): string {
  const whole = Math.max(0, Math.ceil(ms))
  return whole < 1e8 ? `${whole}m` : `${Math.min(Math.ceil(whole / 1000), 99_999_999)}S`
}

interface CallInit {
  readonly ref: SessionRef | Error
  readonly method: string
  readonly request: Uint8Array
  readonly timeoutMs: number | undefined
  readonly maxMessageBytes: number
  readonly onMessage: (message: Buffer, compressed: boolean) => void
  readonly onStatus: (status: GrpcCallStatus) => void
  readonly onClosed: () => void
}

/** One HTTP/2 stream carrying one gRPC call. */
class Call {
  private readonly init: CallInit
  private readonly reader: GrpcMessageReader
  private stream: ClientHttp2Stream | undefined
  private received: GrpcCallStatus | undefined
  private httpStatus = 0
  private streamError: Error | undefined
  /** Set by us: cancel, deadline, oversized message. Wins over what the transport says afterwards. */
  private localEnd: GrpcCallStatus | undefined
  private deadline: NodeJS.Timeout | undefined
  private reported = false
  /** Why the HTTP/2 stream is not read: HOLD_CONSUMER (pause()) and/or HOLD_SLICE (yielding to the event loop). */
  private holds = 0
  private streamPaused = false

  constructor (init: CallInit) {
    this.init = init
    this.reader = new GrpcMessageReader({
      onMessage: init.onMessage,
      onTooLarge: (length) => {
        this.end({ code: GRPC_STATUS.RESOURCE_EXHAUSTED, details: `Received message larger than max (${length} vs. ${init.maxMessageBytes})` })
      },
      maxMessageBytes: init.maxMessageBytes
    })
  }

  start (): void {
    const { ref, method, timeoutMs } = this.init
    if (ref instanceof Error) {
      setImmediate(() => { this.report(this.localEnd ?? { code: GRPC_STATUS.UNAVAILABLE, details: ref.message }) })
      return
    }
    const headers: Record<string, string> = {
      [h2.HTTP2_HEADER_METHOD]: 'POST',
      [h2.HTTP2_HEADER_PATH]: method,
      [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      [h2.HTTP2_HEADER_TE]: 'trailers',
      [h2.HTTP2_HEADER_USER_AGENT]: USER_AGENT,
      'grpc-accept-encoding': 'identity'
    }
    if (timeoutMs !== undefined) headers['grpc-timeout'] = grpcTimeout(timeoutMs)
    const stream = ref.session.request(headers, { endStream: false })
    this.stream = stream
    stream.on('response', (h: IncomingHttpHeaders, flags: number) => {
      this.httpStatus = Number(h[h2.HTTP2_HEADER_STATUS] ?? 0)
      // a headers-only ("trailers-only") response carries the status in its headers
      if ((flags & h2.NGHTTP2_FLAG_END_STREAM) !== 0) this.received ??= statusFromHeaders(h)
    })
    stream.on('trailers', (h: IncomingHttpHeaders) => { this.received ??= statusFromHeaders(h) })
    stream.on('data', (chunk: Buffer) => {
      if (this.reported || this.localEnd !== undefined) return
      this.reader.write(chunk)
      if ((this.holds & HOLD_SLICE) === 0 && sliceSpent()) this.yieldToEventLoop()
    })
    // every error also closes the stream; 'close' decides the status
    stream.on('error', (err: Error) => { this.streamError = err })
    stream.on('close', () => { this.closed(ref, stream.rstCode) })
    stream.end(frame(this.init.request))
    if (timeoutMs !== undefined) {
      this.deadline = setTimeout(() => { this.end({ code: GRPC_STATUS.DEADLINE_EXCEEDED, details: 'Deadline exceeded' }) }, timeoutMs)
    }
  }

  pause (): void {
    this.reader.paused = true
    this.hold(HOLD_CONSUMER, true)
  }

  resume (): void {
    if (!this.reader.paused) return
    if (!this.reader.resume() || this.reported) return
    this.hold(HOLD_CONSUMER, false)
  }

  private yieldToEventLoop (): void {
    this.hold(HOLD_SLICE, true)
    setImmediate(() => { this.hold(HOLD_SLICE, false) })
  }

  private hold (reason: number, on: boolean): void {
    this.holds = on ? this.holds | reason : this.holds & ~reason
    const stream = this.stream
    if (stream === undefined || this.reported) return
    if (this.holds !== 0 && !this.streamPaused) {
      this.streamPaused = true
      stream.pause()
    } else if (this.holds === 0 && this.streamPaused) {
      this.streamPaused = false
      stream.resume()
    }
  }

  /** Ends the call locally (cancel, deadline, protocol violation): RST_STREAM CANCEL, then `status`. */
  end (status: GrpcCallStatus): void {
    if (this.reported) return
    // a status the server already sent stands
    if (this.received === undefined) this.localEnd ??= status
    const stream = this.stream
    if (stream === undefined || stream.closed || stream.destroyed) return
    stream.close(h2.NGHTTP2_CANCEL)
    // a paused stream would keep its buffered data and never emit 'close'
    this.holds = 0
    if (this.streamPaused) { this.streamPaused = false; stream.resume() }
  }

  private closed (ref: SessionRef, rstCode: number | undefined): void {
    this.init.onClosed()
    if (this.localEnd !== undefined) { this.report(this.localEnd); return }
    const final = this.received ?? (this.httpStatus !== 0 && this.httpStatus !== 200 ? statusFromHttp(this.httpStatus) : undefined)
    if (final !== undefined) { this.report(final); return }
    if (ref.failure !== undefined || ref.session.destroyed) {
      // a stream waiting for the connection is closed before the session reports why: the cause is on the stream's
      // error, wrapped (connection refused) or as is (a TLS alert, e.g. the server requires a client certificate)
      const cause = this.streamError?.cause ?? (isSocketError(this.streamError) ? this.streamError : undefined)
      const details = ref.failure ?? (cause instanceof Error
        ? `${ref.connected ? '' : 'No connection established. Last error: '}${errorText(cause)}`
        : 'Connection dropped')
      this.report({ code: GRPC_STATUS.UNAVAILABLE, details })
      return
    }
    if (rstCode === undefined || rstCode === h2.NGHTTP2_NO_ERROR) {
      this.report({ code: GRPC_STATUS.INTERNAL, details: `Received RST_STREAM with code ${rstCode ?? 0} (Call ended without gRPC status)` })
      return
    }
    this.report(statusFromRstCode(rstCode))
  }

  private report (status: GrpcCallStatus): void {
    if (this.reported) return
    this.reported = true
    if (this.deadline !== undefined) clearTimeout(this.deadline)
    this.init.onStatus(status)
  }
}

/** OpenSSL's messages carry their reason between file and code positions: `TLS: <reason>` reads better. */
function errorText (err: Error): string {
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(err.message)?.[1]
  return reason === undefined ? err.message : `TLS: ${reason}`
}

/** An error of the connection itself (TLS, socket), not one of node's generic HTTP/2 stream errors. */
function isSocketError (err: Error | undefined): err is Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return err !== undefined && typeof code === 'string' && !code.startsWith('ERR_HTTP2_')
}

function tlsConnectOptions (tls: GrpcTlsOptions): SecureClientSessionOptions {
  return {
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
    ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
    rejectUnauthorized: true
  }
}

export function createGrpcChannel (init: GrpcChannelInit): GrpcChannel {
  const address = init.address
  const windowBytes = init.flowControlWindowBytes ?? DEFAULT_GRPC_WINDOW_BYTES
  const keepaliveMs = init.keepaliveMs ?? 0
  const keepaliveTimeoutMs = init.keepaliveTimeoutMs ?? 20_000
  const maxMessageBytes = init.maxMessageBytes ?? DEFAULT_GRPC_MAX_MESSAGE_BYTES
  let current: SessionRef | undefined
  let activeCalls = 0
  let closed = false

  const openSession = (): SessionRef => {
    const tls = init.tls
    const session = connect(`${tls === undefined ? 'http' : 'https'}://${address}`, {
      ...(tls === undefined ? {} : tlsConnectOptions(tls)),
      settings: { initialWindowSize: windowBytes, enablePush: false },
      // node's default (10 MB) makes it refuse streams under load; three paused 1 MiB streams stay far below this
      maxSessionMemory: 64
    })
    const ref: SessionRef = { session, failure: undefined, connected: false }
    let keepalive: NodeJS.Timeout | undefined
    session.on('connect', () => {
      ref.connected = true
      // the connection-level window: settings only set the per-stream one
      if (windowBytes > HTTP2_DEFAULT_WINDOW) session.setLocalWindowSize(windowBytes)
      if (keepaliveMs > 0) {
        keepalive = setInterval(() => {
          if (activeCalls === 0 || session.destroyed) return
          const timeout = setTimeout(() => {
            ref.failure ??= 'Keepalive ping timed out'
            session.destroy()
          }, keepaliveTimeoutMs)
          try {
            session.ping(() => { clearTimeout(timeout) })
          } catch { clearTimeout(timeout) }
        }, keepaliveMs)
        keepalive.unref()
      }
    })
    session.on('error', (err: Error) => {
      ref.failure ??= ref.connected ? errorText(err) : `No connection established. Last error: ${errorText(err)}`
    })
    session.on('goaway', (errorCode: number) => {
      // calls already running may finish; new calls go to a new session
      if (current === ref) current = undefined
      if (errorCode !== h2.NGHTTP2_NO_ERROR) ref.failure ??= `GOAWAY received (code ${errorCode})`
    })
    session.on('close', () => {
      ref.failure ??= 'Connection closed'
      if (keepalive !== undefined) clearInterval(keepalive)
      if (current === ref) current = undefined
    })
    if (activeCalls === 0) session.unref()
    return ref
  }

  const usableSession = (): SessionRef | Error => {
    if (closed) return new Error('Channel closed')
    if (current === undefined || current.session.closed || current.session.destroyed) current = openSession()
    return current
  }

  const begin = (ref: SessionRef | Error, method: string, request: Uint8Array, timeoutMs: number | undefined,
    onMessage: CallInit['onMessage'], onStatus: CallInit['onStatus']): Call => {
    const session = ref instanceof Error ? undefined : ref.session
    const call = new Call({
      ref, method, request, timeoutMs, maxMessageBytes, onMessage, onStatus,
      onClosed: () => { if (--activeCalls === 0) session?.unref() }
    })
    if (session !== undefined) { activeCalls++; session.ref() }
    try {
      call.start()
    } catch (err) {
      if (session !== undefined && --activeCalls === 0) session.unref()
      throw err
    }
    return call
  }

  const startCall = (method: string, request: Uint8Array, timeoutMs: number | undefined,
    onMessage: CallInit['onMessage'], onStatus: CallInit['onStatus']): Call => {
    const ref = usableSession()
    try {
      return begin(ref, method, request, timeoutMs, onMessage, onStatus)
    } catch {
      // the session became unusable between our check and request() (e.g. just after a GOAWAY): once more on a new one
      if (current === ref) current = undefined
      try {
        return begin(usableSession(), method, request, timeoutMs, onMessage, onStatus)
      } catch (err) {
        return begin(err instanceof Error ? err : new Error(String(err)), method, request, timeoutMs, onMessage, onStatus)
      }
    }
  }

  return {
    address,

    serverStream (method, request, handlers, options = {}) {
      const call = startCall(method, request, options.timeoutMs, handlers.onMessage, handlers.onStatus)
      return {
        pause: () => { call.pause() },
        resume: () => { call.resume() },
        cancel: () => { call.end({ code: GRPC_STATUS.CANCELLED, details: 'Cancelled on client' }) }
      }
    },

    async unary (method, request, options = {}) {
      return await new Promise<GrpcUnaryResult>(resolve => {
        let message: Buffer | undefined
        let compressedReply = false
        let count = 0
        const signal = options.signal
        const onAbort = (): void => { call.end({ code: GRPC_STATUS.CANCELLED, details: 'Cancelled on client' }) }
        const call: Call = startCall(method, request, options.timeoutMs, (bytes, compressed) => {
          count++
          if (count > 1) { call.end({ code: GRPC_STATUS.UNIMPLEMENTED, details: 'Too many responses received' }); return }
          message = Buffer.from(bytes)
          compressedReply = compressed
        }, (status) => {
          signal?.removeEventListener('abort', onAbort)
          if (status.code !== GRPC_STATUS.OK) { resolve(status); return }
          if (message === undefined) { resolve({ code: GRPC_STATUS.UNIMPLEMENTED, details: 'No message received' }); return }
          if (compressedReply) { resolve({ code: GRPC_STATUS.INTERNAL, details: 'Compressed response without negotiated encoding' }); return }
          resolve({ ...status, message })
        })
        if (signal?.aborted === true) onAbort()
        else signal?.addEventListener('abort', onAbort, { once: true })
      })
    },

    close () {
      closed = true
      const ref = current
      current = undefined
      if (ref === undefined) return
      ref.failure ??= 'Channel closed'
      ref.session.destroy()
    }
  }
}
