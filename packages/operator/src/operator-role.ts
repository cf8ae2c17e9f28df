/**
 * The operator role of a node: DuckDB storage, REST PUT ingestion, and the KubeArmor connector feeding
 * the batching pipeline through the mapping policies. Start: storage, pipeline, connector.
 * Stop: connector first (no new rows), then the pipeline flushes everything it received, then storage closes.
 */
import { join } from 'node:path'
import { CORE_ERRORS, FedlakeError, queryThreadsAllowed, resourcePlan, silentLogger, threadPoolSize, THREADS_KEPT_FROM_QUERIES } from '@fedlake/core'
import type { CommandHandler, IngestConfig, KubeArmorTlsConfig, LimitsConfig, Logger, QueryResult, Startable, TableCreatedListener } from '@fedlake/core'
import { settledWith } from '@fedlake/sql'
import type { ResultStream } from '@fedlake/sql'
import { createGrpcClientCommands, createKubeArmorConnector, createWatermarkTracker, loadKubeArmorTls } from './connector/index.js'
import type { GrpcClientStatus, IngestWatermarks, KubeArmorConnector } from './connector/index.js'
import { BUFFERED_ROW_BYTES, createIngestFirstGate, createIngestPipeline } from './ingest/index.js'
import type { IngestPipeline, IngestStats } from './ingest/index.js'
import { createKubeArmorMappings, loadMappingPolicies } from './mapping/index.js'
import { createPutIngestor } from './put/index.js'
import type { PutRequest, PutResult } from './put/index.js'
import { putReadOnlyDbms } from './put/read-only.js'
import { createThreadedDuckDbStorage } from './storage/index.js'
import type { OperatorStorage, StorageQueryOptions } from './storage/index.js'
import { dbmsNameProblem } from './storage/identifiers.js'

export interface OperatorRoleInit {
  /** The node's data directory; DuckDB files go to `<dataDir>/duckdb/<dbms>.duckdb`. */
  readonly dataDir: string
  /** Database of the KubeArmor tables. */
  readonly dbms: string
  /** KubeArmor LogService endpoints (host:port). */
  readonly kubearmor: readonly string[]
  /** TLS to the KubeArmor endpoints; plaintext when absent or disabled. */
  readonly kubearmorTls?: KubeArmorTlsConfig
  readonly ingest: IngestConfig
  /** The node's resource limits: DuckDB's memory_limit, the concurrent queries and the ingest buffer's share come from them. */
  readonly limits?: LimitsConfig
  readonly logger?: Logger
  /** Called once for every table this operator creates (the metadata layer announces it). */
  readonly onTableCreated?: TableCreatedListener
}

export interface OperatorRole extends Startable {
  readonly storage: OperatorStorage
  put(request: PutRequest): Promise<PutResult>
  /** One validated read-only SELECT over this operator's own data, streamed (read it to the end or cancel it). */
  openQuery(dbms: string, sql: string, options?: StorageQueryOptions): Promise<ResultStream>
  /** openQuery read whole (small results). */
  query(dbms: string, sql: string, options?: StorageQueryOptions): Promise<QueryResult>
  grpcClients(): GrpcClientStatus[]
  ingestStats(): IngestStats
  /** Queries that waited to start because the ingest pipeline's commits lagged (ingest/ingest-first.ts). */
  queriesHeldForIngest(): number
  /** Per KubeArmor table, the event time from which it holds every event (connector/watermark.ts). */
  ingestWatermarks(): IngestWatermarks
  /** Called after every change of ingestWatermarks(); returns the unsubscribe function. */
  onWatermarkChange(listener: () => void): () => void
  commandHandlers(): CommandHandler[]
}

