/**
 * The composition root of one fedlake node: builds the roles the config asks for, registers their
 * commands with the router and serves them over REST. Start order: metadata, operator, REST;
 * stop order is the reverse, so the REST API stops taking work before ingestion flushes.
 */
import { startAll, stopAll } from '@fedlake/core'
import type { Logger, NodeConfig, Startable } from '@fedlake/core'
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
}

export interface FedlakeNodeComponents {
  logger: Logger
}

export function createFedlakeNode (config: NodeConfig, components: FedlakeNodeComponents): FedlakeNode {
  const logger = components.logger
  const router = createCommandRouter()
  let rest: RestServer | undefined
  let started: Startable[] = []

  const operator: OperatorRole | undefined = config.roles.includes('operator')
    ? createOperatorRole({
      dataDir: config.dataDir,
      dbms: config.dbms,
      kubearmor: config.kubearmor,
      ingest: config.ingest,
      logger: logger.child('operator')
    })
    : undefined

  router.register([
    statusHandler(() => ({ name: config.name, address: `${config.host}:${config.p2pPort}`, roles: config.roles })),
    helpHandler(router),
    sqlCommandHandler({ operator }),
    ...(operator?.commandHandlers() ?? [])
  ])

  return {
    config,
    restUrl: () => rest?.url() ?? '',
    p2pAddresses: () => [],
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
      started = [...(operator === undefined ? [] : [operator]), rest]
      await startAll(started)
      logger.info('node started', { rest: rest.url(), roles: config.roles })
    },
    async stop () {
      await stopAll(started)
      started = []
      logger.info('node stopped')
    }
  }
}
