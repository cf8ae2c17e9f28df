/**
 * `query` and `explain_query`: network SQL the way `run client () sql ...` runs it (the query node's executor), or an
 * operator's own DuckDB with `destination: local`. Results come back as a text table (or JSON rows) through the
 * reply encoder every REST reply uses, capped in rows: the model sees what it asked for, and is told when more exists.
 */
import { z } from 'zod'
import { FedlakeError } from '@fedlake/core'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { createReplyEncoder, parseSqlCommand } from '@fedlake/query'
import type { NodeCount, SqlCommand } from '@fedlake/query'
import { resolveTimeZone } from '@fedlake/sql'
import type { ResultStream } from '@fedlake/sql'
import { NODE_ERRORS } from '../errors.js'
import type { NodeServices } from '../node-services.js'
import { SQL_DIALECT } from './dialect.js'
import { guarded, textResult } from './tool-result.js'

export const DEFAULT_MAX_ROWS = 100
export const MAX_ROWS = 1000
/** A reply bigger than this is refused (SQL_RESULT_TOO_LARGE): a model's context is small. */
export const MAX_REPLY_BYTES = 1024 * 1024

const dbms = z.string().regex(/^[A-Za-z0-9_]{1,63}$/, 'a dbms name: letters, digits and _').describe('database name, e.g. kubearmor')
const sql = z.string().min(1).max(100_000).describe('one SELECT statement (no trailing semicolon needed)')

interface Answer { readonly stream: ResultStream, nodes(): NodeCount }

/** `sql <dbms> [timezone = z] <select>`, parsed as the REST `sql` command is (EdgeLake date expressions and all). */
function sqlCommand (dbmsName: string, select: string, timezone: string | undefined): SqlCommand {
  if (timezone !== undefined && !/^[A-Za-z0-9_/+-]{1,64}$/.test(timezone)) throw new FedlakeError(NODE_ERRORS.MCP_BAD_ARGUMENT, `timezone '${timezone}' is not a zone name`)
  return parseSqlCommand(`sql ${dbmsName.toLowerCase()}${timezone === undefined ? '' : ` timezone = ${timezone}`} ${select.trim().replace(/;\s*$/, '')}`)
}

/** The request's own signal plus a deadline whose reason says what happened. */
function withDeadline (signal: AbortSignal, timeoutMs: number): { signal: AbortSignal, clear(): void } {
  const deadline = new AbortController()
  const timer = setTimeout(() => { deadline.abort(new FedlakeError(NODE_ERRORS.COMMAND_TIMEOUT, `the query exceeded its time limit of ${timeoutMs / 1000} s`)) }, timeoutMs)
  timer.unref()
  return { signal: AbortSignal.any([signal, deadline.signal]), clear: () => { clearTimeout(timer) } }
}

function describeNodes (nodes: NodeCount): string {
  if (typeof nodes === 'number') return nodes === 0 ? 'this node\'s own data' : `${nodes} operator${nodes === 1 ? '' : 's'} answered`
  return `${nodes.participating} of ${nodes.target} operators answered (subset)`
}

