/**
 * A libp2p stream as a PeerStream: binary frames (binary-frames.ts) both ways, backpressure both ways,
 * and resets that reach the other side.
 *
 * Backpressure. Sending: `send` resolves once the frame has left this stream's write buffer for the
 * muxer, and yamux lets data out only while the receiver's window has room, so a sender that awaits
 * `send` holds at most one frame. Receiving: frames queue here until the consumer takes them; above
 * RECEIVE_HIGH_WATER the libp2p stream is paused, which stops yamux's window updates, so the remote's
 * `send` waits. libp2p's own tools do not give this: its async iterator never pauses (a slow reader
 * buffers without bound) and `Stream.onDrain()` resolves at once after the first drain.
 *
 * Memory per stream, receiving: the queue (RECEIVE_HIGH_WATER plus the frame that crossed it), one
 * unfinished frame, and what arrives while paused (at most one yamux window, YAMUX_MAX_STREAM_WINDOW).
 */
import { FedlakeError, isFedlakeError } from '@fedlake/core'
import type { FrameStream } from '@fedlake/core'
import type { Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { FRAME_HEADER_BYTES, FrameDecoder, encodeFrame, encodeFrameHeader, encodeFrames, frameTooLarge } from './binary-frames.js'
import { METADATA_ERRORS } from './errors.js'
import { YAMUX_MAX_STREAM_WINDOW } from './p2p.js'

/** The default largest frame either side accepts. */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024
/** Queued received bytes above which the stream is paused; it resumes below half of it. */
const RECEIVE_HIGH_WATER = 1024 * 1024
/** A small frame goes out with its header in one muxer frame (one copy); a large one as header + body (no copy). */
const COALESCE_BELOW_BYTES = 64 * 1024
/** libp2p resets a stream whose paused read buffer exceeds its limit (4 MiB by default); a full window must fit. */
const PAUSED_READ_BUFFER_LIMIT = 2 * YAMUX_MAX_STREAM_WINDOW

/**
 * One bidirectional byte stream with a peer, message-framed: core's FrameStream (what the sub-query protocol
 * speaks) over the nodes' libp2p connection, with the protocol and a signal added.
 */
export interface PeerStream extends FrameStream {
  /** Peer id of the other node. */
  readonly remotePeer: string
  /** The protocol as the handler registered it (without the network prefix). */
  readonly protocol: string
  /**
   * Frames sent by the other side, in order; ends when it closes its write side, throws when the stream is
   * reset or aborted (by either side) or its connection drops. Leaving a loop early does not close the
   * stream: the peer's `send` then waits (backpressure) until reading resumes or the stream is aborted.
   */
  readonly frames: AsyncIterable<Uint8Array>
  /** Sends one frame; resolves once the transport took it (waits while the peer reads slowly: backpressure). */
  send(frame: Uint8Array): Promise<void>
  /** Sends frames in order; small ones together go out as one muxer frame (see COALESCE_BELOW_BYTES). */
  sendAll(frames: readonly Uint8Array[]): Promise<void>
  /** Closes our write side once queued frames are out (the peer's `frames` ends). */
  closeWrite(): Promise<void>
  /** Resets the stream in both directions (the peer's iteration and sends throw METADATA_STREAM_RESET). */
  abort(reason?: Error): void
  /** Aborted with the error when the stream is reset, aborted or loses its connection; never on a clean end. */
  readonly signal: AbortSignal
}

export interface FramedPeerStreamInit {
  readonly stream: Stream
  readonly remotePeer: string
  readonly protocol: string
  readonly maxFrameBytes: number
  /** Data arrived (the connection is alive). */
  readonly onTraffic?: () => void
}

export class FramedPeerStream implements PeerStream {
  readonly remotePeer: string
  readonly protocol: string
  readonly frames: AsyncIterable<Uint8Array>
  /** Settles when the libp2p stream is closed, cleanly or not. */
  readonly closed: Promise<void>
  private readonly stream: Stream
  private readonly maxFrameBytes: number
  private readonly onTraffic: (() => void) | undefined
  private readonly decoder: FrameDecoder
  private readonly controller = new AbortController()
  private readonly queue: Uint8Array[] = []
  private queuedBytes = 0
  private paused = false
  private resuming = false
  /** The peer closed its write side (its remaining data may still be in libp2p's read buffer). */
  private finReceived = false
  /** Every frame the peer sent before closing is queued. */
  private remoteEnded = false
  private failure: FedlakeError | undefined
  private waiters: Array<() => void> = []
  private sending: Promise<void> = Promise.resolve()
  private writeClosed = false

  constructor (init: FramedPeerStreamInit) {
    this.stream = init.stream
    this.remotePeer = init.remotePeer
    this.protocol = init.protocol
    this.maxFrameBytes = init.maxFrameBytes
    this.onTraffic = init.onTraffic
    this.decoder = new FrameDecoder(init.maxFrameBytes)
    this.frames = { [Symbol.asyncIterator]: () => this.read() }
    const stream = this.stream
    stream.maxReadBufferLength = Math.max(stream.maxReadBufferLength, PAUSED_READ_BUFFER_LIMIT)
    this.closed = new Promise(resolve => { stream.addEventListener('close', () => { resolve() }, { once: true }) })
    stream.addEventListener('message', evt => { this.onMessage(evt) })
    stream.addEventListener('remoteCloseWrite', () => { this.onRemoteCloseWrite() })
    stream.addEventListener('close', evt => { this.onClose(evt) })
    // An inbound stream reaches its handler after negotiation: the peer may already have closed or reset it.
    if (stream.status === 'reset' || stream.status === 'aborted') this.fail(this.resetError('the stream was reset before it was served'), false)
    else if (stream.remoteWriteStatus === 'closed') this.onRemoteCloseWrite()
  }

  get signal (): AbortSignal {
    return this.controller.signal
  }

  async send (frame: Uint8Array): Promise<void> {
    await this.sendAll([frame])
  }

  async sendAll (frames: readonly Uint8Array[]): Promise<void> {
    for (const frame of frames) if (frame.byteLength > this.maxFrameBytes) throw frameTooLarge(frame.byteLength, this.maxFrameBytes, 'sent')
    const run = this.sending.then(async () => { await this.write(frames) })
    this.sending = run.catch(() => undefined)
    await run
  }

  async closeWrite (): Promise<void> {
    await this.sending
    if (this.failure !== undefined) throw this.failure
    if (this.writeClosed) return
    this.writeClosed = true
    try {
      await this.stream.close()
    } catch (err) {
      throw this.failure ?? this.resetError('closing the stream failed', err)
    }
  }

  abort (reason?: Error): void {
    if (this.failure !== undefined || this.stream.status === 'closed') return
    const error = isFedlakeError(reason)
      ? reason
      : new FedlakeError(METADATA_ERRORS.METADATA_STREAM_CANCELLED, `stream ${this.protocol} to ${this.remotePeer} aborted${reason !== undefined ? `: ${reason.message}` : ''}`,
        { peer: this.remotePeer, protocol: this.protocol }, { cause: reason })
    this.fail(error, true)
  }

  /** Small frames together in one muxer frame (one copy, one encryption); a large one as header + body (no copy). */
  private async write (frames: readonly Uint8Array[]): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    if (this.writeClosed) {
      throw new FedlakeError(METADATA_ERRORS.METADATA_STREAM_CLOSED, `stream ${this.protocol} to ${this.remotePeer} is closed for writing`, { peer: this.remotePeer, protocol: this.protocol })
    }
    const stream = this.stream
    try {
      const total = frames.reduce((sum, f) => sum + FRAME_HEADER_BYTES + f.byteLength, 0)
      if (frames.length > 1 && total <= COALESCE_BELOW_BYTES) {
        stream.send(encodeFrames(frames))
      } else {
        for (const frame of frames) {
          if (frame.byteLength <= COALESCE_BELOW_BYTES) {
            stream.send(encodeFrame(frame))
          } else {
            stream.send(encodeFrameHeader(frame.byteLength))
            stream.send(frame)
          }
        }
      }
    } catch (err) {
      throw this.failure ?? this.resetError('sending failed', err)
    }
    if (stream.writeBufferLength > 0) await this.writeBufferEmptied()
  }

  /** Resolves when libp2p has handed every queued byte to the muxer; rejects when the stream ends first. */
  private writeBufferEmptied (): Promise<void> {
    const stream = this.stream
    return new Promise((resolve, reject) => {
      const settle = (): void => {
        stream.removeEventListener('idle', onIdle)
        stream.removeEventListener('close', onClose)
        if (stream.status === 'open' || stream.status === 'closing') resolve()
        else reject(this.failure ?? this.resetError('the stream closed while sending'))
      }
      const onIdle = (): void => { if (stream.writeBufferLength === 0) settle() }
      const onClose = (): void => { settle() }
      stream.addEventListener('idle', onIdle)
      stream.addEventListener('close', onClose)
    })
  }

  private async * read (): AsyncGenerator<Uint8Array> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure
      const frame = this.queue.shift()
      if (frame !== undefined) {
        this.queuedBytes -= frame.byteLength + FRAME_HEADER_BYTES
        if (this.paused && this.queuedBytes < RECEIVE_HIGH_WATER / 2) this.resumeReading()
        yield frame
        continue
      }
      if (this.remoteEnded) return
      await new Promise<void>(resolve => { this.waiters.push(resolve) })
    }
  }

  private onMessage (evt: StreamMessageEvent): void {
    if (this.failure !== undefined) return
    this.onTraffic?.()
    this.decoder.push(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray())
    try {
      for (let frame = this.decoder.next(); frame !== undefined; frame = this.decoder.next()) {
        this.queue.push(frame)
        this.queuedBytes += frame.byteLength + FRAME_HEADER_BYTES
      }
    } catch (err) {
      this.fail(err as FedlakeError, true)
      return
    }
    if (!this.resuming) this.pauseIfFull()
    if (this.finReceived) this.checkRemoteEnd()
    this.wake()
  }

  private pauseIfFull (): void {
    if (this.paused || this.queuedBytes < RECEIVE_HIGH_WATER || this.stream.readStatus !== 'readable') return
    this.paused = true
    this.stream.pause()
  }

  private resumeReading (): void {
    this.paused = false
    if (this.stream.readStatus !== 'paused') return
    // resume() delivers the buffered bytes and then re-opens yamux's window: pausing from inside that
    // delivery would be undone by the window update, so the decision waits until resume() returned.
    this.resuming = true
    try {
      this.stream.resume()
    } finally {
      this.resuming = false
    }
    this.pauseIfFull()
  }

  private onRemoteCloseWrite (): void {
    this.finReceived = true
    // A muxer may signal the close before it delivers the data that came with it.
    queueMicrotask(() => { this.checkRemoteEnd() })
  }

  /** The peer's frames end once its close arrived and every byte before it is decoded. */
  private checkRemoteEnd (): void {
    if (this.failure !== undefined || this.remoteEnded || !this.finReceived || this.stream.readBufferLength > 0) return
    if (this.decoder.midFrame) {
      this.fail(this.resetError('the peer closed the stream inside a frame'), true)
      return
    }
    this.remoteEnded = true
    this.wake()
  }

  private onClose (evt: StreamCloseEvent): void {
    if (this.failure !== undefined) return
    if (evt.error !== undefined) {
      this.fail(evt.local === true ? this.resetError('the stream was aborted', evt.error) : this.resetError('the peer reset the stream'), false)
    } else if (!this.finReceived) {
      this.fail(this.resetError('the connection closed before the peer finished'), false)
    } else {
      queueMicrotask(() => { this.checkRemoteEnd() })
    }
  }

  private fail (error: FedlakeError, resetPeer: boolean): void {
    if (this.failure !== undefined) return
    this.failure = error
    this.queue.length = 0
    this.queuedBytes = 0
    if (resetPeer && (this.stream.status === 'open' || this.stream.status === 'closing')) this.stream.abort(error)
    this.controller.abort(error)
    this.wake()
  }

  private wake (): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  private resetError (what: string, cause?: unknown): FedlakeError {
    return new FedlakeError(METADATA_ERRORS.METADATA_STREAM_RESET, `stream ${this.protocol} with ${this.remotePeer}: ${what}`,
      { peer: this.remotePeer, protocol: this.protocol }, cause !== undefined ? { cause } : undefined)
  }
}
