/**
 * What this node knows about the other nodes of the network: addresses (from seeds, liveness frames
 * and node policies) and the freshest evidence that each is alive (its own liveness frames or a
 * neighbour's report, liveness.ts). A node is `active` while that evidence is at most
 * `unreachableAfterMs` old, `unreachable` after that or once it said goodbye (until newer evidence).
 */
export type PeerStatus = 'active' | 'unreachable'

/** What a node tells about itself (and its neighbours pass on). */
export interface NodeDetails {
  readonly name?: string
  readonly roles?: readonly string[]
  readonly addresses?: readonly string[]
  readonly restAddress?: string
  /** An operator's ingest totals since it started (so any node can export the network's ingest in its metrics). */
  readonly ingest?: IngestTotals
}

/** Rows an operator's ingest pipeline handled since the process started, over all its tables. */
export interface IngestTotals {
  /** Rows accepted into the ingest buffers. */
  readonly received: number
  /** Rows committed to DuckDB (queryable). */
  readonly committed: number
  /** Rows not stored (memory cap, stop). */
  readonly dropped: number
  /** Records that failed decoding or mapping (kept as rows of the rejects table). */
  readonly rejected: number
}

export interface PeerLiveness {
  readonly peerId: string
  readonly name?: string
  readonly status: PeerStatus
  /** Epoch ms (this node's clock) of the freshest evidence it is alive; absent if never heard of. */
  readonly lastSeenAt?: number
  /** Metadata version that came with that evidence. */
  readonly version?: string
  readonly roles: readonly string[]
  readonly addresses: readonly string[]
  readonly restAddress?: string
  readonly ingest?: IngestTotals
  readonly self: boolean
}

interface PeerEntry {
  name?: string
  roles: readonly string[]
  version?: string
  addresses: string[]
  restAddress?: string
  ingest?: IngestTotals
  lastSeenAt?: number
  versionAt?: number
  goodbyeAt?: number
  /** Named by a node policy: kept while the policy is, however long the node stays silent. */
  fromPolicy: boolean
  reportedStatus: PeerStatus
}

export interface LivenessChange {
  readonly peerId: string
  readonly status: PeerStatus
}

export class PeerDirectory {
  private readonly peers = new Map<string, PeerEntry>()

  /**
   * @param forgetAfterMs a node known only from liveness evidence (no node policy) is dropped from the
   * directory after this long without evidence, so nodes that left for good (or ids a misbehaving member
   * made up) do not stay listed as unreachable forever
   */
  constructor (
    private readonly selfId: string,
    private readonly unreachableAfterMs: number,
    private readonly forgetAfterMs = Math.max(600_000, 10 * unreachableAfterMs)
  ) {}

  private entry (peerId: string): PeerEntry {
    let e = this.peers.get(peerId)
    if (e === undefined) {
      e = { roles: [], addresses: [], fromPolicy: false, reportedStatus: 'unreachable' }
      this.peers.set(peerId, e)
    }
    return e
  }

  /** Evidence that peerId was alive at `at`, with the version it had then (the freshest such version wins). */
  observe (peerId: string, at: number, version?: string, details?: NodeDetails): void {
    if (peerId === this.selfId) return
    const e = this.entry(peerId)
    if (version !== undefined && at >= (e.versionAt ?? -Infinity)) {
      e.version = version
      e.versionAt = at
    }
    if (details !== undefined) this.learnDetails(peerId, details)
    if (e.lastSeenAt === undefined || at > e.lastSeenAt) e.lastSeenAt = at
  }

  /** peerId said goodbye at `at`; true when that is news (it was not already known gone since then). */
  goodbye (peerId: string, at: number): boolean {
    const e = this.peers.get(peerId)
    if (e === undefined || (e.goodbyeAt !== undefined && e.goodbyeAt >= at) || (e.lastSeenAt !== undefined && e.lastSeenAt > at)) return false
    e.goodbyeAt = at
    return true
  }

  learnDetails (peerId: string, details: NodeDetails): void {
    if (peerId === this.selfId) return
    const e = this.entry(peerId)
    if (details.name !== undefined) e.name = details.name
    if (details.roles !== undefined) e.roles = details.roles
    if (details.restAddress !== undefined) e.restAddress = details.restAddress
    if (details.addresses !== undefined && details.addresses.length > 0) e.addresses = [...details.addresses]
    if (details.ingest !== undefined) e.ingest = details.ingest
  }

  details (peerId: string): NodeDetails | undefined {
    const e = this.peers.get(peerId)
    if (e === undefined) return undefined
    return {
      ...(e.name !== undefined ? { name: e.name } : {}),
      roles: e.roles,
      addresses: e.addresses,
      ...(e.restAddress !== undefined ? { restAddress: e.restAddress } : {}),
      ...(e.ingest !== undefined ? { ingest: e.ingest } : {})
    }
  }

  lastSeenAt (peerId: string): number | undefined {
    return this.peers.get(peerId)?.lastSeenAt
  }

  goodbyeAt (peerId: string): number | undefined {
    return this.peers.get(peerId)?.goodbyeAt
  }

  learnAddresses (peerId: string, addresses: readonly string[], name?: string): void {
    if (peerId === this.selfId || addresses.length === 0) return
    const e = this.entry(peerId)
    e.fromPolicy = true
    if (e.lastSeenAt === undefined || e.addresses.length === 0) e.addresses = [...new Set([...e.addresses, ...addresses])]
    if (name !== undefined) e.name ??= name
  }

  status (peerId: string, now: number): PeerStatus {
    if (peerId === this.selfId) return 'active'
    const e = this.peers.get(peerId)
    if (e === undefined || e.lastSeenAt === undefined || (e.goodbyeAt !== undefined && e.goodbyeAt >= e.lastSeenAt)) return 'unreachable'
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
      ...(e.ingest !== undefined ? { ingest: e.ingest } : {}),
      self: false
    }))
  }

  /** Status flips since the previous sweep. */
  sweep (now: number): LivenessChange[] {
    const changes: LivenessChange[] = []
    for (const [peerId, e] of this.peers) {
      if (!e.fromPolicy && now - Math.max(e.lastSeenAt ?? 0, e.goodbyeAt ?? 0) > this.forgetAfterMs) {
        this.peers.delete(peerId)
        continue
      }
      const status = this.status(peerId, now)
      if (status !== e.reportedStatus) {
        e.reportedStatus = status
        changes.push({ peerId, status })
      }
    }
    return changes
  }
}
