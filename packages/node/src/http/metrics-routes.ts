/** `GET /metrics`: the node's Prometheus metrics (POST /metrics is Grafana's JSON datasource, a different route). */
import type { NodeMetrics } from '../metrics/node-metrics.js'
import type { RestPlugin } from './rest-app.js'

/** `metrics` is called on each scrape (it may load the metrics on the first). */
export function metricsRoutes (metrics: () => Promise<NodeMetrics>): RestPlugin {
  return app => {
    app.get('/metrics', async (_req, reply) => {
      const registry = await metrics()
      const text = await registry.scrape()
      return await reply.code(200).type(registry.contentType).send(text)
    })
  }
}
