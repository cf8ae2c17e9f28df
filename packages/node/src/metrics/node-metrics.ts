/**
 * The node's Prometheus metrics (`GET /metrics`): process and event-loop defaults from prom-client, and the
 * node's own, read at scrape time from its live objects (ingest pipeline, KubeArmor subscriptions, DuckDB
 * files, network query log, metadata layer). One registry per node, so several nodes can share a process.
 */
import { join } from 'node:path'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { policyTypeOf } from '@fedlake/metadata'
import type { IngestTotals } from '@fedlake/metadata'
import { QUERY_DURATION_BUCKETS_SECONDS } from '@fedlake/query'
import type { NodeServices } from '../node-services.js'
import { readinessOf } from '../readiness.js'
import { duckDbFileSizes } from './duckdb-files.js'
import { keptHistogram, liveCounter, liveGauge } from './live-metrics.js'
import type { Sample } from './live-metrics.js'

export interface NodeMetrics {
  /** `text/plain; version=0.0.4; charset=utf-8` */
  readonly contentType: string
  /** The exposition text of every metric, collected now. */
  scrape(): Promise<string>
}

export interface NodeMetricsInit {
  readonly services: NodeServices
  /** Requests refused for a missing or wrong REST token, when the node has one. */
  readonly unauthorizedRequests?: () => number
}

export function createNodeMetrics (init: NodeMetricsInit): NodeMetrics {
  const { services } = init
  const { config } = services
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  liveGauge({
    registry,
    name: 'fedlake_node_info',
    help: 'Always 1; labels name the node, its roles, cluster and network.',
    labelNames: ['node', 'roles', 'cluster', 'network'],
    read: () => [[{ node: config.name, roles: config.roles.join(','), cluster: config.cluster, network: config.metadata.networkName }, 1]]
  })
  liveGauge({
    registry,
    name: 'fedlake_node_ready',
    help: '1 when the node is ready (GET /ready answers 200), else 0.',
    read: () => [[{}, readinessOf(services).ready ? 1 : 0]]
  })
  if (init.unauthorizedRequests !== undefined) {
    const read = init.unauthorizedRequests
    liveCounter({ registry, name: 'fedlake_rest_unauthorized_requests_total', help: 'REST requests refused with 401 for a missing or wrong bearer token.', read: () => [[{}, read()]] })
  }
  if (services.operator !== undefined) operatorMetrics(registry, services.operator, join(config.dataDir, 'duckdb'))
  if (services.subqueries !== undefined) subqueryMetrics(registry, services.subqueries)
  if (config.roles.includes('query')) queryMetrics(registry, services)
  metadataMetrics(registry, services)

  return {
    contentType: registry.contentType,
    scrape: async () => await registry.metrics()
  }
}

type Operator = NonNullable<NodeServices['operator']>

