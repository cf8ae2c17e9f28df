/**
 * The REST bearer token (`restToken`): when set, every request must carry `Authorization: Bearer <token>`,
 * checked in an onRequest hook that runs before every route (EdgeLake commands and PUT, Grafana's routes,
 * /metrics, /mcp, and unknown paths). A missing or wrong token answers 401 in EdgeLake's error shape with
 * REST_TOKEN_MISSING or REST_TOKEN_INVALID.
 *
 * Public, with no token: the probes (GET /health, GET /ready), the console's static files (GET or HEAD of a
 * route registered under /ui: the page must load before it can ask for the token; it sends the token on
 * its API calls) and CORS preflights (browsers send no Authorization on OPTIONS). The route a request
 * matched decides, not its path: `/ui/x` that no /ui route serves falls to the EdgeLake command route, and
 * needs the token.
 *
 * The token is compared in constant time (SHA-256 of both sides, then timingSafeEqual) and never logged:
 * refusals are logged with the method, path and client address only, at most one line per 10 s.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { FedlakeError } from '@fedlake/core'
import type { Logger } from '@fedlake/core'
import { NODE_ERRORS } from '../errors.js'
import { LIVENESS_PATH, READINESS_PATH } from './health-routes.js'
import { errorBody } from './rest-app.js'
import type { RestPlugin } from './rest-app.js'

export interface RestTokenGuardInit {
  readonly token: string
  readonly nodeName: string
  readonly logger: Logger
}

export interface RestTokenGuard {
  /** Adds the hook; register it before the other plugins' routes (any order works, but it reads best first). */
  readonly plugin: RestPlugin
  /** Requests refused so far. */
  refused(): number
}

const PUBLIC_ROUTES = new Set([LIVENESS_PATH, READINESS_PATH])
const LOG_INTERVAL_MS = 10_000

/** Whether the route this request matched is served without the token. */
export function isPublicRoute (method: string, routeUrl: string | undefined): boolean {
  if (method === 'OPTIONS') return true
  if (routeUrl === undefined || (method !== 'GET' && method !== 'HEAD')) return false
  return PUBLIC_ROUTES.has(routeUrl) || routeUrl === '/ui' || routeUrl.startsWith('/ui/')
}

/** The credentials of `Authorization: Bearer <credentials>`, or undefined when the header is absent or another scheme. */
export function bearerCredentials (header: string | undefined): string | undefined {
  const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  return m?.[1]
}

export function restTokenGuard (init: RestTokenGuardInit): RestTokenGuard {
  const expected = createHash('sha256').update(init.token, 'utf8').digest()
  const matches = (given: string): boolean => timingSafeEqual(expected, createHash('sha256').update(given, 'utf8').digest())
  let refused = 0
  let lastLogAt = 0
  let unlogged = 0

  const logRefusal = (req: FastifyRequest, code: string): void => {
    const now = Date.now()
    if (now - lastLogAt < LOG_INTERVAL_MS) { unlogged++; return }
    lastLogAt = now
    init.logger.warn('request refused: no valid REST token', {
      code,
      method: req.method,
      path: req.url.split('?')[0],
      client: req.ip,
      ...(unlogged > 0 ? { refusedSinceLastLine: unlogged } : {})
    })
    unlogged = 0
  }

  return {
    refused: () => refused,
    plugin: app => {
      app.addHook('onRequest', async (req, reply) => {
        if (isPublicRoute(req.method, req.routeOptions.url)) return
        const header = req.headers.authorization
        const given = bearerCredentials(header)
        if (given !== undefined && matches(given)) return
        refused++
        const err = given === undefined
          ? new FedlakeError(NODE_ERRORS.REST_TOKEN_MISSING, header === undefined
            ? 'this node requires a REST token: send the header "Authorization: Bearer <token>"'
            : 'the Authorization header is not "Bearer <token>"')
          : new FedlakeError(NODE_ERRORS.REST_TOKEN_INVALID, 'the bearer token is not this node\'s REST token')
        logRefusal(req, err.code)
        return await reply.code(401)
          .header('www-authenticate', given === undefined ? 'Bearer realm="fedlake"' : 'Bearer realm="fedlake", error="invalid_token"')
          .type('application/json; charset=utf-8')
          .send(JSON.stringify(errorBody(err, req.method, init.nodeName)))
      })
    }
  }
}
