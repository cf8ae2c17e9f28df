/**
 * fedlake's MCP server (Streamable HTTP, stateless): every POST gets a fresh server and transport, so nothing is
 * kept between requests, any node of a load-balanced set can answer, and a request is authorised like any other
 * REST request (the REST token hook runs before). Replies are JSON, not SSE streams; GET (a server-to-client
 * stream) and DELETE (ending a session) answer 405, which MCP clients take as "not offered".
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import type { NodeServices } from '../node-services.js'
import { registerCatalogTools } from './catalog-tools.js'
import { SERVER_INSTRUCTIONS } from './dialect.js'
import { registerIngestTools } from './ingest-tools.js'
import { registerQueryTools } from './query-tools.js'

export const MCP_SERVER_NAME = 'fedlake'

export function createFedlakeMcpServer (services: NodeServices, requestSignal: AbortSignal): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version: '0.1.0' }, { instructions: SERVER_INSTRUCTIONS })
  registerCatalogTools(server, services)
  registerQueryTools(server, services, requestSignal)
  registerIngestTools(server, services)
  return server
}

/** Answers one HTTP request to /mcp; `signal` aborts when the client goes away (tools stop their queries). */
export async function handleMcpRequest (services: NodeServices, request: Request, signal: AbortSignal): Promise<Response> {
  if (request.method !== 'POST') {
    return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP server is stateless, send JSON-RPC with POST' }, id: null }), {
      status: 405,
      headers: { allow: 'POST', 'content-type': 'application/json' }
    })
  }
  const server = createFedlakeMcpServer(services, signal)
  const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true })
  try {
    await server.connect(transport)
    return await transport.handleRequest(request)
  } finally {
    await server.close()
  }
}
