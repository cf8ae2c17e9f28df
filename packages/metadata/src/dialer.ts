/**
 * Keeping the node connected: seeds are re-dialled with backoff while not connected, and known peers
 * (addresses from node policies and liveness details, in the peer directory) are dialled until the node
 * has `targetPeers` connections, live ones first. Backoff: 250 ms doubling up to `maxBackoffMs`.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { Logger } from '@fedlake/core'
import type { Multiaddr } from '@multiformats/multiaddr'
import { seedToMultiaddr } from './p2p.js'
import type { P2PNode } from './p2p.js'
import type { PeerDirectory } from './peer-directory.js'
import type { PolicyRecord } from './policy.js'

/** Policy types that name a node and its p2p addresses. */
const ADDRESSED_NODE_TYPES = new Set(['operator', 'query', 'master', 'publisher'])

export interface DialerInit {
  readonly p2p: P2PNode
  readonly directory: PeerDirectory
  readonly selfId: string
  /** host:port or multiaddrs. */
  readonly seeds: readonly string[]
  readonly targetPeers: number
  readonly maxBackoffMs: number
  readonly isBlocked: (peerId: string) => boolean
  readonly logger: Logger
}

export interface Dialer {
  /** Peer ids with an open connection. */
  connectedPeers(): string[]
  isConnected(peerId: string): boolean
  /** Dials a peer at the addresses the directory knows for it (else libp2p's peer store). */
  dialPeer(peerId: string, signal?: AbortSignal): Promise<void>
  /** One round: re-dial seeds that are due, dial known peers while below target. */
  maintainConnections(): void
  /** Learns the p2p addresses (and the name) a new or updated node policy gives. */
  learnFromNodePolicy(record: PolicyRecord): void
  /** At start: learns the addresses of every held policy that names a peer and its p2p addresses. */
  learnFromPolicies(records: readonly PolicyRecord[]): void
}

interface Backoff { next: number, delay: number, inFlight: boolean }

interface SeedState extends Backoff { readonly addr: Multiaddr, peerId?: string }

function p2pAddressesOf (record: PolicyRecord): string[] {
  return Array.isArray(record.content.p2p) ? record.content.p2p.filter((a): a is string => typeof a === 'string') : []
}

function shuffle<T> (items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const tmp = items[i] as T
    items[i] = items[j] as T
    items[j] = tmp
  }
  return items
}

export function createDialer (init: DialerInit): Dialer {
  const { p2p, directory, selfId, isBlocked, logger: log } = init
  const seeds: SeedState[] = init.seeds.map(s => ({ addr: seedToMultiaddr(s), next: 0, delay: 0, inFlight: false }))
  const peerBackoff = new Map<string, Backoff>()

  const connectedPeers = (): string[] => p2p.getPeers().map(p => p.toString())
  const isConnected = (peerId: string): boolean => p2p.getConnections(peerIdFromString(peerId)).length > 0

  const dialPeer = async (peerId: string, signal?: AbortSignal): Promise<void> => {
    const addrs = directory.addresses(peerId).map(a => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${peerId}`))
    await p2p.dial(addrs.length > 0 ? addrs : peerIdFromString(peerId), signal !== undefined ? { signal } : {})
  }

  const failed = (b: Backoff): void => {
    b.delay = Math.min(b.delay === 0 ? 250 : b.delay * 2, init.maxBackoffMs)
    b.next = Date.now() + b.delay
  }

  const dialSeed = (seed: SeedState): void => {
    seed.inFlight = true
    p2p.dial(seed.addr, { signal: AbortSignal.timeout(5000) })
      .then(conn => {
        seed.peerId = conn.remotePeer.toString()
        seed.delay = 0
        seed.next = 0
      }, err => {
        failed(seed)
        log.debug('seed dial failed', { seed: seed.addr.toString(), err })
      })
      .finally(() => { seed.inFlight = false })
  }

  const maintainConnections = (): void => {
    const now = Date.now()
    for (const seed of seeds) {
      if (seed.inFlight || now < seed.next) continue
      if (seed.peerId !== undefined && (isConnected(seed.peerId) || isBlocked(seed.peerId))) continue
      dialSeed(seed)
    }
    const connected = new Set(connectedPeers())
    const missing = init.targetPeers - connected.size
    if (missing <= 0) return
    const candidates = shuffle(directory.peerIds().filter(p => p !== selfId && !connected.has(p) && !isBlocked(p) &&
      directory.addresses(p).length > 0 && !(peerBackoff.get(p)?.inFlight ?? false) && now >= (peerBackoff.get(p)?.next ?? 0)))
    candidates.sort((a, b) => (directory.status(a, now) === 'active' ? 0 : 1) - (directory.status(b, now) === 'active' ? 0 : 1))
    for (const peerId of candidates.slice(0, missing)) {
      const b = peerBackoff.get(peerId) ?? { next: 0, delay: 0, inFlight: false }
      peerBackoff.set(peerId, b)
      b.inFlight = true
      dialPeer(peerId, AbortSignal.timeout(5000))
        .then(() => { peerBackoff.delete(peerId) }, () => { failed(b) })
        .finally(() => { b.inFlight = false })
    }
  }

  const learnFromNodePolicy = (record: PolicyRecord): void => {
    if (!ADDRESSED_NODE_TYPES.has(record.type)) return
    const peer = record.content.peer_id
    if (typeof peer === 'string') directory.learnAddresses(peer, p2pAddressesOf(record), typeof record.content.name === 'string' ? record.content.name : undefined)
  }

  const learnFromPolicies = (records: readonly PolicyRecord[]): void => {
    for (const r of records) {
      const peer = r.content.peer_id
      if (typeof peer === 'string' && Array.isArray(r.content.p2p)) directory.learnAddresses(peer, p2pAddressesOf(r))
    }
  }

  return { connectedPeers, isConnected, dialPeer, maintainConnections, learnFromNodePolicy, learnFromPolicies }
}
