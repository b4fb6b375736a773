import type { ApiContext, Route } from './api-routes.js'

export function metricsRoutes (_context: ApiContext): Array<[string, Route]> {
  return []
}
