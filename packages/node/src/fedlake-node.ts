/**
 * The composition root of one fedlake node: builds the roles the config asks for, registers their
 * commands with the router and serves them over REST.
 *
 * Start order: operator (storage, ingestion), REST (so its real port is known), metadata (which
 * publishes the node policy with that REST address, then announces the operator's tables).
 * Stop order is the reverse of that, except that REST stops first so no request races the shutdown,
 * and the metadata node goes last so the node says goodbye after its data is flushed.
 */
import { join } from 'node:path'
import { resourcePlan, startTogether, stopAll } from '@fedlake/core'
import type { Logger, NodeConfig, Startable, TableRef, TableSchema } from '@fedlake/core'
import { createMetadataNode } from '@fedlake/metadata'
import type { MetadataNode, MetadataNodeInit, NodeRole } from '@fedlake/metadata'
import { createMergeEngine, createSqlParser } from '@fedlake/duckdb'
import { createOperatorRole, createSubqueryService } from '@fedlake/operator'
import { createNetworkExecutor } from '@fedlake/query'
import type { NetworkExecutor } from '@fedlake/query'
import { SUBQUERY_PROTOCOL } from '@fedlake/sql'
import type { OperatorRole } from '@fedlake/operator'
import { helpHandler, statusHandler } from './builtin-commands.js'
import { createCommandRouter } from './command-router.js'
import { createEventLoopMonitor } from './event-loop-monitor.js'
import { restTokenGuard } from './http/auth.js'
import { grafanaRoutes } from './http/grafana-routes.js'
import { healthRoutes } from './http/health-routes.js'
import { mcpRoutes } from './http/mcp-routes.js'
import { metricsRoutes } from './http/metrics-routes.js'
import { createRestServer } from './http/rest-app.js'
import type { RestPlugin, RestServer } from './http/rest-app.js'
import { uiRoutes } from './http/ui-routes.js'
import type { NodeMetrics } from './metrics/node-metrics.js'
import type { NodeServices } from './node-services.js'
import { queryCommandHandlers } from './query-commands.js'
import { sqlCommandHandlers } from './sql-command.js'

export interface FedlakeNode extends Startable {
  readonly config: NodeConfig
  restUrl(): string
  p2pAddresses(): string[]
  /** Present once started. */
  metadata(): MetadataNode | undefined
}

export interface FedlakeNodeComponents {
  logger: Logger
}

