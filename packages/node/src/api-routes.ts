import type { IncomingMessage, ServerResponse } from 'node:http'

/** A route answers with a JSON value, or writes the response itself and returns `STREAMED` */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL, params: Record<string, string>) => unknown

export const STREAMED = Symbol('streamed')
