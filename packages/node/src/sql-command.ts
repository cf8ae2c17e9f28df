/**
 * `sql <dbms> [options] "select ..."`. Without a destination it runs on this node's own data (an operator's
 * DuckDB), as in EdgeLake where a local query reports `"Nodes": 0`. With `destination: network`, or as
 * `run client () sql ...`, it runs over the network: the query role's executor sends sub-queries to the
 * operators holding the tables and merges their answers.
 *
 * Either way the result streams from DuckDB into the reply encoder: a one-document reply is complete or
 * refused (SQL_RESULT_TOO_LARGE), json:output streams with the client's backpressure.
 */
import { CORE_ERRORS, FedlakeError, resourcePlan } from '@fedlake/core'
import type { CommandContext, CommandHandler, CommandReply, LimitsConfig } from '@fedlake/core'
import type { OperatorRole } from '@fedlake/operator'
import { parseRunClient, parseSqlCommand, QUERY_ERRORS, replyFromStream } from '@fedlake/query'
import type { NetworkExecutor, NodeCount, ReplyOptions, RunClientTargets, SqlCommand } from '@fedlake/query'
import { resolveTimeZone } from '@fedlake/sql'
import type { TimeZone } from '@fedlake/sql'
import { NODE_ERRORS } from './errors.js'

export interface SqlHandlerInit {
  /** Present on nodes with the operator role. */
  readonly operator?: OperatorRole
  /** Present once the query role's executor runs (it needs the metadata layer). */
  readonly network: () => NetworkExecutor | undefined
  readonly limits: LimitsConfig
  /** Runs another command of this node: `run client (blockchain get ...)` lists its targets with it. */
  readonly runCommand?: (command: string, ctx: CommandContext) => Promise<CommandReply>
}

/** How a command reaches the network: its subset and timeout, from headers, `run client (...)` or options. */
interface NetworkRoute {
  readonly subset: boolean
  readonly timeoutMs?: number
  /** Operators the user named: ip:port (p2p or REST). */
  readonly targets?: readonly string[]
}

function isNetworkDestination (destination: string | undefined): boolean {
  return destination !== undefined && destination.trim() !== '' && destination.trim().toLowerCase() !== 'local'
}