export function createFedlakeNode (config: NodeConfig, components: FedlakeNodeComponents): FedlakeNode {
  const logger = components.logger
  const router = createCommandRouter()
  const eventLoop = createEventLoopMonitor()
  const localTables = new Map<string, TableRef>()
  let rest: RestServer | undefined
  let metadata: MetadataNode | undefined
  let stoppers: Startable[] = []
  let unwatchWatermark: (() => void) | undefined
  let started = false

  const announce = async (schema: TableSchema): Promise<void> => {
    localTables.set(`${schema.dbms}.${schema.table}`, { dbms: schema.dbms, table: schema.table })
    if (metadata === undefined) return // announced once metadata starts
    try {
      await metadata.announceTable(schema, { cluster: config.cluster, source: `fedlake operator ${config.name}` })
    } catch (err) {
      logger.error('could not announce table', { dbms: schema.dbms, table: schema.table, error: (err as Error).message })
    }
  }

  const operator: OperatorRole | undefined = config.roles.includes('operator')
    ? createOperatorRole({
      dataDir: config.dataDir,
      dbms: config.dbms,
      kubearmor: config.kubearmor,
      kubearmorTls: config.kubearmorTls,
      ingest: config.ingest,
      limits: config.limits,
      logger: logger.child('operator'),
      onTableCreated: announce
    })
    : undefined

  // Sub-queries from query nodes (and from this node's own query role, through an in-process pipe).
  const subqueryService = operator === undefined
    ? undefined
    : createSubqueryService({ openQuery: async (dbms, sql, options) => await operator.openQuery(dbms, sql, options), maxTimeoutMs: config.limits.maxCommandTimeoutMs, logger: logger.child('operator') })
  // The query role: DuckDB's parser and the merge engine here, the executor once the metadata layer is up.
  const queryEngine = config.roles.includes('query')
    ? { parser: createSqlParser(), engine: createMergeEngine({ memoryLimit: resourcePlan(config.limits).duckdbMemoryLimit, tempDirectory: join(config.dataDir, 'merge.tmp') }) }
    : undefined
  let network: NetworkExecutor | undefined

  /** The p2p port the node listens on: the configured one, or the one the system chose for port 0. */
  const p2pPort = (): number => {
    if (config.p2pPort !== 0) return config.p2pPort
    const listening = /\/tcp\/(\d+)/.exec(metadata?.p2pAddresses()[0] ?? '')?.[1]
    return listening === undefined ? 0 : Number(listening)
  }
  router.register([
    statusHandler(() => ({ name: config.name, address: `${config.host}:${p2pPort()}`, roles: config.roles }), eventLoop),
    helpHandler(router),
    ...sqlCommandHandlers({ operator, limits: config.limits, network: () => network, runCommand: async (command, ctx) => await router.execute(command, ctx) }),
    ...queryCommandHandlers(() => network),
    ...(operator?.commandHandlers() ?? [])
  ])


  const metadataInit = (): MetadataNodeInit => ({
    dataDir: join(config.dataDir, 'metadata'),
    host: config.host,
    p2pPort: config.p2pPort,
    seeds: config.seeds,
    networkName: config.metadata.networkName,
    networkKeyFile: config.metadata.networkKeyFile,
    admins: config.metadata.admins,
    heartbeatIntervalMs: config.metadata.heartbeatIntervalMs,
    unreachableAfterMs: config.metadata.unreachableAfterMs,
    antiEntropyIntervalMs: config.metadata.antiEntropyIntervalMs,
    targetPeers: config.metadata.targetPeers,
    logger: logger.child('metadata'),
    localTables: () => [...localTables.values()],
    ...(operator === undefined
      ? {}
      : {
          ingestTotals: () => {
            const stats = operator.ingestStats()
            return { received: stats.rowsReceived, committed: stats.rowsCommitted, dropped: stats.rowsDropped, rejected: stats.rowsRejected }
          }
        }),
    // called after the REST server listens, so the node policy carries its real port
    nodeInfo: {
      name: config.name,
      roles: config.roles as NodeRole[],
      ...(operator === undefined ? {} : { cluster: config.cluster }),
      restAddress: rest?.url().replace(/^https?:\/\//, '') ?? `${config.host}:${config.restPort}`
    }
  })

  /** What the HTTP surfaces beyond EdgeLake's commands need of this node (read when each request comes). */
  const services: NodeServices = {
    config,
    router,
    operator,
    ...(subqueryService === undefined ? {} : { subqueries: () => subqueryService.counts() }),
    network: () => network,
    metadata: () => metadata,
    started: () => started,
    eventLoop
  }
  const tokenGuard = config.restToken === undefined ? undefined : restTokenGuard({ token: config.restToken, nodeName: config.name, logger: logger.child('rest') })
  // prom-client (a few dozen CommonJS modules) loads with the first scrape, not at start-up; its default process
  // metrics (GC, event-loop lag) count from then on
  let metrics: Promise<NodeMetrics> | undefined
  const nodeMetrics = async (): Promise<NodeMetrics> => await (metrics ??= import('./metrics/node-metrics.js')
    .then(m => m.createNodeMetrics({ services, ...(tokenGuard === undefined ? {} : { unauthorizedRequests: tokenGuard.refused }) })))
  /** The HTTP surfaces on the REST port besides EdgeLake's commands and PUT. */
  const restPlugins = (): RestPlugin[] => [
    ...(tokenGuard === undefined ? [] : [tokenGuard.plugin]),
    healthRoutes(services),
    metricsRoutes(nodeMetrics),
    mcpRoutes(services),
    grafanaRoutes(services, logger.child('grafana')),
    uiRoutes()
  ]

  return {
    config,
    restUrl: () => rest?.url() ?? '',
    p2pAddresses: () => metadata?.p2pAddresses() ?? [],
    metadata: () => metadata,
    async start () {
      rest = createRestServer({
        host: config.host,
        port: config.restPort,
        nodeName: config.name,
        router,
        logger: logger.child('rest'),
        bodyLimitBytes: config.ingest.maxPutBytes,
        commandTimeoutMs: config.limits.commandTimeoutMs,
        maxCommandTimeoutMs: config.limits.maxCommandTimeoutMs,
        put: operator === undefined ? undefined : async (req) => await operator.put(req),
        plugins: restPlugins()
      })
      const queryParts: Startable[] = queryEngine === undefined ? [] : [queryEngine.parser, queryEngine.engine]
      const localParts: Startable[] = [...queryParts, ...(operator === undefined ? [] : [operator])]
      // The storage worker and the DuckDB instances load on their own threads while this one starts the REST
      // server and the metadata layer (libp2p): start-up takes the longest of them, not their sum. REST comes
      // before the metadata layer, whose node policy carries its real port; until the node reports ready,
      // /ready says not ready and commands that need a part not yet started answer with an error.
      await eventLoop.start()
      const localStarted = startTogether(localParts).then(() => undefined, (err: unknown) => ({ err }))
      let metadataNode: MetadataNode | undefined
      let failure: { err: unknown } | undefined
      try {
        await rest.start()
        metadataNode = await createMetadataNode(metadataInit())
        await metadataNode.start()
      } catch (err) {
        failure = { err }
      }
      const localFailure = await localStarted
      if (failure !== undefined || localFailure !== undefined || metadataNode === undefined) {
        await stopAll([eventLoop, ...(localFailure === undefined ? localParts : []), rest, ...(failure === undefined && metadataNode !== undefined ? [metadataNode] : [])]).catch(() => undefined)
        throw (failure ?? localFailure)?.err ?? new Error('the metadata layer did not start')
      }
      router.register(metadataNode.commandHandlers())
      metadata = metadataNode
      if (subqueryService !== undefined) metadataNode.handleStream(SUBQUERY_PROTOCOL, subqueryService)
      if (queryEngine !== undefined) {
        network = createNetworkExecutor({
          catalog: () => metadataNode.catalog,
          selfPeerId: () => metadataNode.peerId,
          openStream: async (peerId, signal) => await metadataNode.openStream(peerId, SUBQUERY_PROTOCOL, { signal }),
          ...(subqueryService !== undefined ? { localService: subqueryService } : {}),
          watchLost: listener => metadataNode.onLivenessChange(change => { if (change.status === 'unreachable') listener(change.peerId) }),
          engine: queryEngine.engine,
          parser: queryEngine.parser,
          limits: config.limits,
          logger
        })
      }
      stoppers = [eventLoop, ...queryParts, metadataNode, ...(operator === undefined ? [] : [operator]), rest]
      if (operator !== undefined) {
        const publish = watermarkPublisher(async () => { await metadataNode.setIngestSince(operator.ingestWatermarks()) }, logger)
        unwatchWatermark = operator.onWatermarkChange(publish)
        // runs that began while the metadata layer was starting
        if (Object.keys(operator.ingestWatermarks()).length > 0) publish()
        for (const dbms of await operator.storage.listDatabases()) {
          for (const schema of await operator.storage.listTables(dbms)) await announce(schema)
        }
      }
      started = true
      logger.info('node started', { rest: rest.url(), p2p: metadataNode.p2pAddresses(), peerId: metadataNode.peerId, roles: config.roles })
    },
    async stop () {
      started = false
      unwatchWatermark?.()
      // stopAll stops in reverse order: REST first, then the operator flushes, then metadata.
      await stopAll(stoppers)
      stoppers = []
      network = undefined
      metadata = undefined
      logger.info('node stopped')
    }
  }
}

/**
 * Publishes the operator's ingest watermark once it settles (a (re)subscription changes it once per stream, within
 * moments), one publication at a time.
 */
function watermarkPublisher (publish: () => Promise<void>, logger: Logger, settleMs = 300): () => void {
  let timer: NodeJS.Timeout | undefined
  let chain = Promise.resolve()
  return () => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      chain = chain.then(publish).catch((err: unknown) => { logger.warn('could not publish the ingest watermark', { error: (err as Error).message }) })
    }, settleMs)
    timer.unref()
  }
}
