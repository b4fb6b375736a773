import type { OvermindNode } from './node.js'
import type { IncomingMessage, ServerResponse } from 'node:http'

/** A route answers with a JSON value, or writes the response itself and returns `STREAMED` */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>) => unknown

export const STREAMED = Symbol('streamed')

/**
 * What a group of routes is given when the API starts. Route keys are
 * `"METHOD /path/:param"`; `"* /prefix/*"` takes every method and every path
 * under the prefix (for handlers that route by themselves).
 */
export interface ApiContext {
  node: OvermindNode
  /** http(s)://host:port of the API, once it listens */
  url(): string
  /** Largest request body, in bytes */
  maxBody: number
  /** Runs `fn` when the API closes (timers, sessions) */
  onClose(fn: () => void | Promise<void>): void
}

export type RouteGroup = (context: ApiContext) => Array<[string, Route]>
