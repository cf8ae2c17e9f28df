/**
 * The metadata commands served through the node's REST API (core's CommandHandler contract).
 * `blockchain insert|delete` are POST-only, the get/test commands GET-only (reference §1.4).
 */
import { FedlakeError } from '@fedlake/core'
import type { CommandContext, CommandHandler, CommandReply, JsonValue, TableRef } from '@fedlake/core'
import type { Catalog, NodeEntry } from '../catalog.js'
import { METADATA_ERRORS } from '../errors.js'
import type { PeerLiveness } from '../peer-directory.js'
import type { PolicyRecord, StoredPolicy } from '../policy.js'
import { applyBring, extractDeleteId, extractPolicyJson, parseBlockchainGet, selectPolicies } from './blockchain.js'
import { parseOptions, tokenize } from './parse.js'

export interface MetadataCommandBackend {
  policies(): readonly PolicyRecord[]
  publish(policy: unknown): Promise<StoredPolicy>
  delete(id: string): Promise<void>
  version(): string
  readonly catalog: Catalog
  liveness(): PeerLiveness[]
  ping(node: NodeEntry, timeoutMs: number): Promise<number | undefined>
  localTables?(): readonly TableRef[]
}

const DEFAULT_TEST_TIMEOUT_MS = 3000

/** Text after the first n words (keeps quoting and JSON intact). */
function afterWords (command: string, n: number): string {
  let rest = command.trim()
  for (let i = 0; i < n; i++) rest = rest.replace(/^\S+\s*/, '')
  return rest
}

function wantsJson (options: ReadonlyMap<string, string>): boolean {
  return options.get('format')?.toLowerCase() === 'json'
}

function timeoutMs (ctx: CommandContext): number {
  const raw = ctx.headers.timeout
  const seconds = raw !== undefined ? Number.parseFloat(raw) : NaN
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, 60_000) : DEFAULT_TEST_TIMEOUT_MS
}

