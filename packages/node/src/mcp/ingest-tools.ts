/** `get_grpc_client_status`: what this operator node ingests from KubeArmor (EdgeLake's `get grpc client`) and its ingest pipeline. */
import { renderTextTable } from '@fedlake/core'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { grpcClientStatusTable } from '@fedlake/operator'
import type { NodeServices } from '../node-services.js'
import { guarded, textResult } from './tool-result.js'

export function registerIngestTools (server: McpServer, services: NodeServices): void {
  server.registerTool('get_grpc_client_status', {
    title: 'KubeArmor ingestion status',
    description: 'On an operator node: each KubeArmor subscription (source, stream, status Active/Reconnecting/..., events received, rejected, reconnects, last event, last error), as EdgeLake\'s `get grpc client` shows it, and the ingest pipeline per table (received, committed, buffered, dropped rows, ingest lag). Reports the node serving this MCP endpoint only: show_network lists every node\'s REST address, each with its own /mcp.',
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false }
  }, async () => await guarded(async () => {
    const operator = services.operator
    if (operator === undefined) {
      return textResult(`${services.config.name} has no operator role, so it ingests nothing. Operator nodes (show_network) report their own status on their /mcp endpoint.`)
    }
    const clients = operator.grpcClients()
    const grpc = grpcClientStatusTable(clients)
    const stats = operator.ingestStats()
    const now = Date.now()
    const tables = renderTextTable(['dbms', 'table', 'received', 'committed', 'buffered', 'dropped', 'lag (s)'],
      stats.tables.map(t => [t.dbms, t.table, t.received, t.committed, t.buffered, t.dropped, t.oldestBufferedAt === null ? 0 : Math.round((now - t.oldestBufferedAt) / 100) / 10]))
    return textResult([
      `Node ${services.config.name}.`,
      clients.length === 0 ? 'No KubeArmor source configured (rows come from PUT only).' : `${grpc.title ?? 'gRPC Clients'}:\n${renderTextTable(grpc.columns, grpc.rows)}`,
      `Ingest pipeline: received ${stats.rowsReceived}, committed ${stats.rowsCommitted}, rejected records ${stats.rowsRejected}, dropped ${stats.rowsDropped}, append failures ${stats.appendFailures}${stats.lastError === null ? '' : `, last error: ${stats.lastError}`}.`,
      stats.tables.length === 0 ? '' : tables
    ].filter(s => s !== '').join('\n'))
  }))
}
