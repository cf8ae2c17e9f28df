/**
 * Builders for the policies fedlake publishes itself, in EdgeLake's shapes
 * (reference/edgelake.md §4.2): node policies (`operator`, `query`), the cluster policy, and on a
 * table's first creation a `table` policy (CREATE text) plus a child `cluster` policy naming the
 * table. Content-derived ids make these idempotent: every operator of cluster C computes the same
 * cluster id, and announcing the same table twice yields the same policy.
 */
import type { ColumnSchema, ColumnType, JsonValue, TableRef, TableSchema } from '@fedlake/core'
import type { PolicyContent } from './policy.js'

export type NodeRole = 'operator' | 'query'

/** What the node tells the network about itself. */
export interface NodeInfo {
  readonly name: string
  readonly roles: readonly NodeRole[]
  /** Cluster name (operators). */
  readonly cluster?: string
  /** EdgeLake's `company`. @default the network name */
  readonly company?: string
  /** host:port of the node's REST API. */
  readonly restAddress?: string
  readonly hostname?: string
  /** EdgeLake's `main` flag: the preferred operator of its cluster. */
  readonly main?: boolean
  /** Further attributes copied into the node policies (loc, country, city, ...). */
  readonly attributes?: Readonly<Record<string, JsonValue>>
}

export function clusterPolicy (name: string, company: string): PolicyContent {
  return { type: 'cluster', content: { name, company, status: 'active' } }
}

export interface NodeAddressing {
  readonly peerId: string
  readonly ip: string
  readonly p2pPort: number
  readonly p2pAddresses: readonly string[]
  readonly clusterId?: string
}

/**
 * Per table (`dbms.table`), the event time (epoch ms) from which an operator holds every event its sources sent,
 * or null while a source is broken (operator/src/connector/watermark.ts). In the operator policy as `ingest_since`,
 * ISO times.
 */
export type IngestSince = Readonly<Record<string, number | null>>

export const INGEST_SINCE_KEY = 'ingest_since'

/** `ingestSinceAt`: when the watermark last changed (`ingest_updated`), so that no two of its policies are the same. */
export function nodePolicy (role: NodeRole, info: NodeInfo, company: string, addressing: NodeAddressing, ingestSince?: IngestSince, ingestSinceAt?: number): PolicyContent {
  const restPort = info.restAddress !== undefined ? Number(info.restAddress.slice(info.restAddress.lastIndexOf(':') + 1)) : undefined
  const content: Record<string, JsonValue> = {
    ...(info.attributes ?? {}),
    name: info.name,
    company,
    hostname: info.hostname ?? info.name,
    ip: addressing.ip,
    local_ip: addressing.ip,
    port: addressing.p2pPort,
    ...(restPort !== undefined && Number.isInteger(restPort) ? { rest_port: restPort } : {}),
    ...(role === 'operator' && addressing.clusterId !== undefined ? { cluster: addressing.clusterId } : {}),
    ...(role === 'operator' && info.main !== undefined ? { main: info.main } : {}),
    ...(role === 'operator' && ingestSince !== undefined && Object.keys(ingestSince).length > 0
      ? {
          [INGEST_SINCE_KEY]: Object.fromEntries(Object.entries(ingestSince).map(([t, ms]) => [t, ms === null ? null : new Date(ms).toISOString()])),
          ...(ingestSinceAt !== undefined ? { ingest_updated: new Date(ingestSinceAt).toISOString() } : {})
        }
      : {}),
    peer_id: addressing.peerId,
    p2p: [...addressing.p2pAddresses]
  }
  return { type: role, content }
}

export function tablePolicy (schema: TableSchema, source?: string): PolicyContent {
  return {
    type: 'table',
    content: { name: schema.table, dbms: schema.dbms, create: createTableText(schema), ...(source !== undefined ? { source } : {}) }
  }
}

/** The child cluster policy: "cluster <parent> holds dbms.table". */
export function tableClusterPolicy (parentClusterId: string, clusterName: string, company: string, ref: TableRef): PolicyContent {
  return {
    type: 'cluster',
    content: { parent: parentClusterId, name: clusterName, company, table: [{ dbms: ref.dbms, name: ref.table }] }
  }
}

function quoteIdent (name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`
}

export function createTableText (schema: TableSchema): string {
  const cols = schema.columns.map(c => `${quoteIdent(c.name)} ${c.type}`).join(', ')
  return `CREATE TABLE IF NOT EXISTS ${quoteIdent(schema.table)}( ${cols} );`
}

/** Maps SQL type names (DuckDB, PostgreSQL, EdgeLake's) onto fedlake's column types. */
export function columnTypeOf (sqlType: string): ColumnType {
  const t = sqlType.trim().toLowerCase()
  if (t.startsWith('timestamp') || t === 'date' || t === 'datetime') return 'TIMESTAMP'
  if (t === 'hugeint' || t === 'int128') return 'HUGEINT'
  if (t === 'bigint' || t === 'int8' || t === 'bigserial' || t === 'ubigint') return 'BIGINT'
  if (/^(int|integer|int4|int2|smallint|tinyint|serial|smallserial|uinteger|usmallint|utinyint)\b/.test(t)) return 'INTEGER'
  if (/^(double|float|real|decimal|numeric)/.test(t)) return 'DOUBLE'
  if (t.startsWith('bool')) return 'BOOLEAN'
  return 'VARCHAR'
}

function splitTopLevel (text: string, sep: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quote: string | undefined
  let start = 0
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string
    if (quote !== undefined) { if (ch === quote) quote = undefined; continue }
    if (ch === '"' || ch === "'") quote = ch
    else if (ch === '(') depth++
    else if (ch === ')') depth--
    else if (ch === sep && depth === 0) { parts.push(text.slice(start, i)); start = i + 1 }
  }
  parts.push(text.slice(start))
  return parts
}

function unquoteIdent (name: string): string {
  return name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase()
}

/** Parses the first CREATE TABLE statement of a table policy; undefined if there is none. */
export function parseCreateTable (dbms: string, create: string): TableSchema | undefined {
  const first = splitTopLevel(create, ';')[0] ?? ''
  const m = /create\s+table\s+(?:if\s+not\s+exists\s+)?("(?:[^"]|"")+"|[\w.]+)\s*\(([\s\S]*)\)\s*$/i.exec(first.trim())
  if (m === null) return undefined
  const rawName = (m[1] as string)
  const table = unquoteIdent(rawName.includes('.') && !rawName.startsWith('"') ? rawName.slice(rawName.lastIndexOf('.') + 1) : rawName)
  const columns: ColumnSchema[] = []
  for (const part of splitTopLevel(m[2] as string, ',')) {
    const def = part.trim()
    if (def === '' || /^(primary\s+key|constraint|unique|foreign\s+key|check|index)\b/i.test(def)) continue
    const cm = /^("(?:[^"]|"")+"|[^\s"]+)\s+(.+)$/s.exec(def)
    if (cm === null) continue
    columns.push({ name: unquoteIdent(cm[1] as string), type: columnTypeOf(cm[2] as string) })
  }
  return { dbms, table, columns }
}
