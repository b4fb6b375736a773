import type { ApiContext, Route } from './api-routes.js'

export function uiRoutes (_context: ApiContext): Array<[string, Route]> {
  return []
}