export function registerQueryTools (server: McpServer, services: NodeServices, requestSignal: AbortSignal): void {
  const limits = services.config.limits

  const open = async (command: SqlCommand, destination: 'network' | 'local', subset: boolean, signal: AbortSignal, deadline: number): Promise<Answer> => {
    if (destination === 'local') {
      const operator = services.operator
      if (operator === undefined) throw new FedlakeError(NODE_ERRORS.ROLE_NOT_ENABLED, 'this node holds no data (no operator role): use destination network')
      return { stream: await operator.openQuery(command.dbms, command.sql, { signal }), nodes: () => 0 }
    }
    const executor = services.network()
    if (executor === undefined) {
      throw new FedlakeError(NODE_ERRORS.NETWORK_QUERY_UNAVAILABLE, services.config.roles.includes('query')
        ? 'this node\'s metadata layer is not up yet: try again in a few seconds'
        : 'this node does not run network queries (no query role): connect to a query node\'s /mcp, or use destination local for this operator\'s own data')
    }
    const answer = await executor.run({ command, subset, signal, deadline })
    return { stream: answer.stream, nodes: () => { const n = answer.nodes(); return n.target === n.participating ? n.participating : n } }
  }

  server.registerTool('query', {
    title: 'Run a read-only SQL query',
    description: `Runs one read-only SELECT over the whole network (every operator holding the tables answers; the query node merges, as if it were one database), or with destination local over this operator node's own DuckDB. Answers a text table (or JSON rows) of at most max_rows rows, and says when more rows exist.\n\n${SQL_DIALECT}\n\ndestination local (operator nodes only): DuckDB's full SQL over this node's own data, joins, window functions and CTEs included, but without EdgeLake's date expressions, increments() and period().`,
    inputSchema: {
      dbms,
      sql,
      format: z.enum(['table', 'json']).default('table').describe('table: an aligned text table; json: a JSON array of row objects'),
      max_rows: z.number().int().min(1).max(MAX_ROWS).default(DEFAULT_MAX_ROWS).describe(`most rows returned (the query stops reading after them); at most ${MAX_ROWS}`),
      destination: z.enum(['network', 'local']).default('network').describe('network: all operators (default); local: this node\'s own data'),
      subset: z.boolean().default(false).describe('answer with the operators that replied when some fail'),
      timezone: z.string().optional().describe('zone of date strings in the query and of timestamps in the answer: utc (default), local, or a name such as Europe/Paris'),
      timeout_seconds: z.number().positive().optional().describe(`deadline (default ${limits.commandTimeoutMs / 1000} s, at most ${limits.maxCommandTimeoutMs / 1000} s)`)
    },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }
  }, async (args, extra) => await guarded(async () => {
    const command = sqlCommand(args.dbms, args.sql, args.timezone)
    const timeZone = args.timezone === undefined ? undefined : resolveTimeZone(args.timezone)
    if (args.timezone !== undefined && timeZone === undefined) throw new FedlakeError(NODE_ERRORS.MCP_BAD_ARGUMENT, `unknown timezone '${args.timezone}' (utc, local, pt, mt, ct, et or a zone name such as Europe/Paris)`)
    const timeoutMs = Math.min(args.timeout_seconds === undefined ? limits.commandTimeoutMs : args.timeout_seconds * 1000, limits.maxCommandTimeoutMs)
    const started = performance.now()
    const bounded = withDeadline(AbortSignal.any([extra.signal, requestSignal]), timeoutMs)
    try {
      const answer = await open(command, args.destination, args.subset, bounded.signal, Date.now() + timeoutMs)
      const encoder = createReplyEncoder(answer.stream.fields, {
        format: args.format === 'json' ? 'json:list' : 'table',
        stat: false,
        maxBytes: MAX_REPLY_BYTES,
        maxRows: args.max_rows,
        ...(timeZone === undefined ? {} : { timeZone })
      })
      let rows = 0
      let truncated = false
      try {
        for await (const batch of answer.stream) {
          const take = Math.min(batch.rowCount, args.max_rows - rows)
          if (take > 0) encoder.add(batch, 0, take)
          rows += take
          if (take < batch.rowCount) { truncated = true; break }
        }
      } finally {
        answer.stream.cancel()
      }
      const elapsedMs = Math.round(performance.now() - started)
      const body = encoder.finish({ elapsedMs, nodes: answer.nodes() })
      const summary = `${rows} row${rows === 1 ? '' : 's'}${truncated ? ` shown; more rows exist (stopped at max_rows = ${args.max_rows}: add a LIMIT or aggregate, or raise max_rows up to ${MAX_ROWS})` : ''}; ${elapsedMs} ms; ${describeNodes(answer.nodes())}.`
      return textResult(`${body.replace(/^\n+/, '').replace(/\n*$/, '\n')}${summary}`)
    } finally {
      bounded.clear()
    }
  }))

  server.registerTool('explain_query', {
    title: 'Explain a network query',
    description: `Shows how a network query would run, without running it: the SQL each operator runs, how the query node merges their answers, which operators would answer, and the planner's reasons (or why it refuses the query). Takes the same dbms and sql as query.\n\n${SQL_DIALECT}`,
    inputSchema: { dbms, sql, timezone: z.string().optional().describe('zone of date strings in the query: utc (default), local, or a zone name') },
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false }
  }, async (args) => await guarded(async () => {
    const executor = services.network()
    if (executor === undefined) throw new FedlakeError(NODE_ERRORS.NETWORK_QUERY_UNAVAILABLE, 'this node does not run network queries (no query role, or its metadata layer is not up yet)')
    const lines = await executor.explain(sqlCommand(args.dbms, args.sql, args.timezone))
    return textResult(lines.join('\n') + '\n')
  }))
}
