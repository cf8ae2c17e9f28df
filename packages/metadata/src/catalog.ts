/**
 * The planner's view of the metadata: which tables exist, their schemas, which clusters hold them
 * and which operators of those clusters are alive. Derived from the visible policies (cached until
 * the store changes) and the liveness view (read live).
 */
import type { JsonValue, TableRef, TableSchema } from '@fedlake/core'
import type { PeerStatus } from './peer-directory.js'
import type { PolicyRecord } from './policy.js'
import { INGEST_SINCE_KEY, parseCreateTable } from './node-policies.js'

/** A node named by a node policy (operator, query, master, publisher). */
export interface NodeEntry {
  readonly type: string
  readonly name: string
  readonly policyId: string
  readonly peerId?: string
  readonly company?: string
  readonly ip?: string
  readonly port?: number
  readonly restPort?: number
  /** ip:rest_port when both are known. */
  readonly restAddress?: string
  readonly p2pAddresses: readonly string[]
  readonly status: PeerStatus
  /** Epoch ms of the liveness view's freshest evidence that the node is alive; absent when it never had any. */
  readonly lastSeenAt?: number
}

export interface OperatorEntry extends NodeEntry {
  readonly clusterId: string
  readonly main: boolean
  /**
   * Its ingest watermark (`ingest_since`), per table (`dbms.table`, lower case): the event time (epoch ms) from
   * which it holds every event its sources sent, or null while a source is broken. Absent for a table it does not
   * stream (PUT only).
   */
  readonly ingestSince: ReadonlyMap<string, number | null>
}

export interface ClusterHolding {
  readonly clusterId: string
  readonly clusterName: string
  readonly company?: string
  readonly clusterStatus: string
  readonly operators: readonly OperatorEntry[]
}

export interface Catalog {
  /** Databases named by table or cluster policies, sorted. */
  databases(): string[]
  /** Tables known to the network (of one dbms, or all), sorted. */
  tables(dbms?: string): TableRef[]
  /** Schema from the earliest table policy of dbms.table. */
  schema(dbms: string, table: string): TableSchema | undefined
  /** Clusters that hold dbms.table, each with its operators and their liveness. */
  clustersHolding(dbms: string, table: string): ClusterHolding[]
  /** Active operators holding dbms.table, grouped by nothing (all clusters). */
  liveOperators(dbms: string, table: string): OperatorEntry[]
  /** Every node policy, newest per peer. */
  nodes(): NodeEntry[]
}

export interface CatalogSource {
  visible(): readonly PolicyRecord[]
  /** Bumps whenever visible policies change. */
  generation(): number
  status(peerId: string): PeerStatus
  /** Epoch ms of the freshest evidence that the node is alive, when there is any. */
  lastSeenAt?(peerId: string): number | undefined
  selfPeerId: string
}

interface CatalogIndex {
  readonly tablePolicies: Map<string, PolicyRecord[]>
  readonly holdersByTable: Map<string, Set<string>>
  readonly rootClusters: Map<string, PolicyRecord>
  readonly childNames: Map<string, string>
  readonly nodePolicies: PolicyRecord[]
}

const NODE_TYPES = new Set(['operator', 'query', 'master', 'publisher'])

function tableKey (dbms: string, table: string): string {
  return `${dbms.toLowerCase()}.${table.toLowerCase()}`
}

function str (v: JsonValue | undefined): string | undefined {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined
}

function num (v: JsonValue | undefined): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN
  return Number.isFinite(n) ? n : undefined
}

