import type { ApiContext, Route } from './api-routes.js'

export function a2aRoutes (_context: ApiContext): Array<[string, Route]> {
  return []
}