export function createMetadataCommands (backend: MetadataCommandBackend): CommandHandler[] {
  const localSet = (): Set<string> => new Set((backend.localTables?.() ?? []).map(t => `${t.dbms.toLowerCase()}.${t.table.toLowerCase()}`))

  const blockchainGet: CommandHandler = {
    words: ['blockchain', 'get'],
    methods: ['GET'],
    usage: 'blockchain get <type|(t1, t2)|*> [where k = v [and|or ...]] [bring[.first|.recent|.unique|.json|.table|.count|.ip_port|.min|.max] [a][b] ... [separator = x]]',
    async execute (command) {
      const query = parseBlockchainGet(afterWords(command, 2))
      const selected = selectPolicies(backend.policies(), query)
      if (query.bring === undefined) return { kind: 'json', body: selected.map(r => r.policy as unknown as JsonValue) }
      return applyBring(selected, query.bring)
    }
  }

  const blockchainInsert: CommandHandler = {
    words: ['blockchain', 'insert'],
    methods: ['POST'],
    usage: 'blockchain insert where policy = {"<type>": {...}}',
    async execute (command) {
      const stored = await backend.publish(extractPolicyJson(afterWords(command, 2)))
      return { kind: 'json', body: stored as unknown as JsonValue }
    }
  }

  const blockchainDelete: CommandHandler = {
    words: ['blockchain', 'delete'],
    methods: ['POST'],
    usage: 'blockchain delete policy where id = <policy id>',
    async execute (command) {
      const id = extractDeleteId(afterWords(command, 2))
      await backend.delete(id)
      return { kind: 'json', body: { deleted: id } }
    }
  }

  const getDatabases: CommandHandler = {
    words: ['get', 'databases'],
    methods: ['GET'],
    usage: 'get databases [where format = json]',
    async execute (command) {
      const options = parseOptions(tokenize(afterWords(command, 2)), 0)
      const local = backend.localTables?.() ?? []
      const onChain = new Set(backend.catalog.databases())
      const names = [...new Set([...onChain, ...local.map(t => t.dbms)])].sort()
      const rows = names.map(dbms => [dbms, 'duckdb', backend.catalog.tables(dbms).length,
        local.some(t => t.dbms === dbms) ? 'V' : ' ', onChain.has(dbms) ? 'V' : ' '])
      return { kind: 'table', title: 'Databases in the network', columns: ['Logical DBMS', 'Database Type', 'Tables', 'Local DBMS', 'Blockchain'], rows, preferJson: wantsJson(options) }
    }
  }

  const getTables: CommandHandler = {
    words: ['get', 'tables'],
    methods: ['GET'],
    usage: 'get tables where dbms = <name|*> [and format = json]',
    async execute (command) {
      const options = parseOptions(tokenize(afterWords(command, 2)), 0)
      const dbms = options.get('dbms') ?? '*'
      const local = backend.localTables?.() ?? []
      const onChain = backend.catalog.tables(dbms)
      const refs = new Map<string, TableRef>()
      for (const t of [...onChain, ...local]) {
        if (dbms !== '*' && t.dbms.toLowerCase() !== dbms.toLowerCase()) continue
        refs.set(`${t.dbms.toLowerCase()}.${t.table.toLowerCase()}`, t)
      }
      const localKeys = localSet()
      const chainKeys = new Set(onChain.map(t => `${t.dbms.toLowerCase()}.${t.table.toLowerCase()}`))
      const rows = [...refs.entries()].sort(([a], [b]) => a < b ? -1 : 1)
        .map(([key, t]) => [t.dbms, t.table, localKeys.has(key) ? 'V' : ' ', chainKeys.has(key) ? 'V' : ' '])
      return { kind: 'table', columns: ['Database', 'Table name', 'Local DBMS', 'Blockchain'], rows, preferJson: wantsJson(options) }
    }
  }

  const getColumns: CommandHandler = {
    words: ['get', 'columns'],
    methods: ['GET'],
    usage: 'get columns where dbms = <name> and table = <name> [and format = json]',
    async execute (command) {
      const options = parseOptions(tokenize(afterWords(command, 2)), 0)
      const dbms = options.get('dbms')
      const table = options.get('table')
      if (dbms === undefined || table === undefined) throw new FedlakeError('COMMAND_SYNTAX', 'usage: get columns where dbms = <name> and table = <name>')
      const schema = backend.catalog.schema(dbms, table)
      if (schema === undefined) {
        throw new FedlakeError(METADATA_ERRORS.METADATA_TABLE_UNKNOWN, `Table '${table}' in DBMS '${dbms}' not defined`, { dbms, table })
      }
      if (wantsJson(options)) {
        const body: Record<string, JsonValue> = {}
        for (const c of schema.columns) body[c.name] = c.type.toLowerCase()
        return { kind: 'json', body }
      }
      return {
        kind: 'table',
        title: `Schema for DBMS: '${schema.dbms}' and table: '${schema.table}'`,
        columns: ['Column Name', 'Column Type'],
        rows: schema.columns.map(c => [c.name, c.type.toLowerCase()])
      }
    }
  }

  const getDataNodes: CommandHandler = {
    words: ['get', 'data', 'nodes'],
    methods: ['GET'],
    usage: 'get data nodes [where company = c and dbms = d and table = t] [and format = json]',
    async execute (command) {
      const options = parseOptions(tokenize(afterWords(command, 3)), 0)
      const rows: JsonValue[][] = []
      for (const ref of backend.catalog.tables(options.get('dbms') ?? '*')) {
        const table = options.get('table')
        if (table !== undefined && table !== '*' && ref.table.toLowerCase() !== table.toLowerCase()) continue
        for (const cluster of backend.catalog.clustersHolding(ref.dbms, ref.table)) {
          const company = options.get('company')
          if (company !== undefined && company !== '*' && cluster.company !== company) continue
          if (cluster.operators.length === 0) {
            rows.push([cluster.company ?? '', ref.dbms, ref.table, cluster.clusterId, cluster.clusterStatus, '', '', '', '', '', ''])
          }
          for (const op of cluster.operators) {
            const address = op.ip !== undefined && op.port !== undefined ? `${op.ip}:${op.port}` : ''
            rows.push([cluster.company ?? op.company ?? '', ref.dbms, ref.table, cluster.clusterId, cluster.clusterStatus,
              op.name, '', address, address, op.main, op.status])
          }
        }
      }
      return {
        kind: 'table',
        columns: ['Company', 'DBMS', 'Table', 'Cluster ID', 'Cluster Status', 'Node Name', 'Member ID', 'External IP/Port', 'Local IP/Port', 'Main', 'Node Status'],
        rows,
        preferJson: wantsJson(options)
      }
    }
  }

  const testNetwork: CommandHandler = {
    words: ['test', 'network'],
    methods: ['GET'],
    usage: 'test network [where format = json] — pings every node named in the metadata over the p2p connection',
    async execute (command, ctx) {
      const options = parseOptions(tokenize(afterWords(command, 2)), 0)
      const byAddress = new Map<string, { types: Set<string>, names: Set<string>, nodes: NodeEntry[] }>()
      for (const n of backend.catalog.nodes()) {
        const address = n.ip !== undefined && n.port !== undefined ? `${n.ip}:${n.port}` : (n.peerId ?? n.policyId)
        const entry = byAddress.get(address) ?? { types: new Set(), names: new Set(), nodes: [] }
        entry.types.add(n.type)
        entry.names.add(n.name)
        entry.nodes.push(n)
        byAddress.set(address, entry)
      }
      const ms = timeoutMs(ctx)
      const rows = await Promise.all([...byAddress.entries()].sort(([a], [b]) => a < b ? -1 : 1).map(async ([address, e]) => {
        const answers = await Promise.all(e.nodes.map(n => backend.ping(n, ms)))
        const ok = answers.some(a => a !== undefined)
        return [address, [...e.types].join(','), [...e.names].join(','), ok ? '+' : ' ']
      }))
      return { kind: 'table', title: 'Test Network', columns: ['Address', 'Node Type', 'Node Name', 'Status'], rows, preferJson: wantsJson(options) }
    }
  }

  const testNetworkVersion: CommandHandler = {
    words: ['test', 'network', 'metadata', 'version'],
    methods: ['GET'],
    usage: 'test network metadata version — the metadata version each known node last reported',
    async execute (command) {
      const options = parseOptions(tokenize(afterWords(command, 4)), 0)
      const mine = backend.version()
      const rows = backend.liveness().map(p => [p.name ?? '', p.peerId, p.version ?? '', p.status, p.version === mine ? 'V' : ' '])
      return { kind: 'table', columns: ['Node Name', 'Peer ID', 'Metadata Version', 'Node Status', 'Same As Local'], rows, preferJson: wantsJson(options) }
    }
  }

  const getMetadataVersion: CommandHandler = {
    words: ['get', 'metadata', 'version'],
    methods: ['GET'],
    usage: 'get metadata version — digest of the local policy set, equal on converged nodes',
    async execute (): Promise<CommandReply> {
      return { kind: 'text', body: backend.version() }
    }
  }

  return [blockchainGet, blockchainInsert, blockchainDelete, getDatabases, getTables, getColumns, getDataNodes, testNetwork, testNetworkVersion, getMetadataVersion]
}
