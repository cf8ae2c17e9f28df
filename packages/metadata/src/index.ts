/**
 * @packageDocumentation
 * @fedlake/metadata — the replicated metadata layer: a libp2p node per fedlake node holding
 * signed EdgeLake-style policies, spread by gossip and repaired by anti-entropy, with heartbeats
 * for liveness, a catalog for the query planner and the `blockchain ...` / `get ...` commands.
 *
 * Import '@fedlake/core/polyfills' before this package on Node 20 (libp2p needs Promise.withResolvers).
 */
import '@fedlake/core/polyfills'

export { createMetadataNode, POLICY_STORE_FILE } from './node.js'
export type {
  MetadataNode, MetadataNodeInit, MetadataCounters, AnnounceTableOptions, AnnouncedTable, PolicyFilter
} from './api.js'
export type { Catalog, ClusterHolding, NodeEntry, OperatorEntry } from './catalog.js'
export type { IngestTotals, PeerLiveness, PeerStatus, LivenessChange } from './peer-directory.js'
export type { PolicyChange, PolicyChangeKind } from './store.js'
export type { StoredPolicy, PolicyBody } from './policy.js'
export { computePolicyId, policyTypeOf, policyBodyOf, TOMBSTONE_TYPE } from './policy.js'
export type { IngestSince, NodeInfo, NodeRole } from './node-policies.js'
export { createTableText, parseCreateTable, columnTypeOf } from './node-policies.js'
export { generateNetworkKey, loadNetworkKey } from './network-key.js'
export type { GenerateNetworkKeyOptions } from './network-key.js'
export { NODE_KEY_FILE } from './keys.js'
export { canonicalJson } from './canonical.js'
export { METADATA_ERRORS } from './errors.js'
export { SYNC_PROTOCOL } from './sync.js'
export type { PeerStream } from './peer-stream.js'
export { DEFAULT_MAX_FRAME_BYTES } from './peer-stream.js'
export type { HandleStreamOptions, OpenStreamOptions, PeerStreamHandler } from './peer-streams.js'
