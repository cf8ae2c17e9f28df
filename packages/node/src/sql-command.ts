/**
 * `sql <dbms> [options] "select ..."`. Without a destination it runs on this node's own data (an
 * operator's DuckDB), as in EdgeLake where a local query reports `"Nodes": 0`. With `destination:
 * network` (or `run client ()`) it needs the query role's planner.
 *
 * The result streams from DuckDB into the reply encoder: a one-document reply is complete or refused
 * (SQL_RESULT_TOO_LARGE), json:output streams with the client's backpressure.
 */
import { CORE_ERRORS, FedlakeError, resourcePlan } from '@fedlake/core'
import type { CommandHandler, LimitsConfig } from '@fedlake/core'
import type { OperatorRole } from '@fedlake/operator'
import { parseSqlCommand, replyFromStream } from '@fedlake/query'
import type { SqlCommand } from '@fedlake/query'
import { resolveTimeZone } from '@fedlake/sql'
import type { TimeZone } from '@fedlake/sql'
import { NODE_ERRORS } from './errors.js'

export interface SqlHandlerInit {
  /** Present on nodes with the operator role. */
  readonly operator?: OperatorRole
  readonly limits: LimitsConfig
}

function isNetworkDestination (destination: string | undefined): boolean {
  return destination !== undefined && destination.trim() !== '' && destination.trim().toLowerCase() !== 'local'
}

export function sqlCommandHandler (init: SqlHandlerInit): CommandHandler {
  const plan = resourcePlan(init.limits)
  return {
    words: ['sql'],
    methods: ['GET', 'POST'],
    usage: 'sql <dbms> [format = json|table|json:list|json:output and stat = true|false and timezone = utc|local|<zone> and max_time = <s>] "select ..."',
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
      const signal = withMaxTime(ctx.signal, parsed, init.limits)
      const timeZone = replyTimeZone(parsed)
      const stream = await init.operator.openQuery(parsed.dbms, parsed.sql, { signal })
      return await replyFromStream(stream, {
        format: parsed.format,
        stat: parsed.stat,
        maxBytes: plan.maxReplyBytes,
        maxRows: plan.maxReplyRows,
        ...(timeZone === undefined ? {} : { timeZone })
      }, () => ({ elapsedMs: performance.now() - started, nodes: 0 }))
    }
  }
}

/** The request's signal, shortened by the `max_time` option (capped by limits.maxCommandTimeoutMs). */
function withMaxTime (signal: AbortSignal | undefined, parsed: SqlCommand, limits: LimitsConfig): AbortSignal | undefined {
  if (parsed.maxTimeSec === undefined) return signal
  const ms = parsed.maxTimeSec * 1000
  if (ms > limits.maxCommandTimeoutMs) {
    throw new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, `Error Command Structure: max_time ${parsed.maxTimeSec} s is over this node's limit of ${limits.maxCommandTimeoutMs / 1000} s (limits.maxCommandTimeoutMs)`, { command: 'sql' })
  }
  const timer = AbortSignal.timeout(Math.max(1, Math.round(ms)))
  const limited = new AbortController()
  const onTimeout = (): void => { limited.abort(new FedlakeError(NODE_ERRORS.COMMAND_TIMEOUT, `the query exceeded max_time = ${parsed.maxTimeSec} s`)) }
  timer.addEventListener('abort', onTimeout, { once: true })
  return signal === undefined ? limited.signal : AbortSignal.any([signal, limited.signal])
}

function replyTimeZone (parsed: SqlCommand): TimeZone | undefined {
  if (parsed.timezone === undefined) return undefined
  const zone = resolveTimeZone(parsed.timezone)
  if (zone === undefined) throw new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, `Error Command Structure: unknown timezone '${parsed.timezone}' (use utc, local, pt, mt, ct, et or a zone name such as Europe/Paris)`, { command: 'sql' })
  return zone
}
