/** `GET /metrics`: the node's Prometheus metrics (POST /metrics is Grafana's JSON datasource, a different route). */
import type { NodeMetrics } from '../metrics/node-metrics.js'
import type { RestPlugin } from './rest-app.js'

export function metricsRoutes (metrics: NodeMetrics): RestPlugin {
  return app => {
    app.get('/metrics', async (_req, reply) => {
      const text = await metrics.scrape()
      return await reply.code(200).type(metrics.contentType).send(text)
    })
  }
}
