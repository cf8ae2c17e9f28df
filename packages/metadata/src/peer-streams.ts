/**
 * Streams between nodes for other packages (the sub-query transport), without libp2p in their API:
 * protocols are registered and opened by a short name and travel as `/fedlake/<network>/<name>` on the
 * nodes' existing connections (noise-encrypted, and pre-shared-key protected when a network key is set).
 * Opening dials the peer when needed, at addresses from its node policy or liveness details.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { CORE_ERRORS, FedlakeError, isFedlakeError } from '@fedlake/core'
import type { Logger } from '@fedlake/core'
import type { PeerId, Stream } from '@libp2p/interface'
import { MAX_FRAME_LIMIT } from './binary-frames.js'
import type { NodeEntry } from './catalog.js'
import type { Dialer } from './dialer.js'
import { METADATA_ERRORS } from './errors.js'
import type { P2PNode } from './p2p.js'
import type { PeerDirectory } from './peer-directory.js'
import { DEFAULT_MAX_FRAME_BYTES, FramedPeerStream } from './peer-stream.js'
import type { PeerStream } from './peer-stream.js'

/**
 * Streams of one protocol per connection and direction. libp2p's defaults (32 inbound, 64 outbound) would
 * refuse the 65th; a query node runs up to 64 sub-queries against one operator at once, with room to spare.
 */
export const DEFAULT_STREAMS_PER_PEER = 128
/** Opening without a signal gives up after this long. */
const DEFAULT_OPEN_TIMEOUT_MS = 10_000
/** libp2p errors of a stream that ended under the negotiation. */
const STREAM_GONE_ERRORS = new Set(['StreamStateError', 'StreamResetError', 'StreamClosedError', 'StreamAbortedError'])
const PROTOCOL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*(?:\/[A-Za-z0-9._-]+)*$/

export type PeerStreamHandler = (stream: PeerStream) => void | Promise<void>

export interface HandleStreamOptions {
  /** Streams of this protocol one peer may have open to this node at once. @default 128 */
  readonly maxInboundStreams?: number
  /** Largest frame accepted from the peer (and sent). @default 16 MiB */
  readonly maxFrameBytes?: number
}

export interface OpenStreamOptions {
  /**
   * Bounds the whole stream: opening (dial and negotiation) fails when it aborts (METADATA_PEER_UNREACHABLE
   * for a timeout, else METADATA_STREAM_CANCELLED or the signal's own FedlakeError reason), and an open
   * stream is aborted with it. Without a signal, opening gives up after 10 s.
   */
  readonly signal?: AbortSignal
  /** Largest frame accepted from the peer (and sent). @default 16 MiB */
  readonly maxFrameBytes?: number
}

export interface PeerStreamsInit {
  readonly p2p: P2PNode
  readonly networkName: string
  readonly selfId: string
  readonly dialer: Dialer
  readonly directory: PeerDirectory
  readonly logger: Logger
  /** Throws when the node does not run. */
  readonly requireRunning: () => void
  /** Stream data arrived from a peer (liveness then does not take its connection for silent). */
  readonly onTraffic: (peerId: string) => void
}

export interface PeerStreams {
  /** Serves a protocol; returns the unregister function (open streams go on). */
  handle(protocol: string, handler: PeerStreamHandler, options?: HandleStreamOptions): () => void
  /** Opens a stream of a protocol to a node (peer id or catalog entry), dialling it when not connected. */
  open(node: NodeEntry | string, protocol: string, options?: OpenStreamOptions): Promise<PeerStream>
}

function checkMaxFrameBytes (value: number | undefined): number {
  const max = value ?? DEFAULT_MAX_FRAME_BYTES
  if (!Number.isSafeInteger(max) || max < 0 || max > MAX_FRAME_LIMIT) {
    throw new FedlakeError(CORE_ERRORS.INTERNAL, `maxFrameBytes must be an integer from 0 to ${MAX_FRAME_LIMIT}, got ${String(value)}`)
  }
  return max
}

const isTimeout = (reason: unknown): boolean => reason instanceof Error && reason.name === 'TimeoutError'