function operatorMetrics (registry: Registry, operator: Operator, duckdbDir: string): void {
  type SubscriptionLabel = 'source' | 'stream'
  const perSubscription = (value: (s: ReturnType<Operator['grpcClients']>[number]) => number | undefined): Array<Sample<SubscriptionLabel>> =>
    operator.grpcClients().flatMap(s => {
      const v = value(s)
      return v === undefined ? [] : [[{ source: s.source, stream: s.stream }, v] as const]
    })
  const subscriptionLabels: SubscriptionLabel[] = ['source', 'stream']
  liveCounter({ registry, name: 'fedlake_kubearmor_events_received_total', help: 'KubeArmor events received, per source and stream (logs, alerts, messages).', labelNames: subscriptionLabels, read: () => perSubscription(s => s.dataMessages) })
  liveCounter({ registry, name: 'fedlake_kubearmor_events_rejected_total', help: 'KubeArmor events that could not be decoded or mapped (each became a row of the rejects table), per source and stream.', labelNames: subscriptionLabels, read: () => perSubscription(s => s.rejected) })
  liveCounter({ registry, name: 'fedlake_kubearmor_reconnects_total', help: 'Re-subscriptions to a KubeArmor source, per source and stream.', labelNames: subscriptionLabels, read: () => perSubscription(s => s.reconnects) })
  liveCounter({ registry, name: 'fedlake_kubearmor_timeouts_total', help: 'KubeArmor calls that ended with DEADLINE_EXCEEDED, per source and stream.', labelNames: subscriptionLabels, read: () => perSubscription(s => s.timeouts) })
  liveGauge({ registry, name: 'fedlake_kubearmor_subscription_active', help: '1 while the subscription streams (status Active), else 0.', labelNames: subscriptionLabels, read: () => perSubscription(s => s.status === 'Active' ? 1 : 0) })
  liveGauge({
    registry,
    name: 'fedlake_kubearmor_last_event_timestamp_seconds',
    help: 'When the last KubeArmor event of the subscription arrived (Unix time); absent before the first.',
    labelNames: subscriptionLabels,
    read: () => perSubscription(s => s.lastMessageTime === null ? undefined : Date.parse(s.lastMessageTime) / 1000)
  })

  type TableLabel = 'dbms' | 'table'
  const tableLabels: TableLabel[] = ['dbms', 'table']
  const perTable = (value: (t: ReturnType<Operator['ingestStats']>['tables'][number]) => number): Array<Sample<TableLabel>> =>
    operator.ingestStats().tables.map(t => [{ dbms: t.dbms, table: t.table }, value(t)] as const)
  liveCounter({ registry, name: 'fedlake_ingest_rows_received_total', help: 'Rows accepted into the ingest buffers (KubeArmor events mapped to rows, and rejects rows), per table.', labelNames: tableLabels, read: () => perTable(t => t.received) })
  liveCounter({ registry, name: 'fedlake_ingest_rows_committed_total', help: 'Rows committed to DuckDB by the ingest pipeline (queryable), per table.', labelNames: tableLabels, read: () => perTable(t => t.committed) })
  liveCounter({ registry, name: 'fedlake_ingest_rows_dropped_total', help: 'Rows not stored: refused at the memory cap, after stop, or abandoned at stop, per table.', labelNames: tableLabels, read: () => perTable(t => t.dropped) })
  liveGauge({ registry, name: 'fedlake_ingest_rows_buffered', help: 'Rows waiting in memory to be committed, per table.', labelNames: tableLabels, read: () => perTable(t => t.buffered) })
  liveGauge({
    registry,
    name: 'fedlake_ingest_lag_seconds',
    help: 'Age of the oldest row received and not yet committed (0 when every row is committed): how far queryable data is behind what arrived, per table.',
    labelNames: tableLabels,
    read: () => {
      const now = Date.now()
      return perTable(t => t.oldestBufferedAt === null ? 0 : Math.max(0, now - t.oldestBufferedAt) / 1000)
    }
  })
  liveCounter({ registry, name: 'fedlake_ingest_records_rejected_total', help: 'Records that failed decoding or mapping and became rows of the rejects table (all streams).', read: () => [[{}, operator.ingestStats().rowsRejected]] })
  liveCounter({ registry, name: 'fedlake_ingest_source_pauses_total', help: 'Times the ingest pipeline paused the KubeArmor streams (it held ingest.maxBufferedMs of commits); KubeArmor drops events for a paused subscriber once its own queue is full.', read: () => [[{}, operator.ingestStats().sourcePauses]] })
  liveCounter({ registry, name: 'fedlake_ingest_source_paused_seconds_total', help: 'Time the KubeArmor streams were paused by the ingest pipeline, in total.', read: () => [[{}, operator.ingestStats().sourcePausedMs / 1000]] })
  liveCounter({ registry, name: 'fedlake_queries_held_for_ingest_total', help: 'Queries (local and sub-queries) that waited for their turn, at most 5 s, because the ingest pipeline\'s commits lagged behind what arrived (an operator then runs one query at a time).', read: () => [[{}, operator.queriesHeldForIngest()]] })
  liveCounter({ registry, name: 'fedlake_ingest_append_failures_total', help: 'Appends to DuckDB that failed (their rows are kept and retried).', read: () => [[{}, operator.ingestStats().appendFailures]] })
  liveGauge({
    registry,
    name: 'fedlake_duckdb_file_bytes',
    help: 'Size of the operator\'s DuckDB files per dbms: the database, its write-ahead log, its spill directory (temp).',
    labelNames: ['dbms', 'file'],
    read: async () => (await duckDbFileSizes(duckdbDir)).map(f => [{ dbms: f.dbms, file: f.file }, f.bytes] as const)
  })
}

function queryMetrics (registry: Registry, services: NodeServices): void {
  const totals = (): ReturnType<NonNullable<ReturnType<NodeServices['network']>>['log']['totals']> | undefined => services.network()?.log.totals()
  liveCounter({
    registry,
    name: 'fedlake_network_queries_total',
    help: 'Network queries finished on this query node, by status: completed, failed (an error or the deadline), cancelled (the client went away).',
    labelNames: ['status'],
    read: () => {
      const t = totals()
      return t === undefined ? [] : Object.entries(t.finished).map(([status, n]) => [{ status }, n] as const)
    }
  })
  liveGauge({
    registry,
    name: 'fedlake_network_queries_running',
    help: 'Network queries started and not finished.',
    read: () => {
      const t = totals()
      return [[{}, t === undefined ? 0 : t.started - t.finished.completed - t.finished.failed - t.finished.cancelled]]
    }
  })
  liveGauge({
    registry,
    name: 'fedlake_network_queries_waiting',
    help: 'Network queries waiting for one of the node\'s limits.maxConcurrentQueries slots.',
    read: () => [[{}, services.network()?.waiting() ?? 0]]
  })
  keptHistogram({
    registry,
    name: 'fedlake_network_query_duration_seconds',
    help: 'Duration of finished network queries, from the command to the last row handed to the reply.',
    bounds: QUERY_DURATION_BUCKETS_SECONDS,
    read: () => {
      const t = totals()
      return t === undefined ? undefined : { bucketCounts: t.durationCounts, sum: t.durationSumSeconds }
    }
  })
  liveCounter({
    registry,
    name: 'fedlake_network_subqueries_total',
    help: 'Sub-queries this query node sent, per operator node.',
    labelNames: ['node'],
    read: () => [...totals()?.subqueries ?? []].map(([node, s]) => [{ node }, s.sent] as const)
  })
  liveCounter({
    registry,
    name: 'fedlake_network_subquery_errors_total',
    help: 'Sub-queries that failed (operator unreachable, an error on the operator, cut off), per operator node.',
    labelNames: ['node'],
    read: () => [...totals()?.subqueries ?? []].map(([node, s]) => [{ node }, s.failed] as const)
  })
}