export function createCatalog (source: CatalogSource): Catalog {
  let cached: { generation: number, index: CatalogIndex } | undefined

  const index = (): CatalogIndex => {
    const generation = source.generation()
    if (cached?.generation === generation) return cached.index
    const idx: CatalogIndex = { tablePolicies: new Map(), holdersByTable: new Map(), rootClusters: new Map(), childNames: new Map(), nodePolicies: [] }
    for (const r of source.visible()) {
      if (r.type === 'table') {
        const dbms = str(r.content.dbms)
        const name = str(r.content.name)
        if (dbms === undefined || name === undefined) continue
        const key = tableKey(dbms, name)
        const list = idx.tablePolicies.get(key) ?? []
        list.push(r)
        idx.tablePolicies.set(key, list)
      } else if (r.type === 'cluster') {
        const parent = str(r.content.parent)
        if (parent === undefined) { idx.rootClusters.set(r.id, r); continue }
        const tables = Array.isArray(r.content.table) ? r.content.table : []
        const name = str(r.content.name)
        if (name !== undefined) idx.childNames.set(parent, name)
        for (const t of tables) {
          if (typeof t !== 'object' || t === null || Array.isArray(t)) continue
          const dbms = str(t.dbms)
          const tname = str(t.name)
          if (dbms === undefined || tname === undefined) continue
          const key = tableKey(dbms, tname)
          const set = idx.holdersByTable.get(key) ?? new Set()
          set.add(parent)
          idx.holdersByTable.set(key, set)
        }
      } else if (NODE_TYPES.has(r.type)) {
        idx.nodePolicies.push(r)
      }
    }
    cached = { generation, index: idx }
    return idx
  }

  const toNode = (r: PolicyRecord): NodeEntry => {
    const c = r.content
    const peerId = str(c.peer_id)
    const ip = str(c.ip)
    const port = num(c.port)
    const restPort = num(c.rest_port)
    const lastSeenAt = peerId === undefined ? undefined : source.lastSeenAt?.(peerId)
    return {
      type: r.type,
      name: str(c.name) ?? '',
      policyId: r.id,
      ...(peerId !== undefined ? { peerId } : {}),
      ...(str(c.company) !== undefined ? { company: str(c.company) as string } : {}),
      ...(ip !== undefined ? { ip } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(restPort !== undefined ? { restPort } : {}),
      ...(ip !== undefined && restPort !== undefined ? { restAddress: `${ip}:${restPort}` } : {}),
      p2pAddresses: Array.isArray(c.p2p) ? c.p2p.filter((a): a is string => typeof a === 'string') : [],
      status: peerId !== undefined ? source.status(peerId) : 'unreachable',
      ...(lastSeenAt !== undefined ? { lastSeenAt } : {})
    }
  }

  /** Newest policy per (type, peer) so a node that moved is listed once. */
  const nodes = (): NodeEntry[] => {
    const newest = new Map<string, PolicyRecord>()
    for (const r of index().nodePolicies) {
      const who = `${r.type}/${str(r.content.peer_id) ?? r.id}`
      const prev = newest.get(who)
      if (prev === undefined || Date.parse(r.date) >= Date.parse(prev.date)) newest.set(who, r)
    }
    return [...newest.values()].map(toNode)
  }

  const operatorsOf = (clusterId: string): OperatorEntry[] => {
    const idx = index()
    return nodes().filter(n => n.type === 'operator').flatMap(n => {
      const r = idx.nodePolicies.find(p => p.id === n.policyId)
      if (r === undefined || str(r.content.cluster) !== clusterId) return []
      return [{ ...n, clusterId, main: r.content.main === true, ingestSince: ingestSinceOf(r.content[INGEST_SINCE_KEY]) }]
    })
  }

  const clustersHolding = (dbms: string, table: string): ClusterHolding[] => {
    const idx = index()
    const ids = [...(idx.holdersByTable.get(tableKey(dbms, table)) ?? [])].sort()
    return ids.map(clusterId => {
      const root = idx.rootClusters.get(clusterId)
      const company = str(root?.content.company)
      return {
        clusterId,
        clusterName: str(root?.content.name) ?? idx.childNames.get(clusterId) ?? clusterId,
        ...(company !== undefined ? { company } : {}),
        clusterStatus: str(root?.content.status) ?? 'active',
        operators: operatorsOf(clusterId)
      }
    })
  }

  const tables = (dbms?: string): TableRef[] => {
    const idx = index()
    const refs = new Map<string, TableRef>()
    for (const list of idx.tablePolicies.values()) {
      const r = list[0] as PolicyRecord
      refs.set(tableKey(str(r.content.dbms) as string, str(r.content.name) as string), { dbms: str(r.content.dbms) as string, table: str(r.content.name) as string })
    }
    for (const key of idx.holdersByTable.keys()) {
      if (!refs.has(key)) {
        const dot = key.indexOf('.')
        refs.set(key, { dbms: key.slice(0, dot), table: key.slice(dot + 1) })
      }
    }
    return [...refs.values()]
      .filter(r => dbms === undefined || dbms === '*' || r.dbms.toLowerCase() === dbms.toLowerCase())
      .sort((a, b) => tableKey(a.dbms, a.table) < tableKey(b.dbms, b.table) ? -1 : 1)
  }

  return {
    databases: () => [...new Set(tables().map(t => t.dbms))].sort(),
    tables,
    schema (dbms, table) {
      const list = index().tablePolicies.get(tableKey(dbms, table))
      for (const r of list ?? []) {
        const create = str(r.content.create)
        const parsed = create !== undefined ? parseCreateTable(str(r.content.dbms) as string, create) : undefined
        if (parsed !== undefined) return { ...parsed, dbms: str(r.content.dbms) as string, table: str(r.content.name) as string }
      }
      return undefined
    },
    clustersHolding,
    liveOperators: (dbms, table) => clustersHolding(dbms, table).flatMap(c => c.operators.filter(o => o.status === 'active')),
    nodes
  }
}

function ingestSinceOf (value: JsonValue | undefined): Map<string, number | null> {
  const since = new Map<string, number | null>()
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return since
  for (const [table, at] of Object.entries(value)) {
    const ms = typeof at === 'string' ? Date.parse(at) : NaN
    if (at === null || Number.isFinite(ms)) since.set(table.toLowerCase(), at === null ? null : ms)
  }
  return since
}