export function createPeerStreams (init: PeerStreamsInit): PeerStreams {
  const { p2p, dialer, directory, logger: log } = init
  const handled = new Set<string>()

  const protocolId = (protocol: string): string => {
    if (!PROTOCOL_NAME.test(protocol)) {
      throw new FedlakeError(CORE_ERRORS.INTERNAL, `'${protocol}' is not a stream protocol name (letters, digits, . _ - and inner slashes, e.g. subquery/1)`)
    }
    return `/fedlake/${init.networkName}/${protocol}`
  }

  const serve = (stream: Stream, remotePeer: string, protocol: string, maxFrameBytes: number, handler: PeerStreamHandler): void => {
    const peerStream = new FramedPeerStream({ stream, remotePeer, protocol, maxFrameBytes, onTraffic: () => { init.onTraffic(remotePeer) } })
    const failed = (err: unknown): void => {
      log.warn('stream handler failed; the stream is reset', { protocol, peer: remotePeer, err })
      peerStream.abort(err instanceof Error ? err : new Error(String(err)))
    }
    let result: void | Promise<void>
    try {
      result = handler(peerStream)
    } catch (err) {
      failed(err)
      return
    }
    if (result instanceof Promise) result.then(async () => { await peerStream.closeWrite().catch(() => undefined) }, failed)
  }

  const handle = (protocol: string, handler: PeerStreamHandler, options: HandleStreamOptions = {}): (() => void) => {
    const id = protocolId(protocol)
    const maxFrameBytes = checkMaxFrameBytes(options.maxFrameBytes)
    if (handled.has(id)) throw new FedlakeError(CORE_ERRORS.INTERNAL, `stream protocol ${protocol} already has a handler`)
    handled.add(id)
    const limit = options.maxInboundStreams ?? DEFAULT_STREAMS_PER_PEER
    // libp2p registers the handler at once; the returned promise only updates its peer store
    p2p.handle(id, (stream, connection) => { serve(stream, connection.remotePeer.toString(), protocol, maxFrameBytes, handler) },
      { maxInboundStreams: limit, maxOutboundStreams: Math.max(limit, DEFAULT_STREAMS_PER_PEER) })
      .catch(err => { log.error('registering a stream protocol failed', { protocol, err }) })
    return () => {
      if (!handled.delete(id)) return
      p2p.unhandle(id).catch(err => { log.debug('unregistering a stream protocol failed', { protocol, err }) })
    }
  }

  const openError = (err: unknown, peer: string, protocol: string, signal: AbortSignal): FedlakeError => {
    const details = { peer, protocol }
    if (signal.aborted) {
      if (isFedlakeError(signal.reason)) return signal.reason
      if (isTimeout(signal.reason)) return new FedlakeError(METADATA_ERRORS.METADATA_PEER_UNREACHABLE, `no stream ${protocol} to ${peer} within the deadline`, details, { cause: err })
      return new FedlakeError(METADATA_ERRORS.METADATA_STREAM_CANCELLED, `opening stream ${protocol} to ${peer} was cancelled`, details, { cause: signal.reason })
    }
    const name = err instanceof Error ? err.name : ''
    const message = err instanceof Error ? err.message : String(err)
    if (name === 'UnsupportedProtocolError') return new FedlakeError(METADATA_ERRORS.METADATA_PROTOCOL_UNSUPPORTED, `${peer} does not serve ${protocol}`, details, { cause: err })
    // the peer answered and reset the stream at once (its handler failed before our side finished negotiating)
    if (STREAM_GONE_ERRORS.has(name)) return new FedlakeError(METADATA_ERRORS.METADATA_STREAM_RESET, `${peer} reset stream ${protocol} while it opened`, details, { cause: err })
    if (name === 'TooManyOutboundProtocolStreamsError') return new FedlakeError(METADATA_ERRORS.METADATA_STREAM_RESET, `too many ${protocol} streams open to ${peer}`, details, { cause: err })
    return new FedlakeError(METADATA_ERRORS.METADATA_PEER_UNREACHABLE, `cannot reach ${peer}: ${message}`, details, { cause: err })
  }

  /** The signal's abort reason as the error the stream fails with. */
  const abortReason = (reason: unknown, peer: string, protocol: string): Error => {
    if (isFedlakeError(reason)) return reason
    const what = isTimeout(reason) ? 'reached its deadline' : 'was cancelled'
    return new FedlakeError(METADATA_ERRORS.METADATA_STREAM_CANCELLED, `stream ${protocol} to ${peer} ${what}`, { peer, protocol }, { cause: reason })
  }

  const open = async (node: NodeEntry | string, protocol: string, options: OpenStreamOptions = {}): Promise<PeerStream> => {
    const id = protocolId(protocol)
    const maxFrameBytes = checkMaxFrameBytes(options.maxFrameBytes)
    init.requireRunning()
    const peer = typeof node === 'string' ? node : node.peerId
    const unreachable = (why: string): FedlakeError =>
      new FedlakeError(METADATA_ERRORS.METADATA_PEER_UNREACHABLE, why, { peer: peer ?? null, protocol })
    if (peer === undefined) throw unreachable(`node ${(node as NodeEntry).name} has no peer id`)
    if (peer === init.selfId) throw unreachable('a node does not open streams to itself; run local work locally')
    let peerId: PeerId
    try { peerId = peerIdFromString(peer) } catch { throw unreachable(`'${peer}' is not a peer id`) }
    const signal = options.signal ?? AbortSignal.timeout(DEFAULT_OPEN_TIMEOUT_MS)
    if (signal.aborted) throw openError(signal.reason, peer, protocol, signal)
    if (typeof node !== 'string' && node.p2pAddresses.length > 0) directory.learnAddresses(peer, node.p2pAddresses)
    let stream: Stream
    try {
      if (!dialer.isConnected(peer)) await dialer.dialPeer(peer, signal)
      stream = await p2p.dialProtocol(peerId, id, { signal, maxOutboundStreams: DEFAULT_STREAMS_PER_PEER })
    } catch (err) {
      throw openError(err, peer, protocol, signal)
    }
    const peerStream = new FramedPeerStream({ stream, remotePeer: peer, protocol, maxFrameBytes, onTraffic: () => { init.onTraffic(peer) } })
    if (options.signal !== undefined) {
      const callerSignal = options.signal
      const onAbort = (): void => { peerStream.abort(abortReason(callerSignal.reason, peer, protocol)) }
      callerSignal.addEventListener('abort', onAbort, { once: true })
      void peerStream.closed.then(() => { callerSignal.removeEventListener('abort', onAbort) })
      if (callerSignal.aborted) onAbort()
    }
    return peerStream
  }

  return { handle, open }
}
