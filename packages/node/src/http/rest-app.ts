/**
 * The node's REST API, EdgeLake-compatible (reference/edgelake.md §1): `GET`/`POST /` carry a command
 * (header, URL pairs or JSON body), `PUT /` ingests JSON rows. Built without listening so tests can
 * use `app.inject()`; `createRestServer` adds the listener.
 */
import { createHash } from 'node:crypto'
import Fastify from 'fastify'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { CORE_ERRORS, FedlakeError, isFedlakeError, renderTextTable, toFedlakeError } from '@fedlake/core'
import type { CommandReply, HttpMethod, JsonValue, Logger, Startable } from '@fedlake/core'
import type { CommandRouter } from '../command-router.js'
import { NODE_ERRORS } from '../errors.js'
import { clientErrorHandler } from './client-errors.js'
import { readEdgeLakeRequest } from './edgelake-request.js'
import { parseTimeoutHeader, preferDeadline, startDeadline } from './request-deadline.js'
import type { RequestDeadline } from './request-deadline.js'
import { sendStream } from './send-stream.js'

export interface PutRequest {
  readonly dbms: string
  readonly table: string
  readonly mode: 'streaming' | 'file'
  readonly body: Buffer
}

export interface PutResult {
  readonly rows: number
}

export type PutHandler = (req: PutRequest, signal: AbortSignal) => Promise<PutResult>

export interface RestAppInit {
  readonly nodeName: string
  readonly router: CommandRouter
  readonly logger: Logger
  /** Absent when the node has no operator role: PUT then answers ROLE_NOT_ENABLED. */
  readonly put?: PutHandler
  /** @default 64 MiB */
  readonly bodyLimitBytes?: number
  /** Default command deadline when the request has no `timeout` header. @default 20000 */
  readonly commandTimeoutMs?: number
  /** Longest deadline a `timeout` header may ask for; longer is refused with 400. @default 300000 */
  readonly maxCommandTimeoutMs?: number
  /**
   * More HTTP surfaces on the same port (Grafana's JSON datasource, the console, metrics, MCP...), each a
   * function that adds its routes; registered before EdgeLake's catch-all `/*` routes, so exact paths win.
   */
  readonly plugins?: readonly RestPlugin[]
}

/** Adds routes to the node's one REST server. */
export type RestPlugin = (app: FastifyInstance) => void

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  vary: 'Origin',
  'access-control-expose-headers': '*'
}
const ALLOWED_REQUEST_HEADERS = 'Content-Type, Authorization, Accept, User-Agent, AnyLog-Agent, command, dbms, table, details, destination, timeout, subset, into, topic, mode, source, instructions, type, assignment, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID'

interface RenderedReply { status: number, contentType: string, body: string }

export function renderReply (reply: CommandReply): RenderedReply {
  switch (reply.kind) {
    case 'json':
      return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(reply.body) }
    case 'text':
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: reply.body }
    case 'raw':
      return { status: 200, contentType: reply.contentType, body: reply.body }
    case 'stream':
      throw new Error('a stream reply is sent by sendStream, not rendered')
    case 'table': {
      if (reply.preferJson === true) {
        const rows = reply.rows.map(r => Object.fromEntries(reply.columns.map((c, i) => [c, r[i] ?? null])))
        return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(rows) }
      }
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: renderTextTable(reply.columns, reply.rows, reply.title) }
    }
  }
}

/** EdgeLake's error shape (§1.8) with a real HTTP status, plus our stable `code`. */
export function errorBody (err: FedlakeError, method: string, nodeName: string): Record<string, JsonValue> {
  return {
    method: method.toLowerCase(),
    node: nodeName,
    err_code: err.spec.edgelakeCode,
    err_text: err.spec.text,
    code: err.code,
    local_msg: err.message
  }
}

/**
 * The request line and headers together, at most: a `command` header carries the whole SQL, and EdgeLake's Python
 * server takes 64 KiB per header line (Node's default is 16 KiB). Longer commands go in a POST JSON body.
 */
export const MAX_HEADER_BYTES = 64 * 1024

