/**
 * `query status [id | all]` and `query explain [<id> | sql <dbms> "select ..."]` (EdgeLake's query profiling
 * commands): what recent network queries did on each operator, and how a query is split.
 */
import { CORE_ERRORS, FedlakeError } from '@fedlake/core'
import type { CommandHandler, JsonValue } from '@fedlake/core'
import { parseSqlCommand } from '@fedlake/query'
import type { NetworkExecutor } from '@fedlake/query'
import { NODE_ERRORS } from './errors.js'

export function queryCommandHandlers (network: () => NetworkExecutor | undefined): CommandHandler[] {
  const executor = (): NetworkExecutor => {
    const found = network()
    if (found === undefined) throw new FedlakeError(NODE_ERRORS.NETWORK_QUERY_UNAVAILABLE, 'this node does not run network queries')
    return found
  }
  return [
    {
      words: ['query', 'status'],
      methods: ['GET'],
      usage: 'query status [<id> | all] [where format = json]',
      async execute (command) {
        const arg = command.replace(/^query\s+status\s*/i, '').replace(/where\s+format\s*=\s*json/i, '').trim()
        const log = executor().log
        const entries = arg === '' ? log.recent().slice(0, 1) : arg.toLowerCase() === 'all' ? [...log.recent()] : [log.get(Number(arg))].filter(e => e !== undefined)
        if (arg !== '' && arg.toLowerCase() !== 'all' && entries.length === 0) throw new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, `Error Command Structure: no query ${arg}`)
        const rows: JsonValue[][] = []
        for (const e of entries) {
          rows.push([e.id, e.dbms, '*', e.state, e.rows, Math.round(e.ms * 1000) / 1000, e.error ?? '', e.sql])
          for (const s of e.subqueries) rows.push([e.id, e.dbms, s.node, s.state, s.rows, Math.round(s.ms * 1000) / 1000, s.error ?? '', ''])
        }
        return { kind: 'table', columns: ['Job', 'DBMS', 'Node', 'Status', 'Rows', 'ms', 'Error', 'Command'], rows, preferJson: /format\s*=\s*json/i.test(command) }
      }
    },
    {
      words: ['query', 'explain'],
      methods: ['GET'],
      usage: 'query explain [<id> | sql <dbms> "select ..."]',
      async execute (command) {
        const arg = command.replace(/^query\s+explain\s*/i, '').trim()
        if (/^sql\s/i.test(arg)) return { kind: 'text', body: (await executor().explain(parseSqlCommand(arg))).join('\n') + '\n' }
        const entry = executor().log.get(arg === '' ? undefined : Number(arg))
        if (entry === undefined) throw new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, `Error Command Structure: no query ${arg === '' ? 'has run yet' : arg}`)
        return { kind: 'text', body: [`query ${entry.id}: sql ${entry.dbms} "${entry.sql}"`, ...entry.explain].join('\n') + '\n' }
      }
    }
  ]
}
