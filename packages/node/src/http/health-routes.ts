/**
 * Probes for Kubernetes and load balancers, answered whatever the User-Agent and without the REST token:
 *
 * - `GET /health` (liveness): 200 `{"status":"healthy","service":"anylog-rest-server","timestamp":<epoch s>,"node":..}`
 *   while the process serves HTTP. EdgeLake answers `GET /health` with the same document (reference/edgelake.md §1.1),
 *   so the keys and the `service` value are its own.
 * - `GET /ready` (readiness): 200 `{"status":"ready",...}` once the node has started, its storage is open and its
 *   metadata layer is up; 503 `{"status":"not ready",...}` before, with the condition that is not met.
 */
import type { NodeServices } from '../node-services.js'
import { readinessOf } from '../readiness.js'
import type { RestPlugin } from './rest-app.js'

export const LIVENESS_PATH = '/health'
export const READINESS_PATH = '/ready'

const JSON_TYPE = 'application/json; charset=utf-8'

export function healthRoutes (services: NodeServices): RestPlugin {
  return app => {
    app.get(LIVENESS_PATH, async (_req, reply) => await reply.code(200).type(JSON_TYPE).send(JSON.stringify({
      status: 'healthy',
      service: 'anylog-rest-server',
      timestamp: Date.now() / 1000,
      node: services.config.name
    })))
    app.get(READINESS_PATH, async (_req, reply) => {
      const { ready, checks } = readinessOf(services)
      return await reply.code(ready ? 200 : 503).type(JSON_TYPE).send(JSON.stringify({
        status: ready ? 'ready' : 'not ready',
        node: services.config.name,
        checks
      }))
    })
  }
}