export function buildRestApp (init: RestAppInit): FastifyInstance {
  const bodyLimit = init.bodyLimitBytes ?? 64 * 1024 * 1024
  const app = Fastify({
    logger: false,
    bodyLimit,
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    clientErrorHandler: clientErrorHandler(MAX_HEADER_BYTES, err => JSON.stringify(errorBody(err, 'get', init.nodeName)))
  })
  const log = init.logger

  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => { done(null, body) })

  app.addHook('onSend', async (_req, reply, payload) => {
    reply.headers(CORS_HEADERS)
    return payload
  })

  const sendError = (reply: FastifyReply, req: FastifyRequest, err: unknown): FastifyReply => {
    const fe = toFedlakeError(err)
    if (fe.code === CORE_ERRORS.INTERNAL) log.error('request failed', { method: req.method, error: fe.message, cause: (fe.cause as Error | undefined)?.stack })
    return reply.code(fe.spec.status).type('application/json; charset=utf-8').send(JSON.stringify(errorBody(fe, req.method, init.nodeName)))
  }

  app.setErrorHandler((err, req, reply) => {
    const e = err as { statusCode?: number, message?: string, code?: string }
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendError(reply, req, new FedlakeError(NODE_ERRORS.REST_BAD_BODY, `body larger than ${bodyLimit} bytes`))
    }
    return sendError(reply, req, err)
  })

  app.options('/*', async (_req, reply) => reply.code(204).headers({
    'access-control-allow-methods': 'GET, POST, PUT, OPTIONS',
    'access-control-allow-headers': ALLOWED_REQUEST_HEADERS,
    'access-control-max-age': '86400'
  }).send())

  const runCommand = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const method = req.method as HttpMethod
    let deadline: RequestDeadline | undefined
    try {
      const request = readEdgeLakeRequest({ method, url: req.url, headers: req.headers, body: req.body })
      if (request.command === undefined) {
        if (method === 'GET') return await reply.code(200).type('text/plain; charset=utf-8').send('')
        if (request.agent === 'unknown') {
          throw new FedlakeError(NODE_ERRORS.REST_UNKNOWN_AGENT, `POST without a command from unknown User-Agent '${request.headers['user-agent'] ?? ''}'; send 'User-Agent: AnyLog/1.23'`)
        }
        throw new FedlakeError(NODE_ERRORS.REST_NO_COMMAND, 'no command: send it in the "command" header or a JSON body {"command": "..."}')
      }
      const timeoutMs = parseTimeoutHeader(request.headers.timeout, init.commandTimeoutMs ?? 20_000, init.maxCommandTimeoutMs ?? 300_000)
      // the deadline covers the whole request, sending included: it ends when the reply is out
      deadline = startDeadline(reply, timeoutMs)
      const result = await deadline.race(init.router.execute(request.command, { method, headers: request.headers, signal: deadline.signal, deadline: deadline.at }))
      if (result.kind === 'stream') {
        await sendStream(reply, result, deadline.signal, err => errorBody(err, req.method, init.nodeName), log)
        return undefined
      }
      const rendered = renderReply(result)
      return await reply.code(rendered.status).type(rendered.contentType).send(rendered.body)
    } catch (err) {
      if (reply.raw.headersSent) return undefined
      return sendError(reply, req, deadline?.signal.aborted === true && isFedlakeError(deadline.signal.reason) ? preferDeadline(err, deadline.signal.reason) : err)
    } finally {
      deadline?.clear()
    }
  }

  for (const plugin of init.plugins ?? []) plugin(app)

  app.get('/*', runCommand)
  app.post('/*', runCommand)

  app.put('/*', async (req, reply) => {
    try {
      if (init.put === undefined) throw new FedlakeError(NODE_ERRORS.ROLE_NOT_ENABLED, 'PUT ingestion needs the operator role on this node')
      const h = req.headers
      const type = String(h.type ?? 'json').toLowerCase()
      if (type !== 'json') throw new FedlakeError(NODE_ERRORS.PUT_BAD_HEADERS, `unsupported type '${type}': only 'json' is accepted`)
      const dbms = typeof h.dbms === 'string' ? h.dbms.trim().toLowerCase() : ''
      const table = typeof h.table === 'string' ? h.table.trim().toLowerCase() : ''
      if (dbms === '' || table === '') throw new FedlakeError(NODE_ERRORS.PUT_BAD_HEADERS, 'PUT needs the headers "dbms" and "table"')
      const modeHeader = String(h.mode ?? 'streaming').toLowerCase()
      if (modeHeader !== 'streaming' && modeHeader !== 'file') throw new FedlakeError(NODE_ERRORS.PUT_BAD_HEADERS, `mode must be 'streaming' or 'file', not '${modeHeader}'`)
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.from(typeof req.body === 'string' ? req.body : '')
      const controller = new AbortController()
      const result = await init.put({ dbms, table, mode: modeHeader, body }, controller.signal)
      const hash = createHash('md5').update(body).digest('hex')
      return await reply.code(200).type('application/json; charset=utf-8')
        .send(JSON.stringify({ 'AnyLog.status': 'Success', 'AnyLog.hash': hash, rows: result.rows }))
    } catch (err) {
      return sendError(reply, req, err)
    }
  })

  return app
}

export interface RestServer extends Startable {
  /** `http://host:port` once started. */
  url(): string
  readonly app: FastifyInstance
}

export function createRestServer (init: RestAppInit & { host: string, port: number }): RestServer {
  const app = buildRestApp(init)
  let url = ''
  return {
    app,
    url: () => url,
    async start () {
      await app.listen({ host: init.host, port: init.port })
      const addr = app.server.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : init.port
      url = `http://${init.host.includes(':') ? `[${init.host}]` : init.host}:${port}`
    },
    async stop () {
      await app.close()
    }
  }
}
