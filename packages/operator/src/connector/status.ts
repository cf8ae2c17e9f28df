/**
 * Per-subscription status in the shape of EdgeLake's `get grpc clients` (reference/edgelake.md
 * §5.4), and the command handlers that answer it. No gRPC import: a status is plain data.
 */
import { CORE_ERRORS, FedlakeError, commandWords } from '@fedlake/core'
import type { CommandHandler, JsonValue, KubeArmorStream, TableReply } from '@fedlake/core'

export type GrpcClientState = 'Connecting' | 'Active' | 'Reconnecting' | 'Terminated (Error)' | 'Stopped'

export interface GrpcClientStatus {
  /** e.g. `kubearmor-logs@127.0.0.1:32767` */
  readonly name: string
  readonly status: GrpcClientState
  /** The KubeArmor endpoint, host:port. */
  readonly source: string
  /** logs, alerts or messages. */
  readonly stream: KubeArmorStream
  /** host:port */
  readonly connection: string
  readonly proto: string
  /** e.g. `WatchLogs (Filter = all)` */
  readonly request: string
  /** Mapping policy id(s), comma-separated. */
  readonly policy: string
  readonly dataMessages: number
  readonly rejected: number
  /** DEADLINE_EXCEEDED endings (health checks and streams). */
  readonly timeouts: number
  readonly reconnects: number
  readonly lastError: string | null
  /** ISO time of the last message received. */
  readonly lastMessageTime: string | null
}

export const GRPC_CLIENT_COLUMNS: readonly string[] = [
  'Name (ID)', 'Status', 'Connection', 'Proto Name', 'Request Msg', 'Policy Type', 'Policy ID',
  'Data Msgs', 'Rejected', 'Timeouts', 'Reconnects', 'Last Message', 'Error'
]

export function grpcClientStatusTable (statuses: readonly GrpcClientStatus[], preferJson = false): TableReply {
  const rows: JsonValue[][] = statuses.map(s => [
    s.name, s.status, s.connection, s.proto, s.request, 'mapping', s.policy,
    s.dataMessages, s.rejected, s.timeouts, s.reconnects, s.lastMessageTime ?? '', s.lastError ?? ''
  ])
  return { kind: 'table', title: 'gRPC Clients', columns: GRPC_CLIENT_COLUMNS, rows, preferJson }
}

interface WhereOptions { json: boolean, name: string | undefined }

/** `... where format = json and name = kubearmor-logs@host:port` */
function parseWhere (command: string, prefixWords: number): WhereOptions {
  const words = commandWords(command.trim()).slice(prefixWords)
  const options: WhereOptions = { json: false, name: undefined }
  if (words.length === 0) return options
  if (words[0]?.toLowerCase() !== 'where') {
    throw new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, `unexpected '${words.join(' ')}' (expected: where format = json)`)
  }
  const text = words.slice(1).join(' ')
  for (const clause of text.split(/\s+and\s+/i)) {
    const m = /^\s*([a-z_]+)\s*=\s*(.+?)\s*$/i.exec(clause)
    const key = m?.[1]?.toLowerCase()
    const value = m?.[2]
    if (key === 'format' && value !== undefined) {
      if (value.toLowerCase() !== 'json' && value.toLowerCase() !== 'table') {
        throw new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, `unknown format '${value}' (json or table)`)
      }
      options.json = value.toLowerCase() === 'json'
    } else if (key === 'name' && value !== undefined) {
      options.name = value
    } else {
      throw new FedlakeError(CORE_ERRORS.COMMAND_SYNTAX, `unsupported condition '${clause.trim()}' (format = json, name = <client>)`)
    }
  }
  return options
}

/**
 * `get grpc client` and `get grpc clients` (EdgeLake spells it both ways in docs), with optional
 * `where format = json` and `where name = <client>`.
 */
export function createGrpcClientCommands (statuses: () => readonly GrpcClientStatus[]): CommandHandler[] {
  const handler = (noun: string): CommandHandler => ({
    words: ['get', 'grpc', noun],
    methods: ['GET'],
    usage: `get grpc ${noun} [where format = json] [and name = <client>]`,
    async execute (command) {
      const where = parseWhere(command, 3)
      const all = statuses()
      const selected = where.name === undefined ? all : all.filter(s => s.name === where.name)
      return grpcClientStatusTable(selected, where.json)
    }
  })
  return [handler('client'), handler('clients')]
}
