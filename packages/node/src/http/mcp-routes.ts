/** `/mcp`: the MCP endpoint (packages/node/src/mcp), reached from fastify as a web-standard Request and Response. */
import type { FastifyRequest } from 'fastify'
import type * as McpEndpointModule from '../mcp/mcp-endpoint.js'
import type { NodeServices } from '../node-services.js'
import type { RestPlugin } from './rest-app.js'

export const MCP_PATH = '/mcp'

type McpEndpoint = typeof McpEndpointModule

/**
 * The MCP SDK is loaded with the first /mcp request, not at start-up: importing it costs ~300 ms of the main
 * thread (measured: a node's start-up is mostly module loading), and most nodes never see an MCP client.
 */
let endpoint: Promise<McpEndpoint> | undefined
const mcpEndpoint = async (): Promise<McpEndpoint> => await (endpoint ??= import('../mcp/mcp-endpoint.js'))

function webRequest (req: FastifyRequest): Request {
  const headers = new Headers()
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue
    headers.set(name, Array.isArray(value) ? value.join(', ') : value)
  }
  const body = req.method === 'POST' && Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : undefined
  return new Request(`http://${req.headers.host ?? 'localhost'}${req.url}`, { method: req.method, headers, ...(body === undefined ? {} : { body }) })
}

export function mcpRoutes (services: NodeServices): RestPlugin {
  return app => {
    app.route({
      method: ['GET', 'POST', 'DELETE'],
      url: MCP_PATH,
      handler: async (req, reply) => {
        const gone = new AbortController()
        const onClose = (): void => { if (!reply.raw.writableFinished) gone.abort() }
        reply.raw.once('close', onClose)
        try {
          const { handleMcpRequest } = await mcpEndpoint()
          const response = await handleMcpRequest(services, webRequest(req), gone.signal)
          reply.code(response.status)
          response.headers.forEach((value, name) => { reply.header(name, value) })
          return await reply.send(Buffer.from(await response.arrayBuffer()))
        } finally {
          reply.raw.off('close', onClose)
        }
      }
    })
  }
}