export function createOperatorRole (init: OperatorRoleInit): OperatorRole {
  const logger = init.logger ?? silentLogger
  const dbmsProblem = dbmsNameProblem(init.dbms)
  if (dbmsProblem !== undefined) throw new FedlakeError(CORE_ERRORS.CONFIG_INVALID, `dbms '${init.dbms}' cannot hold the KubeArmor tables: ${dbmsProblem}`, { dbms: init.dbms })
  // read and checked before anything starts: a bad certificate file stops the node with CONFIG_INVALID
  const kubearmorTls = init.kubearmor.length > 0 && init.kubearmorTls !== undefined ? loadKubeArmorTls(init.kubearmorTls) : undefined
  // DuckDB runs in a worker thread: appends use the second core while this thread receives and maps events
  const plan = init.limits === undefined ? undefined : resourcePlan(init.limits)
  const storage = createThreadedDuckDbStorage({
    dataDir: join(init.dataDir, 'duckdb'),
    logger: logger.child('storage'),
    ...(plan === undefined ? {} : { memoryLimit: plan.duckdbMemoryLimit, maxConcurrentQueries: storageQuerySlots(plan.maxConcurrentQueries, logger) })
  })
  const mappings = createKubeArmorMappings({ dbms: init.dbms, policies: loadMappingPolicies(init.ingest.mappingFile, { dbms: init.dbms }) })
  const pipeline: IngestPipeline = createIngestPipeline({
    sink: storage,
    logger: logger.child('ingest'),
    batchRows: init.ingest.batchRows,
    flushIntervalMs: init.ingest.flushIntervalMs,
    idleFlushMs: init.ingest.idleFlushMs,
    highWaterMs: init.ingest.maxBufferedMs,
    maxBufferedRows: maxBufferedRows(init.ingest, init.limits),
    rejectsTable: mappings.rejects,
    onTableCreated: init.onTableCreated
  })
  const watermark = createWatermarkTracker()
  const connector: KubeArmorConnector | undefined = init.kubearmor.length === 0
    ? undefined
    : createKubeArmorConnector({
      sources: init.kubearmor,
      pipeline,
      mappings,
      logger: logger.child('connector'),
      reconnectInitialMs: init.ingest.reconnectInitialMs,
      reconnectMaxMs: init.ingest.reconnectMaxMs,
      watermark,
      ...(kubearmorTls !== undefined ? { tls: kubearmorTls } : {})
    })
  const putIngestor = createPutIngestor({
    storage,
    logger: logger.child('put'),
    onTableCreated: init.onTableCreated,
    readOnlyDbms: putReadOnlyDbms({
      ...(connector !== undefined ? { connectorDbms: init.dbms } : {}),
      allowPutIntoConnectorDbms: init.ingest.allowPutIntoConnectorDbms,
      putReadOnlyDbms: init.ingest.putReadOnlyDbms
    })
  })
  const grpcClients = (): GrpcClientStatus[] => connector?.status() ?? []
  const ingestFirst = createIngestFirstGate(pipeline)

  return {
    storage,
    put: async (request) => await putIngestor.ingest(request),
    openQuery: async (dbms, sql, options) => {
      const release = await ingestFirst.admit(options?.signal)
      try {
        return settledWith(await storage.openQuery(dbms, sql, options), release)
      } catch (err) {
        release()
        throw err
      }
    },
    query: async (dbms, sql, options) => {
      const release = await ingestFirst.admit(options?.signal)
      try {
        return await storage.query(dbms, sql, options)
      } finally {
        release()
      }
    },
    queriesHeldForIngest: () => ingestFirst.held(),
    grpcClients,
    ingestStats: () => pipeline.stats(),
    ingestWatermarks: () => watermark.current(),
    onWatermarkChange: listener => watermark.onChange(listener),
    commandHandlers: () => [...createGrpcClientCommands(grpcClients), streamingHandler(() => pipeline.stats())],
    async start () {
      await storage.start()
      await pipeline.start()
      try {
        await connector?.start()
      } catch (err) {
        await pipeline.stop()
        await storage.stop()
        throw err
      }
      logger.info('operator started', { dbms: init.dbms, sources: init.kubearmor })
    },
    async stop () {
      let first: unknown
      for (const step of [async () => await connector?.stop(), async () => await pipeline.stop(), async () => await storage.stop()]) {
        try { await step() } catch (err) { first ??= err }
      }
      const stats = pipeline.stats()
      logger.info('operator stopped', { rowsCommitted: stats.rowsCommitted, rowsDropped: stats.rowsDropped, rowsRejected: stats.rowsRejected })
      if (first !== undefined) throw first
    }
  }
}

function maxBufferedRows (ingest: IngestConfig, limits: LimitsConfig | undefined): number {
  if (limits === undefined) return ingest.maxBufferedRows
  return Math.min(ingest.maxBufferedRows, Math.floor(resourcePlan(limits).ingestBufferBytes / BUFFERED_ROW_BYTES))
}

/** `get streaming`: what the ingest pipeline holds and has committed, per table (EdgeLake has a command of that name). */
function streamingHandler (stats: () => IngestStats): CommandHandler {
  return {
    words: ['get', 'streaming'],
    methods: ['GET'],
    usage: 'get streaming [where format = json]',
    async execute (command) {
      const s = stats()
      const rows = s.tables.map(t => [t.dbms, t.table, t.buffered, t.committed])
      rows.push(['*', '*', s.rowsBuffered, s.rowsCommitted])
      return {
        kind: 'table',
        title: `received ${s.rowsReceived}, committed ${s.rowsCommitted}, rejected ${s.rowsRejected}, dropped ${s.rowsDropped}, flushes ${s.flushes}, append failures ${s.appendFailures}, ` +
          `committing ${s.commitRowsPerSecond} rows/s, sources paused at ${s.highWaterRows} buffered rows, longest commit ${s.longestAppendMs} ms, ` +
          `sources paused ${s.sourcePauses} times for ${s.sourcePausedMs} ms` +
          `${s.lastError === null ? '' : `, last error: ${s.lastError}`}`,
        columns: ['DBMS', 'Table', 'Buffered', 'Committed'],
        rows,
        preferJson: /format\s*=\s*json/i.test(command)
      }
    }
  }
}

/**
 * Queries that run at once on the storage: limits.maxConcurrentQueries, unless libuv's pool is too small to also
 * leave a thread for ingest commits (a DuckDB query holds a pool thread per chunk it computes; with every thread
 * held, commits wait and the KubeArmor streams pause, which makes KubeArmor drop events).
 */
function storageQuerySlots (wanted: number, logger: Logger): number {
  const allowed = queryThreadsAllowed(wanted)
  if (allowed < wanted) {
    logger.warn('fewer storage queries at once than limits.maxConcurrentQueries: libuv\'s thread pool is small', {
      maxConcurrentQueries: wanted, allowed, UV_THREADPOOL_SIZE: threadPoolSize(), keptForCommits: THREADS_KEPT_FROM_QUERIES
    })
  }
  return allowed
}
