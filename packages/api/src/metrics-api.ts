import { STREAMED } from './api-routes.js'
import type { ApiContext, Route } from './api-routes.js'

/**
 * `GET /metrics`: the node's registry in the Prometheus text format, its
 * `overmind_` series always, libp2p's and the process's when the node was
 * created with `metrics: true`
 */
export function metricsRoutes (context: ApiContext): Array<[string, Route]> {
  return [
    ['GET /metrics', async (_req, res) => {
      const { registry } = context.node
      const body = await registry.metrics()
      res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
      res.end(body)
      return STREAMED
    }]
  ]
}
