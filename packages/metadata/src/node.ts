/**
 * The metadata node: one libp2p node per fedlake node holding a signed, replicated policy set.
 * New policies travel by gossip (fast path); anti-entropy exchanges on connect, periodically with
 * a random peer, and when a direct peer shows a lasting version mismatch repair whatever gossip
 * missed (late joiners, restarts, partitions). Liveness frames between direct peers (liveness.ts)
 * tell every node which others are alive.
 */
import { join } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { FedlakeError, isFedlakeError, toFedlakeError } from '@fedlake/core'
import type { CommandHandler, JsonValue, Logger, Startable, TableRef, TableSchema } from '@fedlake/core'
import type { PeerId, PrivateKey, Stream } from '@libp2p/interface'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import type { Message } from '@libp2p/gossipsub'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createCatalog } from './catalog.js'
import type { Catalog, NodeEntry } from './catalog.js'
import { createMetadataCommands } from './commands/index.js'
import { METADATA_ERRORS } from './errors.js'
import { loadOrCreateNodeKey } from './keys.js'
import { loadNetworkKey } from './network-key.js'
import { clusterPolicy, nodePolicy, tableClusterPolicy, tablePolicy } from './node-policies.js'
import type { NodeInfo } from './node-policies.js'
import { LIVENESS_PROTOCOL, LivenessExchange } from './liveness.js'
import { createP2PNode, resolveHost, seedToMultiaddr } from './p2p.js'
import type { P2PNode } from './p2p.js'
import { PeerDirectory } from './peer-directory.js'
import type { LivenessChange, PeerLiveness, PeerStatus } from './peer-directory.js'
import { TOMBSTONE_TYPE, computePolicyId, parsePolicyInput, recordKeyOf, signPolicy, verifyPolicy } from './policy.js'
import type { PolicyContent, PolicyRecord, StoredPolicy } from './policy.js'
import { PolicyStore } from './store.js'
import type { PolicyChange } from './store.js'
import { SYNC_PROTOCOL, initiateSync, serveSync } from './sync.js'
import type { IngestResult, SyncContext } from './sync.js'

export const POLICY_STORE_FILE = 'policies.json'
const NODE_POLICY_TYPES = new Set(['operator', 'query'])
const REGOSSIP_WINDOW_MS = 60_000

export interface MetadataNodeInit {
  /** Holds the node key (node.key) and the policy store (policies.json). */
  readonly dataDir: string
  /** Address to listen on and advertise. */
  readonly host: string
  /** 0 picks a free port. */
  readonly p2pPort: number
  /** host:port or full multiaddrs of nodes to join. */
  readonly seeds: readonly string[]
  readonly networkName: string
  /** libp2p swarm key file; when given, only nodes with the same key can connect. */
  readonly networkKeyFile?: string
  /** Peer ids allowed to delete any policy. */
  readonly admins: readonly string[]
  readonly heartbeatIntervalMs: number
  /** A node not heard from for this long is reported unreachable. */
  readonly unreachableAfterMs: number
  readonly antiEntropyIntervalMs: number
  /** Connections the node keeps open (it dials known peers until it has this many). @default 8 */
  readonly targetPeers?: number
  readonly logger: Logger
  /** Node policies published at start; none for a bare metadata node. */
  readonly nodeInfo?: NodeInfo
  /** Tables this node stores locally (marks `get tables` rows). */
  readonly localTables?: () => readonly TableRef[]
  /** Initial ban list; see blockPeers. */
  readonly blockedPeers?: readonly string[]
}

export interface MetadataCounters {
  /** Policies this node signed (publishes and deletions). */
  published: number
  /** Records received by gossip. */
  gossipReceived: number
  /** Records received by anti-entropy. */
  syncReceived: number
  /** Received records that were new (or a newer variant). */
  accepted: number
  /** Received records already held. */
  duplicates: number
  /** Received records whose signature or id did not match: forged or corrupted. */
  rejectedForged: number
  /** Received records that are not valid policies. */
  rejectedInvalid: number
  syncRounds: number
  syncFailures: number
  /** Records sent to peers by anti-entropy. */
  syncSent: number
  /** Liveness frames sent to and received from direct peers. */
  livenessFramesSent: number
  livenessFramesReceived: number
  /** Liveness frames that were malformed or named another network (their stream is dropped). */
  livenessFramesRejected: number
  /** Records read from the data directory at start. */
  loadedFromDisk: number
}

