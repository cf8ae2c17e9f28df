/** The metadata node's public contract: what createMetadataNode takes and what it returns. */
import type { CommandHandler, JsonValue, Logger, Startable, TableRef, TableSchema } from '@fedlake/core'
import type { Catalog, NodeEntry } from './catalog.js'
import type { IngestSince, NodeInfo } from './node-policies.js'
import type { IngestTotals, LivenessChange, PeerLiveness, PeerStatus } from './peer-directory.js'
import type { PeerStream } from './peer-stream.js'
import type { HandleStreamOptions, OpenStreamOptions, PeerStreamHandler } from './peer-streams.js'
import type { StoredPolicy } from './policy.js'
import type { PolicyChange } from './store.js'

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
  /** An operator's ingest totals, shared with every node over liveness (for the network's ingest metrics). */
  readonly ingestTotals?: () => IngestTotals
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
  /**
   * The operator's ingest watermark changed: republishes its node policy with it (`ingest_since`) and retires the
   * previous one. Query nodes choose the member of a cluster whose watermark covers a query's time range.
   */
  setIngestSince(since: IngestSince): Promise<void>
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
  /**
   * Serves a stream protocol (a short name such as `subquery/1`, sent as `/fedlake/<network>/<name>`).
   * The handler owns the stream: when its promise resolves the write side is closed, when it throws or
   * rejects the stream is reset. Returns the unregister function.
   */
  handleStream(protocol: string, handler: PeerStreamHandler, options?: HandleStreamOptions): () => void
  /**
   * Opens a stream of a protocol to a node (its peer id or catalog entry) over the nodes' connection,
   * dialling it first when needed. Fails with METADATA_PEER_UNREACHABLE, METADATA_PROTOCOL_UNSUPPORTED or
   * METADATA_STREAM_CANCELLED; `options.signal` bounds opening and then the stream.
   */
  openStream(node: NodeEntry | string, protocol: string, options?: OpenStreamOptions): Promise<PeerStream>
  /** The peer id serving a node: a catalog entry's, a node name's (when unambiguous), or a peer id itself. */
  peerIdOf(node: NodeEntry | string): string | undefined
}
