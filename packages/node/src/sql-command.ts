/**
 * `sql <dbms> [options] "select ..."`. Without a destination it runs on this node's own data (an
 * operator's DuckDB), as in EdgeLake where a local query reports `"Nodes": 0`. With `destination:
 * network` (or `run client ()`) it needs the query role's planner.
 */
import { FedlakeError } from '@fedlake/core'
import type { CommandHandler } from '@fedlake/core'
import { formatSqlReply, parseSqlCommand } from '@fedlake/query'
import type { OperatorRole } from '@fedlake/operator'
import { NODE_ERRORS } from './errors.js'

export interface SqlHandlerInit {
  /** Present on nodes with the operator role. */
  readonly operator?: OperatorRole
}

function isNetworkDestination (destination: string | undefined): boolean {
  return destination !== undefined && destination.trim() !== '' && destination.trim().toLowerCase() !== 'local'
}

export function sqlCommandHandler (init: SqlHandlerInit): CommandHandler {
  return {
    words: ['sql'],
    methods: ['GET', 'POST'],
    usage: 'sql <dbms> [format = json|table|json:list|json:output and stat = true|false] "select ..."',
    async execute (command, ctx) {
      const parsed = parseSqlCommand(command)
      if (isNetworkDestination(ctx.headers.destination)) {
        throw new FedlakeError(NODE_ERRORS.NETWORK_QUERY_UNAVAILABLE,
          'network queries (destination: network / run client ()) are not available on this node yet; send the query without a destination to query a node\'s own data')
      }
      if (init.operator === undefined) {
        throw new FedlakeError(NODE_ERRORS.ROLE_NOT_ENABLED, 'this node holds no data (no operator role); send the query with "destination: network"')
      }
      const started = performance.now()
      const maxMs = parsed.maxTimeSec !== undefined ? parsed.maxTimeSec * 1000 : undefined
      const signal = maxMs === undefined ? ctx.signal : AbortSignal.any([...(ctx.signal === undefined ? [] : [ctx.signal]), AbortSignal.timeout(maxMs)])
      const result = await init.operator.query(parsed.dbms, parsed.sql, { signal })
      return formatSqlReply(result, { format: parsed.format, stat: parsed.stat, elapsedMs: performance.now() - started, nodes: 0 })
    }
  }
}
