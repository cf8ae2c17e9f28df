/**
 * What this node knows about the other nodes of the network: addresses (from seeds, heartbeats
 * and node policies) and when each was last heard. A node is `active` while its last heartbeat is
 * at most `unreachableAfterMs` old, `unreachable` after that or right after it said goodbye.
 */
export type PeerStatus = 'active' | 'unreachable'

export interface HeartbeatInfo {
  readonly name?: string
  readonly roles?: readonly string[]
  readonly version?: string
  readonly addresses?: readonly string[]
  readonly restAddress?: string
}

export interface PeerLiveness {
  readonly peerId: string
  readonly name?: string
  readonly status: PeerStatus
  /** Epoch ms of the last heartbeat; absent if never heard. */
  readonly lastSeenAt?: number
  /** Metadata version the peer reported in its last heartbeat. */
  readonly version?: string
  readonly roles: readonly string[]
  readonly addresses: readonly string[]
  readonly restAddress?: string
  readonly self: boolean
}

interface PeerEntry {
  name?: string
  roles: readonly string[]
  version?: string
  addresses: string[]
  restAddress?: string
  lastSeenAt?: number
  saidGoodbye: boolean
  reportedStatus: PeerStatus
}

export interface LivenessChange {
  readonly peerId: string
  readonly status: PeerStatus
}

export class PeerDirectory {
  private readonly peers = new Map<string, PeerEntry>()

  constructor (private readonly selfId: string, private readonly unreachableAfterMs: number) {}

  private entry (peerId: string): PeerEntry {
    let e = this.peers.get(peerId)
    if (e === undefined) {
      e = { roles: [], addresses: [], saidGoodbye: false, reportedStatus: 'unreachable' }
      this.peers.set(peerId, e)
    }
    return e
  }

  heartbeat (peerId: string, info: HeartbeatInfo, at: number): void {
    if (peerId === this.selfId) return
    const e = this.entry(peerId)
    e.lastSeenAt = at
    e.saidGoodbye = false
    if (info.name !== undefined) e.name = info.name
    if (info.roles !== undefined) e.roles = info.roles
    if (info.version !== undefined) e.version = info.version
    if (info.restAddress !== undefined) e.restAddress = info.restAddress
    if (info.addresses !== undefined && info.addresses.length > 0) e.addresses = [...info.addresses]
  }

  goodbye (peerId: string): void {
    const e = this.peers.get(peerId)
    if (e !== undefined) e.saidGoodbye = true
  }

  learnAddresses (peerId: string, addresses: readonly string[], name?: string): void {
    if (peerId === this.selfId || addresses.length === 0) return
    const e = this.entry(peerId)
    if (e.lastSeenAt === undefined || e.addresses.length === 0) e.addresses = [...new Set([...e.addresses, ...addresses])]
    if (name !== undefined) e.name ??= name
  }

  status (peerId: string, now: number): PeerStatus {
    if (peerId === this.selfId) return 'active'
    const e = this.peers.get(peerId)
    if (e === undefined || e.lastSeenAt === undefined || e.saidGoodbye) return 'unreachable'
    return now - e.lastSeenAt <= this.unreachableAfterMs ? 'active' : 'unreachable'
  }

  version (peerId: string): string | undefined {
    return this.peers.get(peerId)?.version
  }

  addresses (peerId: string): readonly string[] {
    return this.peers.get(peerId)?.addresses ?? []
  }

  peerIds (): string[] {
    return [...this.peers.keys()]
  }

  list (now: number): PeerLiveness[] {
    return [...this.peers.entries()].map(([peerId, e]) => ({
      peerId,
      ...(e.name !== undefined ? { name: e.name } : {}),
      status: this.status(peerId, now),
      ...(e.lastSeenAt !== undefined ? { lastSeenAt: e.lastSeenAt } : {}),
      ...(e.version !== undefined ? { version: e.version } : {}),
      roles: e.roles,
      addresses: e.addresses,
      ...(e.restAddress !== undefined ? { restAddress: e.restAddress } : {}),
      self: false
    }))
  }

  /** Status flips since the previous sweep. */
  sweep (now: number): LivenessChange[] {
    const changes: LivenessChange[] = []
    for (const [peerId, e] of this.peers) {
      const status = this.status(peerId, now)
      if (status !== e.reportedStatus) {
        e.reportedStatus = status
        changes.push({ peerId, status })
      }
    }
    return changes
  }
}