export interface AnnounceTableOptions {
  /** Cluster name; defaults to nodeInfo.cluster. */
  readonly cluster?: string
  /** EdgeLake's `source` attribute of the table policy. */
  readonly source?: string
}

export interface AnnouncedTable {
  readonly table: StoredPolicy
  readonly cluster: StoredPolicy
}

export type PolicyFilter = Readonly<Record<string, JsonValue>>

export interface MetadataNode extends Startable {
  readonly peerId: string
  readonly networkName: string
  readonly catalog: Catalog
  p2pAddresses(): string[]
  /** Signs and publishes a policy; publishing content that is already visible returns the stored policy. */
  publish(policy: unknown): Promise<StoredPolicy>
  /** Publishes a tombstone for id (author or admin only). */
  delete(id: string): Promise<void>
  /** Visible policies of a type (`*` for all), optionally with attribute equality filters, oldest first. */
  get(type: string | readonly string[], where?: PolicyFilter): StoredPolicy[]
  /** Visible policy by id. */
  getById(id: string): StoredPolicy | undefined
  /** Digest of the held policy set; equal on converged nodes. */
  version(): string
  /** Peer ids with an open connection. */
  peers(): string[]
  /** This node first, then every node it knows, with liveness. */
  liveness(): PeerLiveness[]
  status(peerId: string): PeerStatus
  /** Publishes the `table` and child `cluster` policies for a table this operator created. */
  announceTable(schema: TableSchema, options?: AnnounceTableOptions): Promise<AnnouncedTable>
  commandHandlers(): CommandHandler[]
  onPolicyChange(listener: (change: PolicyChange) => void): () => void
  onLivenessChange(listener: (change: LivenessChange) => void): () => void
  counters(): Readonly<MetadataCounters>
  /** Pings a node over the p2p connection; resolves to the round trip in ms or undefined. */
  ping(node: NodeEntry | string, timeoutMs: number): Promise<number | undefined>
  /** Refuses connections to/from these peers and drops open ones (ban list; partition tests). */
  blockPeers(peerIds: readonly string[]): Promise<void>
  /** Dials an address (host:port or multiaddr) now. */
  dial(address: string): Promise<string>
  /** Runs one anti-entropy exchange with a connected or known peer. */
  syncWith(peerId: string): Promise<void>
}

interface Backoff { next: number, delay: number, inFlight: boolean }

interface SeedState extends Backoff { readonly addr: Multiaddr, peerId?: string }

function shuffle<T> (items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const tmp = items[i] as T
    items[i] = items[j] as T
    items[j] = tmp
  }
  return items
}

function matchesFilter (body: Readonly<Record<string, JsonValue>>, where: PolicyFilter): boolean {
  return Object.entries(where).every(([k, v]) => {
    const actual = body[k]
    if (Array.isArray(actual) && !Array.isArray(v)) return actual.some(a => a === v || String(a) === String(v))
    return actual === v || (typeof actual !== 'object' && typeof v !== 'object' && String(actual) === String(v))
  })
}

