/** Tools that read the replicated metadata: databases, tables, columns, and the network of nodes and clusters. */
import { z } from 'zod'
import { FedlakeError, renderTextTable } from '@fedlake/core'
import type { JsonValue } from '@fedlake/core'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { MetadataNode } from '@fedlake/metadata'
import { NODE_ERRORS } from '../errors.js'
import type { NodeServices } from '../node-services.js'
import { KUBEARMOR_TABLES } from './dialect.js'
import { guarded, textResult } from './tool-result.js'

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const
const identifier = z.string().regex(/^[A-Za-z0-9_]{1,63}$/, 'a dbms or table name: letters, digits and _')

function metadataOf (services: NodeServices): MetadataNode {
  const metadata = services.metadata()
  if (metadata === undefined) throw new FedlakeError(NODE_ERRORS.NODE_NOT_READY, 'this node\'s metadata layer is not up yet: try again in a few seconds')
  return metadata
}

/** `op-1 (active, main)` for each operator of the clusters holding dbms.table. */
function holders (metadata: MetadataNode, dbms: string, table: string): string {
  const clusters = metadata.catalog.clustersHolding(dbms, table)
  if (clusters.length === 0) return '(no cluster)'
  return clusters.map(c => `${c.clusterName}: ${c.operators.map(o => `${o.name} (${o.status}${o.main ? ', main' : ''})`).join(', ') || 'no operator'}`).join('; ')
}

export function registerCatalogTools (server: McpServer, services: NodeServices): void {
  server.registerTool('list_databases', {
    title: 'List databases',
    description: 'Lists the databases (dbms) of the whole network with their tables, from the metadata every node holds. Start here.',
    annotations: READ_ONLY
  }, async () => await guarded(async () => {
    const catalog = metadataOf(services).catalog
    const rows: JsonValue[][] = catalog.databases().map(dbms => {
      const tables = catalog.tables(dbms).map(t => t.table)
      return [dbms, tables.length, tables.join(', ')]
    })
    return textResult(rows.length === 0 ? 'No database in the network yet (no operator has created a table).' : renderTextTable(['dbms', 'tables', 'names'], rows))
  }))

  server.registerTool('list_tables', {
    title: 'List tables',
    description: `Lists the tables of one database (or of all), with their column count and which clusters and operator nodes hold them (and whether those are active).\n\n${KUBEARMOR_TABLES}`,
    inputSchema: { dbms: identifier.optional().describe('database name, e.g. kubearmor; omit for every database') },
    annotations: READ_ONLY
  }, async ({ dbms }) => await guarded(async () => {
    const metadata = metadataOf(services)
    const rows: JsonValue[][] = metadata.catalog.tables(dbms ?? '*').map(t => [
      t.dbms, t.table, metadata.catalog.schema(t.dbms, t.table)?.columns.length ?? null, holders(metadata, t.dbms, t.table)
    ])
    return textResult(rows.length === 0 ? `No table${dbms === undefined ? '' : ` in dbms ${dbms}`}.` : renderTextTable(['dbms', 'table', 'columns', 'held by (cluster: operators)'], rows))
  }))

  server.registerTool('describe_table', {
    title: 'Describe a table',
    description: 'The columns of a table with their DuckDB types (as its table policy declares them), and which operators hold it.',
    inputSchema: { dbms: identifier.describe('database name, e.g. kubearmor'), table: identifier.describe('table name, e.g. logs') },
    annotations: READ_ONLY
  }, async ({ dbms, table }) => await guarded(async () => {
    const metadata = metadataOf(services)
    const schema = metadata.catalog.schema(dbms, table)
    if (schema === undefined) {
      const known = metadata.catalog.tables(dbms).map(t => t.table)
      return { isError: true, content: [{ type: 'text', text: `No table ${dbms}.${table} in the network's metadata.${known.length > 0 ? ` Tables of ${dbms}: ${known.join(', ')}.` : ''}` }] }
    }
    const columns = renderTextTable(['column', 'type'], schema.columns.map(c => [c.name, c.type]))
    return textResult(`${schema.dbms}.${schema.table}: ${schema.columns.length} columns\n${columns}\nheld by: ${holders(metadata, dbms, table)}\n`)
  }))

  server.registerTool('show_network', {
    title: 'Show the network',
    description: 'The nodes of the network (operators hold data, query nodes answer SQL) with their liveness as this node sees it, their REST and p2p addresses, and for each table the clusters and operators that hold it. An unreachable operator is left out of queries (another operator of its cluster answers, if any).',
    annotations: READ_ONLY
  }, async () => await guarded(async () => {
    const metadata = metadataOf(services)
    const now = Date.now()
    const liveness = new Map(metadata.liveness().map(p => [p.peerId, p]))
    const nodeRows: JsonValue[][] = metadata.catalog.nodes()
      .sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type))
      .map(n => {
        const seen = n.peerId === undefined ? undefined : liveness.get(n.peerId)
        const self = n.peerId === metadata.peerId
        return [
          `${n.name}${self ? ' (this node)' : ''}`, n.type, self ? 'active' : n.status,
          self ? 'now' : seen?.lastSeenAt === undefined ? 'never' : `${Math.round((now - seen.lastSeenAt) / 100) / 10} s ago`,
          n.restAddress ?? '', n.p2pAddresses[0] ?? ''
        ]
      })
    const holdingRows: JsonValue[][] = []
    for (const t of metadata.catalog.tables()) {
      for (const c of metadata.catalog.clustersHolding(t.dbms, t.table)) {
        for (const o of c.operators.length === 0 ? [undefined] : c.operators) {
          holdingRows.push([`${t.dbms}.${t.table}`, c.clusterName, o?.name ?? '', o === undefined ? '' : o.status, o?.main === true ? 'yes' : ''])
        }
      }
    }
    const connected = metadata.peers().length
    return textResult([
      `This node: ${services.config.name} (roles ${services.config.roles.join(', ')}), network ${metadata.networkName}, ${connected} direct p2p connection${connected === 1 ? '' : 's'}, metadata version ${metadata.version()}.`,
      '',
      'Nodes:',
      nodeRows.length === 0 ? '(none)' : renderTextTable(['node', 'type', 'status', 'last seen', 'REST', 'p2p'], nodeRows),
      '',
      'Tables and the operators holding them:',
      holdingRows.length === 0 ? '(none)' : renderTextTable(['table', 'cluster', 'operator', 'status', 'main'], holdingRows)
    ].join('\n'))
  }))
}
