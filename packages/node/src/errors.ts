import { defineErrors } from '@fedlake/core'

export const NODE_ERRORS = defineErrors({
  REST_UNKNOWN_AGENT: { status: 400, edgelakeCode: 2, text: 'HTTP server received POST message from unknown User-Agent' },
  REST_NO_COMMAND: { status: 400, edgelakeCode: 2, text: 'Missing command' },
  REST_BAD_BODY: { status: 400, edgelakeCode: 2, text: 'Error Command Structure' },
  PUT_BAD_HEADERS: { status: 400, edgelakeCode: 2, text: 'Missing or wrong PUT headers' },
  ROLE_NOT_ENABLED: { status: 409, edgelakeCode: 203, text: 'Service not enabled on this node' },
  COMMAND_TIMEOUT: { status: 504, edgelakeCode: 26, text: 'Time Out' },
  /** A `timeout` header that is not a duration, or asks for more than limits.maxCommandTimeoutMs. */
  REST_BAD_TIMEOUT: { status: 400, edgelakeCode: 2, text: 'Error Command Structure' },
  /** The client closed the connection before the reply was complete (logged; nobody is left to answer). */
  CLIENT_GONE: { status: 499, edgelakeCode: 26, text: 'Time Out' },
  NETWORK_QUERY_UNAVAILABLE: { status: 501, edgelakeCode: 155, text: 'Failed to determine destination node' },
  /** The node is still starting (its metadata layer is not up): readiness, MCP tools. */
  NODE_NOT_READY: { status: 503, edgelakeCode: 203, text: 'Node is starting' },
  /** An MCP tool argument the tool's schema lets through but the tool cannot use (an unknown time zone). */
  MCP_BAD_ARGUMENT: { status: 400, edgelakeCode: 2, text: 'Error Command Structure' },
  /** The node has a REST token (restToken) and the request carries no `Authorization: Bearer <token>`. */
  REST_TOKEN_MISSING: { status: 401, edgelakeCode: 145, text: 'Authentication failed' },
  /** The request's bearer token is not the node's REST token. */
  REST_TOKEN_INVALID: { status: 401, edgelakeCode: 145, text: 'Authentication failed' },
  /** The request line and headers are over MAX_HEADER_BYTES (a long command belongs in a POST body). */
  REST_HEADERS_TOO_LARGE: { status: 431, edgelakeCode: 2, text: 'Error Command Structure' },
  /** Bytes that are not an HTTP request, refused by Node's parser before any route. */
  REST_MALFORMED_REQUEST: { status: 400, edgelakeCode: 2, text: 'Error Command Structure' },
  /** The client took longer than the server's request timeout to send its request. */
  REST_REQUEST_TIMEOUT: { status: 408, edgelakeCode: 26, text: 'Time Out' }
})
