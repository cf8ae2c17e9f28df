/**
 * The policies fedlake publishes about this node (metadata.md, "Policies fedlake publishes itself"):
 * one node policy per role and the operator's cluster at start, the table and child cluster policies
 * when an operator announces a table, and the retirement of this node's older node policies once its
 * addresses changed.
 */
import { FedlakeError } from '@fedlake/core'
import type { Logger, TableSchema } from '@fedlake/core'
import type { AnnounceTableOptions, AnnouncedTable } from './api.js'
import { METADATA_ERRORS } from './errors.js'
import { clusterPolicy, nodePolicy, tableClusterPolicy, tablePolicy } from './node-policies.js'
import type { IngestSince, NodeInfo } from './node-policies.js'
import { computePolicyId } from './policy.js'
import type { PolicyRecord } from './policy.js'
import type { Publisher } from './publisher.js'

const NODE_POLICY_TYPES = new Set(['operator', 'query'])

export interface OwnPoliciesInit {
  readonly nodeInfo?: NodeInfo
  readonly selfId: string
  readonly networkName: string
  readonly publisher: Publisher
  /** Every visible record. */
  readonly visible: () => readonly PolicyRecord[]
  /** The IP this node advertises. */
  readonly advertisedIp: () => string
  /** The TCP port libp2p listens on, once it does. */
  readonly listenPort: () => number | undefined
  /** The configured p2p port (0 = any), used when libp2p reports none. */
  readonly configuredPort: number
  readonly p2pAddresses: () => string[]
  readonly logger: Logger
}

export interface OwnPolicies {
  /** Publishes this node's policies and retires older ones it authored (e.g. after an address change). */
  publishAll(): Promise<void>
  /** Deletes the record when it is an outdated node policy of this node. */
  retireIfStale(record: PolicyRecord): void
  announceTable(schema: TableSchema, options: AnnounceTableOptions): Promise<AnnouncedTable>
  /** The operator's ingest watermark changed: its node policy carries the new one (published by publishAll). */
  setIngestSince(since: IngestSince): void
}

export function createOwnPolicies (init: OwnPoliciesInit): OwnPolicies {
  const { nodeInfo, selfId, publisher } = init
  let ownNodePolicyIds = new Set<string>()
  let ingestSince: { since: IngestSince, at: number } | undefined

  const company = (): string => nodeInfo?.company ?? init.networkName
  const clusterIdOf = (clusterName: string): string => computePolicyId('cluster', clusterPolicy(clusterName, company()).content)

  const retireIfStale = (r: PolicyRecord): void => {
    if (nodeInfo === undefined || !NODE_POLICY_TYPES.has(r.type) || r.author !== selfId || r.content.peer_id !== selfId) return
    if (ownNodePolicyIds.size === 0 || ownNodePolicyIds.has(r.id)) return
    void publisher.delete(r.id).then(() => { init.logger.info('retired an outdated node policy', { id: r.id, type: r.type }) }, () => undefined)
  }

  const publishAll = async (): Promise<void> => {
    if (nodeInfo === undefined) return
    let clusterId: string | undefined
    if (nodeInfo.roles.includes('operator') && nodeInfo.cluster !== undefined) {
      await publisher.publish(clusterPolicy(nodeInfo.cluster, company()))
      clusterId = clusterIdOf(nodeInfo.cluster)
    }
    const addresses = init.p2pAddresses()
    const port = init.listenPort() ?? init.configuredPort
    const contents = nodeInfo.roles.map(role => nodePolicy(role, nodeInfo, company(), {
      peerId: selfId, ip: init.advertisedIp(), p2pPort: port, p2pAddresses: addresses, ...(clusterId !== undefined ? { clusterId } : {})
    }, ingestSince?.since, ingestSince?.at))
    // the current ones only: a policy this node published before (an older watermark) is retired below
    ownNodePolicyIds = new Set(contents.map(content => computePolicyId(content.type, content.content)))
    for (const content of contents) await publisher.publish(content)
    for (const r of init.visible()) retireIfStale(r)
  }

  const announceTable = async (schema: TableSchema, options: AnnounceTableOptions): Promise<AnnouncedTable> => {
    const clusterName = options.cluster ?? nodeInfo?.cluster
    if (clusterName === undefined) {
      throw new FedlakeError(METADATA_ERRORS.METADATA_POLICY_INVALID, 'announceTable needs a cluster name (options.cluster or nodeInfo.cluster)')
    }
    await publisher.publish(clusterPolicy(clusterName, company()))
    const table = await publisher.publish(tablePolicy(schema, options.source))
    const cluster = await publisher.publish(tableClusterPolicy(clusterIdOf(clusterName), clusterName, company(), schema))
    return { table, cluster }
  }

  return { publishAll, retireIfStale, announceTable, setIngestSince: since => { ingestSince = { since, at: Date.now() } } }
}
