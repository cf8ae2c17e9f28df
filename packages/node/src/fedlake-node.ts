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
import { startAll, stopAll } from '@fedlake/core'
import type { Logger, NodeConfig, Startable, TableRef, TableSchema } from '@fedlake/core'
import { createMetadataNode } from '@fedlake/metadata'
import type { MetadataNode, MetadataNodeInit, NodeRole } from '@fedlake/metadata'
import { createOperatorRole } from '@fedlake/operator'
import type { OperatorRole } from '@fedlake/operator'
import { helpHandler, statusHandler } from './builtin-commands.js'
import { createCommandRouter } from './command-router.js'
import { createRestServer } from './http/rest-app.js'
import type { RestServer } from './http/rest-app.js'
import { sqlCommandHandler } from './sql-command.js'

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
  const localTables = new Map<string, TableRef>()
  let rest: RestServer | undefined
  let metadata: MetadataNode | undefined
  let stoppers: Startable[] = []

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

  router.register([
    statusHandler(() => ({ name: config.name, address: `${config.host}:${config.p2pPort}`, roles: config.roles })),
    helpHandler(router),
    sqlCommandHandler({ operator }),
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
    // called after the REST server listens, so the node policy carries its real port
    nodeInfo: {
      name: config.name,
      roles: config.roles as NodeRole[],
      ...(operator === undefined ? {} : { cluster: config.cluster }),
      restAddress: rest?.url().replace(/^https?:\/\//, '') ?? `${config.host}:${config.restPort}`
    }
  })

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
        put: operator === undefined ? undefined : async (req) => await operator.put(req)
      })
      const parts: Startable[] = [...(operator === undefined ? [] : [operator]), rest]
      await startAll(parts)
      let metadataNode: MetadataNode
      try {
        metadataNode = await createMetadataNode(metadataInit())
        await metadataNode.start()
      } catch (err) {
        await stopAll(parts)
        throw err
      }
      router.register(metadataNode.commandHandlers())
      metadata = metadataNode
      stoppers = [metadataNode, ...(operator === undefined ? [] : [operator]), rest]
      if (operator !== undefined) {
        for (const dbms of await operator.storage.listDatabases()) {
          for (const schema of await operator.storage.listTables(dbms)) await announce(schema)
        }
      }
      logger.info('node started', { rest: rest.url(), p2p: metadataNode.p2pAddresses(), peerId: metadataNode.peerId, roles: config.roles })
    },
    async stop () {
      // stopAll stops in reverse order: REST first, then the operator flushes, then metadata.
      await stopAll(stoppers)
      stoppers = []
      metadata = undefined
      logger.info('node stopped')
    }
  }
}
