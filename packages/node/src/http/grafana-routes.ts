/**
 * Grafana's JSON datasource on the node's REST port (docs/grafana.md): `POST /metrics`, `/metric-payload-options`,
 * `/query`, `/variable`, `/tag-keys`, `/tag-values`, the legacy `/search` and `/annotations`, and the datasource
 * test: a `GET /` from a Grafana User-Agent without a command answers 200 `OK`, as EdgeLake does (curl's GET still
 * means `get status`, AnyLog's still runs its command).
 *
 * Errors answer their status with `{"message": ...}`, which Grafana shows in the panel (EdgeLake answers 200).
 */
import { CORE_ERRORS, FedlakeError, isFedlakeError, resourcePlan, toFedlakeError } from '@fedlake/core'
import type { JsonValue, Logger } from '@fedlake/core'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { createGrafanaDatasource } from '../grafana/datasource.js'
import type { GrafanaDatasource, RequestContext } from '../grafana/datasource.js'
import { GRAFANA_ERRORS } from '../grafana/errors.js'
import { NODE_ERRORS } from '../errors.js'
import type { NodeServices } from '../node-services.js'
import { readEdgeLakeRequest } from './edgelake-request.js'
import { parseTimeoutHeader, preferDeadline, startDeadline } from './request-deadline.js'
import type { RequestDeadline } from './request-deadline.js'
import type { RestPlugin } from './rest-app.js'

/** Grafana's requests are small JSON documents; dashboards never need more. */
const BODY_LIMIT_BYTES = 1024 * 1024
const JSON_TYPE = 'application/json; charset=utf-8'

type Endpoint = (ds: GrafanaDatasource, body: unknown, ctx: RequestContext) => JsonValue[] | Promise<JsonValue[]>

const ENDPOINTS: Readonly<Record<string, Endpoint>> = {
  '/metrics': (ds, body, ctx) => ds.metrics(body, ctx),
  '/metric-payload-options': (ds, body, ctx) => ds.metricPayloadOptions(body, ctx),
  '/query': async (ds, body, ctx) => await ds.query(body, ctx),
  '/variable': async (ds, body, ctx) => await ds.variable(body, ctx),
  '/tag-keys': (ds, body, ctx) => ds.tagKeys(body, ctx),
  '/tag-values': async (ds, body, ctx) => await ds.tagValues(body, ctx),
  '/search': async (ds, body, ctx) => await ds.search(body, ctx),
  // simple-json and simpod <= 0.2; annotations now come through /query
  '/annotations': () => []
}

export function grafanaRoutes (services: NodeServices, log: Logger): RestPlugin {
  const { config } = services
  const plan = resourcePlan(config.limits)
  const datasource = createGrafanaDatasource({
    catalog: () => services.metadata()?.catalog,
    async runNetwork (command, options) {
      const executor = services.network()
      if (executor === undefined) {
        throw new FedlakeError(NODE_ERRORS.NETWORK_QUERY_UNAVAILABLE, 'this node does not run network queries (no query role, or its metadata layer is not up yet): point Grafana at a query node')
      }
      return (await executor.run({ command, ...options })).stream
    },
    runCommand: async (command, ctx) => await services.router.execute(command, ctx),
    caps: { maxRows: plan.maxReplyRows, maxBytes: plan.maxReplyBytes }
  })

  const sendError = (reply: FastifyReply, req: FastifyRequest, err: unknown): FastifyReply => {
    const fe = toFedlakeError(err)
    if (fe.code === CORE_ERRORS.INTERNAL) log.error('grafana request failed', { url: req.url, error: fe.message, cause: (fe.cause as Error | undefined)?.stack })
    return reply.code(fe.spec.status).type(JSON_TYPE).send(JSON.stringify({ message: fe.message, code: fe.code, err_code: fe.spec.edgelakeCode, err_text: fe.spec.text }))
  }

  const handle = (endpoint: Endpoint) => async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    let deadline: RequestDeadline | undefined
    try {
      const body = parseBody(req.body)
      const timeoutMs = parseTimeoutHeader(headerText(req.headers.timeout), config.limits.commandTimeoutMs, config.limits.maxCommandTimeoutMs)
      deadline = startDeadline(reply, timeoutMs)
      const ctx: RequestContext = { headers: req.headers, signal: deadline.signal, deadline: deadline.at }
      const answer = await deadline.race(Promise.resolve().then(async () => await endpoint(datasource, body, ctx)))
      return await reply.code(200).type(JSON_TYPE).send(JSON.stringify(answer))
    } catch (err) {
      if (reply.raw.headersSent) return undefined
      return sendError(reply, req, deadline?.signal.aborted === true && isFedlakeError(deadline.signal.reason) ? preferDeadline(err, deadline.signal.reason) : err)
    } finally {
      deadline?.clear()
    }
  }

  return app => {
    for (const [path, endpoint] of Object.entries(ENDPOINTS)) app.post(path, { bodyLimit: BODY_LIMIT_BYTES }, handle(endpoint))

    // "Save & test": Grafana GETs the datasource URL. A preHandler, so EdgeLake's `/` route keeps every other GET.
    app.addHook('preHandler', async (req, reply) => {
      if (req.method !== 'GET' || req.routeOptions.url !== '/*') return
      const request = readEdgeLakeRequest({ method: 'GET', url: req.url, headers: req.headers })
      if (request.agent === 'grafana' && request.command === undefined) await reply.code(200).type('text/plain; charset=utf-8').send('OK')
    })
  }
}

function headerText (value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}

/** The body as JSON; an empty body is `{}` (the metric list is asked for with one). */
function parseBody (body: unknown): unknown {
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : ''
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new FedlakeError(GRAFANA_ERRORS.GRAFANA_BAD_REQUEST, `the body is not valid JSON: ${(err as Error).message}`)
  }
}
