/**
 * Liveness wiring of the node: the frame exchange with direct peers (liveness.ts), the periodic sweep
 * that turns evidence into status flips for listeners, and the liveness list with this node first.
 */
import type { Logger } from '@fedlake/core'
import type { Stream } from '@libp2p/interface'
import { LIVENESS_PROTOCOL, LivenessExchange } from './liveness.js'
import type { NodeInfo } from './node-policies.js'
import type { IngestTotals, LivenessChange, NodeDetails, PeerDirectory, PeerLiveness, PeerStatus } from './peer-directory.js'

export interface NodeLivenessInit {
  readonly selfId: string
  readonly networkName: string
  readonly heartbeatIntervalMs: number
  readonly unreachableAfterMs: number
  readonly directory: PeerDirectory
  readonly nodeInfo?: NodeInfo
  readonly logger: Logger
  readonly connectedPeers: () => string[]
  readonly isBlocked: (peerId: string) => boolean
  readonly openStream: (peerId: string, protocol: string, signal: AbortSignal) => Promise<Stream>
  readonly hangUp: (peerId: string) => Promise<void>
  readonly p2pAddresses: () => string[]
  /** This node's metadata version. */
  readonly version: () => string
  /** A direct peer reported its metadata version. */
  readonly onPeerVersion: (peerId: string, version: string) => void
  /** This node's ingest totals (operators), sent to peers with its details. */
  readonly ingestTotals?: () => IngestTotals
}

export interface NodeLiveness {
  readonly protocol: string
  /** Serves an inbound liveness stream until it ends. */
  serve(stream: Stream, peerId: string): void
  /** A peer just connected: it gets a frame now rather than at the next tick. */
  greet(peerId: string): void
  /** Data other than liveness frames arrived from a peer (its connection is not silent). */
  noteTraffic(peerId: string): void
  start(): void
  /** Says goodbye to direct peers and closes the streams. */
  stop(): Promise<void>
  /** This node first, then every node it knows. */
  list(): PeerLiveness[]
  status(peerId: string): PeerStatus
  onChange(listener: (change: LivenessChange) => void): () => void
  readonly counters: LivenessExchange['counters']
}

export function createNodeLiveness (init: NodeLivenessInit): NodeLiveness {
  const { directory, nodeInfo, logger: log } = init
  const listeners = new Set<(change: LivenessChange) => void>()
  let sweepTimer: NodeJS.Timeout | undefined

  const sweep = (): void => {
    for (const change of directory.sweep(Date.now())) {
      log.info(change.status === 'active' ? 'node is active' : 'node is unreachable', { peer: change.peerId })
      for (const l of listeners) {
        try { l(change) } catch (err) { log.error('liveness listener failed', { err }) }
      }
    }
  }

  const ownDetails = (): NodeDetails => ({
    ...(nodeInfo !== undefined ? { name: nodeInfo.name, roles: [...nodeInfo.roles] } : {}),
    addresses: init.p2pAddresses(),
    ...(nodeInfo?.restAddress !== undefined ? { restAddress: nodeInfo.restAddress } : {}),
    ...(init.ingestTotals !== undefined ? { ingest: init.ingestTotals() } : {})
  })

  const exchange = new LivenessExchange({
    selfId: init.selfId,
    networkName: init.networkName,
    intervalMs: init.heartbeatIntervalMs,
    unreachableAfterMs: init.unreachableAfterMs,
    directory,
    logger: log,
    connectedPeers: init.connectedPeers,
    isBlocked: init.isBlocked,
    openStream: (peerId, signal) => init.openStream(peerId, LIVENESS_PROTOCOL, signal),
    hangUp: init.hangUp,
    ownDetails,
    ownIngest: () => init.ingestTotals?.(),
    version: init.version,
    onPeerVersion: init.onPeerVersion,
    onEvidence: sweep
  })

  return {
    protocol: LIVENESS_PROTOCOL,
    counters: exchange.counters,

    serve (stream, peerId) {
      void exchange.serve(stream, peerId)
    },

    greet: peerId => { exchange.greet(peerId) },
    noteTraffic: peerId => { exchange.noteTraffic(peerId) },

    start () {
      exchange.start()
      sweepTimer = setInterval(sweep, Math.max(50, Math.min(250, Math.floor(init.heartbeatIntervalMs / 2))))
    },

    async stop () {
      clearInterval(sweepTimer)
      await exchange.stop()
    },

    list () {
      const now = Date.now()
      const self: PeerLiveness = {
        peerId: init.selfId,
        ...(nodeInfo !== undefined ? { name: nodeInfo.name, roles: [...nodeInfo.roles] } : { roles: [] }),
        status: 'active',
        lastSeenAt: now,
        version: init.version(),
        addresses: init.p2pAddresses(),
        ...(nodeInfo?.restAddress !== undefined ? { restAddress: nodeInfo.restAddress } : {}),
        ...(init.ingestTotals !== undefined ? { ingest: init.ingestTotals() } : {}),
        self: true
      }
      return [self, ...directory.list(now)]
    },

    status: peerId => directory.status(peerId, Date.now()),

    onChange (listener) {
      listeners.add(listener)
      return () => { listeners.delete(listener) }
    }
  }
}