export function sqlCommandHandlers (init: SqlHandlerInit): CommandHandler[] {
  const plan = resourcePlan(init.limits)

  const replyOptions = (parsed: SqlCommand): ReplyOptions => {
    const timeZone = replyTimeZone(parsed)
    return { format: parsed.format, stat: parsed.stat, maxBytes: plan.maxReplyBytes, maxRows: plan.maxReplyRows, ...(timeZone === undefined ? {} : { timeZone }) }
  }

  const runLocal = async (parsed: SqlCommand, ctx: CommandContext): Promise<CommandReply> => {
    if (init.operator === undefined) {
      throw new FedlakeError(NODE_ERRORS.ROLE_NOT_ENABLED, 'this node holds no data (no operator role); send the query with "destination: network"')
    }
    const started = performance.now()
    const options = replyOptions(parsed)
    const stream = await init.operator.openQuery(parsed.dbms, parsed.sql, { signal: shortened(ctx.signal, parsed.maxTimeSec, init.limits) })
    return await replyFromStream(stream, options, () => ({ elapsedMs: performance.now() - started, nodes: 0 }))
  }

  const runNetwork = async (parsed: SqlCommand, ctx: CommandContext, route: NetworkRoute): Promise<CommandReply> => {
    const executor = init.network()
    if (executor === undefined) {
      throw new FedlakeError(NODE_ERRORS.NETWORK_QUERY_UNAVAILABLE, 'this node does not run network queries (no query role, or its metadata layer is not up yet)')
    }
    const started = performance.now()
    const options = replyOptions(parsed)
    const timeoutSec = route.timeoutMs === undefined ? parsed.maxTimeSec : Math.min(route.timeoutMs / 1000, parsed.maxTimeSec ?? Infinity)
    const signal = shortened(ctx.signal, timeoutSec, init.limits) ?? new AbortController().signal
    const deadline = Math.min(ctx.deadline ?? Date.now() + init.limits.commandTimeoutMs, timeoutSec === undefined ? Infinity : Date.now() + timeoutSec * 1000)
    const answer = await executor.run({ command: parsed, subset: route.subset || parsed.subset === true, signal, deadline, ...(route.targets !== undefined ? { targets: route.targets } : {}) })
    return await replyFromStream(answer.stream, options, () => ({ elapsedMs: performance.now() - started, nodes: nodeCount(answer.nodes()) }))
  }

  const sql: CommandHandler = {
    words: ['sql'],
    methods: ['GET', 'POST'],
    usage: 'sql <dbms> [format = json|table|json:list|json:output and stat = true|false and timezone = utc|local|<zone> and max_time = <s> and nodes = main|all and include = (t2) and extend = (@ip, +name as node)] "select ..."',
    async execute (command, ctx) {
      const parsed = parseSqlCommand(command)
      if (!isNetworkDestination(ctx.headers.destination)) return await runLocal(parsed, ctx)
      return await runNetwork(parsed, ctx, { subset: isTrue(ctx.headers.subset) })
    }
  }

  /** The ip:port list of `run client (<targets>)`; undefined for `()` (the metadata chooses). */
  const namedTargets = async (targets: RunClientTargets, ctx: CommandContext): Promise<string[] | undefined> => {
    if (targets.kind === 'metadata') return undefined
    if (targets.kind === 'addresses') return [...targets.list]
    if (init.runCommand === undefined) throw new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, 'Error Command Structure: this node cannot evaluate blockchain targets', { command: 'run client' })
    const reply = await init.runCommand(targets.query, { method: 'GET', headers: {}, ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}) })
    const text = reply.kind === 'text' ? reply.body : ''
    const list = text.split(/[,\s]+/).map(a => a.trim()).filter(a => a !== '')
    if (list.length === 0) throw new FedlakeError(QUERY_ERRORS.NETWORK_NO_OPERATOR, `the targets' query found no node: ${targets.query}`, { command: 'run client' })
    return list
  }

  const runClient: CommandHandler = {
    words: ['run', 'client'],
    methods: ['GET', 'POST'],
    usage: 'run client ([ip:port, ... | blockchain get operator where ...] [, subset = true, timeout = <s>]) sql <dbms> [options] "select ..."',
    async execute (command, ctx) {
      const request = parseRunClient(command)
      if (!/^sql\s/i.test(request.command)) {
        throw new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, 'Error Command Structure: run client () sends sql commands; other commands go to a node\'s own REST address', { command: 'run client' })
      }
      const targets = await namedTargets(request.targets, ctx)
      return await runNetwork(parseSqlCommand(request.command), ctx, {
        subset: request.subset === true || isTrue(ctx.headers.subset),
        ...(request.timeoutMs !== undefined ? { timeoutMs: request.timeoutMs } : {}),
        ...(targets !== undefined ? { targets } : {})
      })
    }
  }

  return [sql, runClient]
}

function isTrue (value: string | undefined): boolean {
  return value?.trim().toLowerCase() === 'true'
}

function nodeCount (nodes: { target: number, participating: number }): NodeCount {
  return nodes.target === nodes.participating ? nodes.participating : nodes
}

/** The request's signal, shortened to `seconds` (the `max_time` option or run client's timeout, capped by limits.maxCommandTimeoutMs). */
function shortened (signal: AbortSignal | undefined, seconds: number | undefined, limits: LimitsConfig): AbortSignal | undefined {
  if (seconds === undefined) return signal
  const ms = seconds * 1000
  if (ms > limits.maxCommandTimeoutMs) {
    throw new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, `Error Command Structure: a time limit of ${seconds} s is over this node's limit of ${limits.maxCommandTimeoutMs / 1000} s (limits.maxCommandTimeoutMs)`, { command: 'sql' })
  }
  const limited = new AbortController()
  const timer = setTimeout(() => { limited.abort(new FedlakeError(NODE_ERRORS.COMMAND_TIMEOUT, `the query exceeded its time limit of ${seconds} s`)) }, Math.max(1, Math.round(ms)))
  timer.unref()
  return signal === undefined ? limited.signal : AbortSignal.any([signal, limited.signal])
}

function replyTimeZone (parsed: SqlCommand): TimeZone | undefined {
  if (parsed.timezone === undefined) return undefined
  const zone = resolveTimeZone(parsed.timezone)
  if (zone === undefined) throw new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, `Error Command Structure: unknown timezone '${parsed.timezone}' (use utc, local, pt, mt, ct, et or a zone name such as Europe/Paris)`, { command: 'sql' })
  return zone
}