export async function createMetadataNode (init: MetadataNodeInit): Promise<MetadataNode> {
  const log = init.logger
  const privateKey: PrivateKey = await loadOrCreateNodeKey(init.dataDir)
  const networkKey = init.networkKeyFile !== undefined ? await loadNetworkKey(init.networkKeyFile) : undefined
  const blocked = new Set(init.blockedPeers ?? [])
  const p2p: P2PNode = await createP2PNode({
    privateKey,
    host: init.host,
    port: init.p2pPort,
    ...(networkKey !== undefined ? { networkKey } : {}),
    isBlocked: peerId => blocked.has(peerId)
  })
  const selfId = p2p.peerId.toString()
  const store = new PolicyStore({ file: join(init.dataDir, POLICY_STORE_FILE), admins: init.admins, logger: log.child('store') })
  const directory = new PeerDirectory(selfId, init.unreachableAfterMs)
  const policyTopic = `/fedlake/${init.networkName}/policies/1`
  const targetPeers = init.targetPeers ?? 8
  const maxBackoffMs = Math.max(1000, Math.min(init.antiEntropyIntervalMs, 5000))
  // the liveness counters live in the liveness exchange
  const counters: Omit<MetadataCounters, 'livenessFramesSent' | 'livenessFramesReceived' | 'livenessFramesRejected'> = {
    published: 0, gossipReceived: 0, syncReceived: 0, accepted: 0, duplicates: 0, rejectedForged: 0, rejectedInvalid: 0,
    syncRounds: 0, syncFailures: 0, syncSent: 0, loadedFromDisk: 0
  }
  const livenessListeners = new Set<(change: LivenessChange) => void>()
  const seeds: SeedState[] = init.seeds.map(s => ({ addr: seedToMultiaddr(s), next: 0, delay: 0, inFlight: false }))
  const peerBackoff = new Map<string, Backoff>()
  const syncsInFlight = new Map<string, Promise<void>>()
  const mismatches = new Map<string, { theirs: string, mine: string, since: number }>()
  let repairInFlight = false
  const pendingPublishes = new Map<string, Promise<StoredPolicy>>()
  const ownNodePolicyIds = new Set<string>()
  const timers: NodeJS.Timeout[] = []
  let advertisedIp = init.host
  let running = false
  let stopping = false

  const connectedPeers = (): string[] => p2p.getPeers().map(p => p.toString())
  const isConnected = (peerId: string): boolean => p2p.getConnections(peerIdFromString(peerId)).length > 0

  // ---- receiving ----------------------------------------------------------------------------

  const ingest = async (raw: unknown, origin: string): Promise<IngestResult> => {
    // Most gossip and sync traffic is records we already hold: skip the signature check for those.
    const key = heldKeyOf(raw)
    if (key !== undefined) { counters.duplicates++; return 'duplicate' }
    let record: PolicyRecord
    try {
      record = await verifyPolicy(raw)
    } catch (err) {
      const forged = isFedlakeError(err, METADATA_ERRORS.METADATA_POLICY_FORGED)
      if (forged) counters.rejectedForged++
      else counters.rejectedInvalid++
      log.warn(forged ? 'rejected a forged policy' : 'rejected an invalid policy', { origin, err, ...(isFedlakeError(err) ? err.details : {}) })
      return 'rejected'
    }
    const result = store.add(record)
    if (result === 'added' || result === 'replaced') {
      counters.accepted++
      // A fresh record that arrived by anti-entropy (e.g. a late joiner's own policies) is
      // probably missing elsewhere too: spread it by gossip instead of waiting for more rounds.
      if (origin.startsWith('sync:') && Date.now() - Date.parse(record.date) < REGOSSIP_WINDOW_MS) void gossip(record)
    } else {
      counters.duplicates++
    }
    return result
  }

  const heldKeyOf = (raw: unknown): string | undefined => {
    if (typeof raw !== 'object' || raw === null) return undefined
    const body = Object.values(raw)[0] as { signature?: unknown } | undefined
    if (typeof body?.signature !== 'string') return undefined
    const key = recordKeyOf(body.signature)
    return store.hasKey(key) ? key : undefined
  }

  const syncContext: SyncContext = { networkName: init.networkName, store, ingest }

  const onGossipPolicy = async (from: PeerId, msg: Message): Promise<TopicValidatorResult> => {
    counters.gossipReceived++
    let raw: unknown
    try { raw = JSON.parse(new TextDecoder().decode(msg.data)) } catch { counters.rejectedInvalid++; return TopicValidatorResult.Reject }
    const result = await ingest(raw, `gossip:${from.toString()}`)
    if (result === 'rejected') return TopicValidatorResult.Reject
    return result === 'added' || result === 'replaced' ? TopicValidatorResult.Accept : TopicValidatorResult.Ignore
  }

  /**
   * Gossip missed something when a direct peer keeps reporting the same version that differs from ours
   * while ours does not change either: both sides are quiet yet apart. Then one repair exchange
   * (at a time) fixes it. Moving versions mean gossip is still delivering; no action.
   */
  const checkVersion = (peerId: string, theirs: string): void => {
    const mine = store.version()
    if (theirs === mine) { mismatches.delete(peerId); return }
    const now = Date.now()
    const seen = mismatches.get(peerId)
    if (seen === undefined || seen.theirs !== theirs || seen.mine !== mine) {
      mismatches.set(peerId, { theirs, mine, since: now })
      return
    }
    if (now - seen.since < 2 * init.heartbeatIntervalMs || repairInFlight) return
    mismatches.delete(peerId)
    repairInFlight = true
    void syncWith(peerId).catch(() => undefined).finally(() => { repairInFlight = false })
  }

  // ---- sending ------------------------------------------------------------------------------

  const gossip = async (record: PolicyRecord): Promise<void> => {
    if (!running) return
    try {
      await p2p.services.pubsub.publish(policyTopic, new TextEncoder().encode(JSON.stringify(record.policy)))
    } catch (err) {
      log.warn('gossip publish failed; anti-entropy will deliver the policy', { id: record.id, err })
    }
  }

  const p2pAddresses = (): string[] => p2p.getMultiaddrs().map(a => a.toString())

  // ---- anti-entropy -------------------------------------------------------------------------

  const syncWith = (peerId: string): Promise<void> => {
    const inFlight = syncsInFlight.get(peerId)
    if (inFlight !== undefined) return inFlight
    const run = (async () => {
      counters.syncRounds++
      let stream: Stream | undefined
      try {
        const signal = AbortSignal.timeout(Math.max(10_000, init.antiEntropyIntervalMs))
        if (!isConnected(peerId)) await dialPeer(peerId, signal)
        stream = await p2p.dialProtocol(peerIdFromString(peerId), SYNC_PROTOCOL, { signal })
        const outcome = await initiateSync(stream, syncContext, `sync:${peerId}`)
        counters.syncSent += outcome.sent
        counters.syncReceived += outcome.received
        if (outcome.received > 0 || outcome.sent > 0) log.debug('anti-entropy exchange', { peer: peerId, ...outcome })
      } catch (err) {
        counters.syncFailures++
        stream?.abort(err as Error)
        if (!stopping) log.debug('anti-entropy exchange failed', { peer: peerId, err })
        throw new FedlakeError(METADATA_ERRORS.METADATA_SYNC_FAILED, `sync with ${peerId} failed: ${(err as Error).message}`, { peer: peerId }, { cause: err })
      } finally {
        syncsInFlight.delete(peerId)
      }
    })()
    syncsInFlight.set(peerId, run)
    return run
  }

  /**
   * One exchange with a random connected peer (every connection's first exchange runs on connect).
   * Only a node with no connection dials a known peer for it: dialing random peers every round grew
   * every node's connections towards the whole network, and every per-peer cost with them.
   */
  const antiEntropyTick = (): void => {
    const connected = connectedPeers().filter(p => !blocked.has(p))
    const candidates = connected.length > 0
      ? connected
      : directory.peerIds().filter(p => p !== selfId && !blocked.has(p) && directory.addresses(p).length > 0)
    const pick = candidates[Math.floor(Math.random() * candidates.length)]
    if (pick !== undefined) void syncWith(pick).catch(() => undefined)
  }

  // ---- connectivity -------------------------------------------------------------------------

  const dialPeer = async (peerId: string, signal?: AbortSignal): Promise<void> => {
    const addrs = directory.addresses(peerId).map(a => multiaddr(a.includes('/p2p/') ? a : `${a}/p2p/${peerId}`))
    await p2p.dial(addrs.length > 0 ? addrs : peerIdFromString(peerId), signal !== undefined ? { signal } : {})
  }

  const failed = (b: Backoff): void => {
    b.delay = Math.min(b.delay === 0 ? 250 : b.delay * 2, maxBackoffMs)
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
      if (seed.peerId !== undefined && (isConnected(seed.peerId) || blocked.has(seed.peerId))) continue
      dialSeed(seed)
    }
    const connected = new Set(connectedPeers())
    const missing = targetPeers - connected.size
    if (missing <= 0) return
    const candidates = shuffle(directory.peerIds().filter(p => p !== selfId && !connected.has(p) && !blocked.has(p) &&
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

  // ---- liveness -----------------------------------------------------------------------------

  const liveness = new LivenessExchange({
    selfId,
    networkName: init.networkName,
    intervalMs: init.heartbeatIntervalMs,
    unreachableAfterMs: init.unreachableAfterMs,
    directory,
    logger: log,
    connectedPeers,
    isBlocked: peerId => blocked.has(peerId),
    openStream: (peerId, signal) => p2p.dialProtocol(peerIdFromString(peerId), LIVENESS_PROTOCOL, { signal }),
    hangUp: peerId => p2p.hangUp(peerIdFromString(peerId)),
    ownDetails: () => ({
      ...(init.nodeInfo !== undefined ? { name: init.nodeInfo.name, roles: [...init.nodeInfo.roles] } : {}),
      addresses: p2pAddresses(),
      ...(init.nodeInfo?.restAddress !== undefined ? { restAddress: init.nodeInfo.restAddress } : {})
    }),
    version: () => store.version(),
    onPeerVersion: (peerId, version) => { checkVersion(peerId, version) },
    onEvidence: () => { sweepLiveness() }
  })

  const sweepLiveness = (): void => {
    for (const change of directory.sweep(Date.now())) {
      log.info(change.status === 'active' ? 'node is active' : 'node is unreachable', { peer: change.peerId })
      for (const l of livenessListeners) {
        try { l(change) } catch (err) { log.error('liveness listener failed', { err }) }
      }
    }
  }

  // ---- publishing ---------------------------------------------------------------------------

  const publishContent = (content: PolicyContent, notBefore?: string): Promise<StoredPolicy> => {
    const id = computePolicyId(content.type, content.content)
    const existing = store.get(id)
    if (existing !== undefined) return Promise.resolve(existing.policy)
    const pending = pendingPublishes.get(id)
    if (pending !== undefined) return pending
    const run = (async () => {
      // A republish after a delete must be dated after the tombstone to become visible again.
      const floor = Math.max(Date.now(), notBefore !== undefined ? Date.parse(notBefore) : 0, latestTombstoneFor(id) + 1)
      const record = await signPolicy(content, privateKey, selfId, new Date(floor))
      store.add(record)
      counters.published++
      await gossip(record)
      return record.policy
    })().finally(() => { pendingPublishes.delete(id) })
    pendingPublishes.set(id, run)
    return run
  }

  const latestTombstoneFor = (id: string): number => {
    const own = store.getRecord(computePolicyId(TOMBSTONE_TYPE, { target: id, by: selfId }))
    return own !== undefined ? Date.parse(own.date) : 0
  }

  const deletePolicy = async (id: string): Promise<void> => {
    const record = store.requireVisible(id)
    if (!store.mayDelete(record, selfId)) {
      throw new FedlakeError(METADATA_ERRORS.METADATA_NOT_AUTHORIZED, `policy ${id} belongs to ${record.author}; only its author or an admin may delete it`, { id, author: record.author })
    }
    const tombstone = await signPolicy({ type: TOMBSTONE_TYPE, content: { target: id, by: selfId } }, privateKey, selfId,
      new Date(Math.max(Date.now(), Date.parse(record.date))))
    store.add(tombstone)
    counters.published++
    await gossip(tombstone)
  }

  const company = (): string => init.nodeInfo?.company ?? init.networkName

  const clusterIdOf = (clusterName: string): string => computePolicyId('cluster', clusterPolicy(clusterName, company()).content)

  /** Publishes this node's policies and retires older ones it authored (e.g. after an address change). */
  const publishOwnPolicies = async (): Promise<void> => {
    const info = init.nodeInfo
    if (info === undefined) return
    let clusterId: string | undefined
    if (info.roles.includes('operator') && info.cluster !== undefined) {
      await publishContent(clusterPolicy(info.cluster, company()))
      clusterId = clusterIdOf(info.cluster)
    }
    const addresses = p2pAddresses()
    const tcpPort = p2p.getMultiaddrs()[0]?.getComponents().find(c => c.name === 'tcp')?.value
    const port = tcpPort !== undefined ? Number(tcpPort) : init.p2pPort
    for (const role of info.roles) {
      const content = nodePolicy(role, info, company(), {
        peerId: selfId, ip: advertisedIp, p2pPort: port, p2pAddresses: addresses, ...(clusterId !== undefined ? { clusterId } : {})
      })
      ownNodePolicyIds.add(computePolicyId(content.type, content.content))
      await publishContent(content)
    }
    for (const r of store.visible()) retireIfStale(r)
  }

  const retireIfStale = (r: PolicyRecord): void => {
    if (init.nodeInfo === undefined || !NODE_POLICY_TYPES.has(r.type) || r.author !== selfId || r.content.peer_id !== selfId) return
    if (ownNodePolicyIds.size === 0 || ownNodePolicyIds.has(r.id)) return
    void deletePolicy(r.id).then(() => { log.info('retired an outdated node policy', { id: r.id, type: r.type }) }, () => undefined)
  }

  store.onChange(change => {
    if (change.kind === 'deleted') return
    const record = store.get(change.id)
    if (record === undefined) return
    if (record.type === 'operator' || record.type === 'query' || record.type === 'master' || record.type === 'publisher') {
      const peer = record.content.peer_id
      const p2pAddrs = Array.isArray(record.content.p2p) ? record.content.p2p.filter((a): a is string => typeof a === 'string') : []
      if (typeof peer === 'string') directory.learnAddresses(peer, p2pAddrs, typeof record.content.name === 'string' ? record.content.name : undefined)
    }
    if (running) retireIfStale(record)
  })

  const catalog = createCatalog({
    visible: () => store.visible(),
    generation: () => store.generation(),
    status: peerId => directory.status(peerId, Date.now()),
    selfPeerId: selfId
  })

  const requireRunning = (): void => {
    if (!running) throw new FedlakeError(METADATA_ERRORS.METADATA_NOT_STARTED, 'the metadata node is not running')
  }

  const ping = async (target: NodeEntry | string, timeoutMs: number): Promise<number | undefined> => {
    const peerId = typeof target === 'string' ? target : target.peerId
    if (peerId === selfId) return 0
    try {
      const signal = AbortSignal.timeout(timeoutMs)
      if (peerId !== undefined) {
        if (!isConnected(peerId)) {
          const extra = typeof target === 'string' ? [] : target.p2pAddresses
          if (extra.length > 0) directory.learnAddresses(peerId, extra)
          await dialPeer(peerId, signal)
        }
        return await p2p.services.ping.ping(peerIdFromString(peerId), { signal })
      }
      if (typeof target !== 'string' && target.ip !== undefined && target.port !== undefined) {
        return await p2p.services.ping.ping(seedToMultiaddr(`${target.ip}:${target.port}`), { signal })
      }
      return undefined
    } catch {
      return undefined
    }
  }

  const node: MetadataNode = {
    peerId: selfId,
    networkName: init.networkName,
    catalog,
    p2pAddresses,

    async start () {
      if (running) return
      counters.loadedFromDisk = await store.load()
      for (const r of store.visible()) {
        const peer = r.content.peer_id
        if (typeof peer === 'string' && Array.isArray(r.content.p2p)) {
          directory.learnAddresses(peer, r.content.p2p.filter((a): a is string => typeof a === 'string'))
        }
      }
      advertisedIp = await resolveHost(init.host)
      const pubsub = p2p.services.pubsub
      pubsub.topicValidators.set(policyTopic, onGossipPolicy)
      await p2p.handle(SYNC_PROTOCOL, (stream, connection) => {
        const peer = connection.remotePeer.toString()
        serveSync(stream, syncContext, `sync:${peer}`)
          .then(outcome => { counters.syncReceived += outcome.received; counters.syncSent += outcome.sent })
          .catch(err => { stream.abort(err as Error); log.debug('serving anti-entropy failed', { peer, err }) })
      })
      await p2p.handle(LIVENESS_PROTOCOL, (stream, connection) => {
        void liveness.serve(stream, connection.remotePeer.toString())
      })
      p2p.addEventListener('connection:open', evt => {
        const conn = evt.detail
        if (!running) return
        liveness.greet(conn.remotePeer.toString())
        if (conn.direction === 'outbound') void syncWith(conn.remotePeer.toString()).catch(() => undefined)
      })
      await p2p.start()
      pubsub.subscribe(policyTopic)
      running = true
      stopping = false
      await publishOwnPolicies()
      liveness.start()
      maintainConnections()
      timers.push(setInterval(maintainConnections, Math.min(init.heartbeatIntervalMs, 1000)))
      timers.push(setInterval(antiEntropyTick, init.antiEntropyIntervalMs))
      timers.push(setInterval(sweepLiveness, Math.max(50, Math.min(250, Math.floor(init.heartbeatIntervalMs / 2)))))
      log.info('metadata node started', { peerId: selfId, addresses: p2pAddresses(), network: init.networkName, policies: store.recordCount, pnet: networkKey !== undefined })
    },

    async stop () {
      if (!running) return
      stopping = true
      for (const t of timers.splice(0)) clearInterval(t)
      await liveness.stop()
      running = false
      await Promise.allSettled([...syncsInFlight.values()])
      await store.flush()
      await p2p.stop()
      log.info('metadata node stopped', { peerId: selfId })
    },

    async publish (policy) {
      requireRunning()
      return await publishContent(parsePolicyInput(policy))
    },

    async delete (id) {
      requireRunning()
      await deletePolicy(id)
    },

    get (type, where) {
      const types = typeof type === 'string' ? [type] : type
      const all = types.includes('*')
      return store.visible()
        .filter(r => all || types.includes(r.type))
        .filter(r => where === undefined || matchesFilter(r.content, where))
        .map(r => r.policy)
    },

    getById: id => store.get(id)?.policy,
    version: () => store.version(),
    peers: connectedPeers,

    liveness () {
      const now = Date.now()
      const self: PeerLiveness = {
        peerId: selfId,
        ...(init.nodeInfo !== undefined ? { name: init.nodeInfo.name, roles: [...init.nodeInfo.roles] } : { roles: [] }),
        status: 'active',
        lastSeenAt: now,
        version: store.version(),
        addresses: p2pAddresses(),
        ...(init.nodeInfo?.restAddress !== undefined ? { restAddress: init.nodeInfo.restAddress } : {}),
        self: true
      }
      return [self, ...directory.list(now)]
    },

    status: peerId => directory.status(peerId, Date.now()),

    async announceTable (schema, options = {}) {
      requireRunning()
      const clusterName = options.cluster ?? init.nodeInfo?.cluster
      if (clusterName === undefined) {
        throw new FedlakeError(METADATA_ERRORS.METADATA_POLICY_INVALID, 'announceTable needs a cluster name (options.cluster or nodeInfo.cluster)')
      }
      await publishContent(clusterPolicy(clusterName, company()))
      const table = await publishContent(tablePolicy(schema, options.source))
      const cluster = await publishContent(tableClusterPolicy(clusterIdOf(clusterName), clusterName, company(), schema))
      return { table, cluster }
    },

    commandHandlers () {
      return createMetadataCommands({
        policies: () => store.visible(),
        publish: policy => node.publish(policy),
        delete: id => node.delete(id),
        version: () => store.version(),
        catalog,
        liveness: () => node.liveness(),
        ping,
        ...(init.localTables !== undefined ? { localTables: init.localTables } : {})
      })
    },

    onPolicyChange: listener => store.onChange(listener),

    onLivenessChange (listener) {
      livenessListeners.add(listener)
      return () => { livenessListeners.delete(listener) }
    },

    counters: () => ({ ...counters, livenessFramesSent: liveness.counters.framesSent, livenessFramesReceived: liveness.counters.framesReceived, livenessFramesRejected: liveness.counters.framesInvalid }),
    ping,

    async blockPeers (peerIds) {
      blocked.clear()
      for (const p of peerIds) blocked.add(p)
      await Promise.all(peerIds.map(async p => {
        try { await p2p.hangUp(peerIdFromString(p)) } catch { /* not connected */ }
      }))
    },

    async dial (address) {
      requireRunning()
      try {
        const conn = await p2p.dial(seedToMultiaddr(address), { signal: AbortSignal.timeout(10_000) })
        return conn.remotePeer.toString()
      } catch (err) {
        throw toFedlakeError(err, METADATA_ERRORS.METADATA_SYNC_FAILED)
      }
    },

    syncWith: peerId => syncWith(peerId)
  }
  return node
}