function subqueryMetrics (registry: Registry, counts: NonNullable<NodeServices['subqueries']>): void {
  liveGauge({ registry, name: 'fedlake_subqueries_running', help: 'Sub-queries this operator is answering for query nodes (until their DuckDB query has ended or been told to stop).', read: () => [[{}, counts().running]] })
  liveCounter({
    registry,
    name: 'fedlake_subqueries_served_total',
    help: 'Sub-queries this operator answered, by outcome: completed, cancelled (by the query node, e.g. its client left or a LIMIT was reached, or by their deadline), failed.',
    labelNames: ['outcome'],
    read: () => {
      const c = counts()
      return [[{ outcome: 'completed' }, c.completed], [{ outcome: 'cancelled' }, c.cancelled], [{ outcome: 'failed' }, c.failed]]
    }
  })
}

function metadataMetrics (registry: Registry, services: NodeServices): void {
  liveGauge({ registry, name: 'fedlake_metadata_peers_connected', help: 'Nodes this node has an open p2p connection with.', read: () => [[{}, services.metadata()?.peers().length ?? 0]] })
  liveGauge({
    registry,
    name: 'fedlake_metadata_policies',
    help: 'Policies this node holds (visible, signatures verified), by type.',
    labelNames: ['type'],
    read: () => {
      const counts = new Map<string, number>()
      for (const policy of services.metadata()?.get('*') ?? []) {
        const type = policyTypeOf(policy)
        counts.set(type, (counts.get(type) ?? 0) + 1)
      }
      return [...counts].map(([type, n]) => [{ type }, n] as const)
    }
  })
  liveGauge({
    registry,
    name: 'fedlake_metadata_nodes',
    help: 'Other nodes this node knows, by liveness status (active, unreachable).',
    labelNames: ['status'],
    read: () => {
      const counts = { active: 0, unreachable: 0 }
      for (const peer of services.metadata()?.liveness() ?? []) if (!peer.self) counts[peer.status]++
      return Object.entries(counts).map(([status, n]) => [{ status }, n] as const)
    }
  })
  liveCounter({
    registry,
    name: 'fedlake_metadata_records_received_total',
    help: 'Policy records received from other nodes, by way (gossip, sync).',
    labelNames: ['via'],
    read: () => {
      const c = services.metadata()?.counters()
      return c === undefined ? [] : [[{ via: 'gossip' }, c.gossipReceived], [{ via: 'sync' }, c.syncReceived]]
    }
  })
  liveCounter({
    registry,
    name: 'fedlake_metadata_records_rejected_total',
    help: 'Received policy records refused, by reason: forged (signature or id mismatch), invalid (not a policy).',
    labelNames: ['reason'],
    read: () => {
      const c = services.metadata()?.counters()
      return c === undefined ? [] : [[{ reason: 'forged' }, c.rejectedForged], [{ reason: 'invalid' }, c.rejectedInvalid]]
    }
  })
  const networkIngest = (value: (totals: IngestTotals) => number): Array<Sample<'node'>> =>
    (services.metadata()?.liveness() ?? []).flatMap(peer => peer.ingest === undefined ? [] : [[{ node: peer.name ?? peer.peerId }, value(peer.ingest)] as const])
  const networkIngestHelp = (what: string): string =>
    `${what}, per operator of the network (this node included), as each operator last reported over liveness (every second while it changes); the operator's own fedlake_ingest_* metrics have them per table.`
  liveCounter({ registry, name: 'fedlake_network_ingest_rows_received_total', help: networkIngestHelp('Rows an operator accepted into its ingest buffers since it started'), labelNames: ['node'], read: () => networkIngest(t => t.received) })
  liveCounter({ registry, name: 'fedlake_network_ingest_rows_committed_total', help: networkIngestHelp('Rows an operator committed to DuckDB since it started'), labelNames: ['node'], read: () => networkIngest(t => t.committed) })
  liveCounter({ registry, name: 'fedlake_network_ingest_rows_dropped_total', help: networkIngestHelp('Rows an operator did not store since it started'), labelNames: ['node'], read: () => networkIngest(t => t.dropped) })
  liveCounter({ registry, name: 'fedlake_network_ingest_records_rejected_total', help: networkIngestHelp('Records an operator could not decode or map since it started'), labelNames: ['node'], read: () => networkIngest(t => t.rejected) })
  liveCounter({
    registry,
    name: 'fedlake_metadata_sync_failures_total',
    help: 'Anti-entropy exchanges with a peer that failed.',
    read: () => [[{}, services.metadata()?.counters().syncFailures ?? 0]]
  })
}
