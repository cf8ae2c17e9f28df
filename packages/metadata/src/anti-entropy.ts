/**
 * Anti-entropy rounds (the exchange itself is sync.ts): one exchange per peer at a time, dialling the
 * peer first when not connected; a periodic round with a random connected peer; serving inbound
 * exchanges. Counts rounds, failures and records moved.
 */
import { FedlakeError } from '@fedlake/core'
import type { Logger } from '@fedlake/core'
import type { Connection, Stream } from '@libp2p/interface'
import type { OwnCounters } from './counters.js'
import type { Dialer } from './dialer.js'
import { METADATA_ERRORS } from './errors.js'
import type { PeerDirectory } from './peer-directory.js'
import { SYNC_PROTOCOL, initiateSync, serveSync } from './sync.js'
import type { SyncContext } from './sync.js'

export interface AntiEntropyInit {
  readonly sync: SyncContext
  readonly dialer: Dialer
  readonly directory: PeerDirectory
  readonly selfId: string
  /** Opens a stream of a protocol on a connected peer. */
  readonly openStream: (peerId: string, protocol: string, signal: AbortSignal) => Promise<Stream>
  readonly isBlocked: (peerId: string) => boolean
  readonly antiEntropyIntervalMs: number
  readonly counters: OwnCounters
  readonly logger: Logger
  /** Failures while stopping are expected and not logged. */
  readonly isStopping: () => boolean
}

export interface AntiEntropy {
  readonly protocol: string
  /** One exchange with a peer; concurrent calls for the same peer share it. */
  syncWith(peerId: string): Promise<void>
  /**
   * One exchange with a random connected peer (every connection's first exchange runs on connect).
   * Only a node with no connection dials a known peer for it: dialing random peers every round grew
   * every node's connections towards the whole network, and every per-peer cost with them.
   */
  tick(): void
  /** Serves an exchange a peer opened. */
  serve(stream: Stream, connection: Connection): void
  /** Waits for the exchanges in flight to finish. */
  settle(): Promise<void>
}

export function createAntiEntropy (init: AntiEntropyInit): AntiEntropy {
  const { counters, dialer, directory, logger: log } = init
  const inFlight = new Map<string, Promise<void>>()

  const syncWith = (peerId: string): Promise<void> => {
    const running = inFlight.get(peerId)
    if (running !== undefined) return running
    const run = (async () => {
      counters.syncRounds++
      let stream: Stream | undefined
      try {
        const signal = AbortSignal.timeout(Math.max(10_000, init.antiEntropyIntervalMs))
        if (!dialer.isConnected(peerId)) await dialer.dialPeer(peerId, signal)
        stream = await init.openStream(peerId, SYNC_PROTOCOL, signal)
        const outcome = await initiateSync(stream, init.sync, `sync:${peerId}`)
        counters.syncSent += outcome.sent
        counters.syncReceived += outcome.received
        if (outcome.received > 0 || outcome.sent > 0) log.debug('anti-entropy exchange', { peer: peerId, ...outcome })
      } catch (err) {
        counters.syncFailures++
        stream?.abort(err as Error)
        if (!init.isStopping()) log.debug('anti-entropy exchange failed', { peer: peerId, err })
        throw new FedlakeError(METADATA_ERRORS.METADATA_SYNC_FAILED, `sync with ${peerId} failed: ${(err as Error).message}`, { peer: peerId }, { cause: err })
      } finally {
        inFlight.delete(peerId)
      }
    })()
    inFlight.set(peerId, run)
    return run
  }

  const tick = (): void => {
    const connected = dialer.connectedPeers().filter(p => !init.isBlocked(p))
    const candidates = connected.length > 0
      ? connected
      : directory.peerIds().filter(p => p !== init.selfId && !init.isBlocked(p) && directory.addresses(p).length > 0)
    const pick = candidates[Math.floor(Math.random() * candidates.length)]
    if (pick !== undefined) void syncWith(pick).catch(() => undefined)
  }

  const serve = (stream: Stream, connection: Connection): void => {
    const peer = connection.remotePeer.toString()
    serveSync(stream, init.sync, `sync:${peer}`)
      .then(outcome => { counters.syncReceived += outcome.received; counters.syncSent += outcome.sent })
      .catch(err => { stream.abort(err as Error); log.debug('serving anti-entropy failed', { peer, err }) })
  }

  const settle = async (): Promise<void> => {
    await Promise.allSettled([...inFlight.values()])
  }

  return { protocol: SYNC_PROTOCOL, syncWith, tick, serve, settle }
}
