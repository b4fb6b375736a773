import { checkInput } from '@overmind/agents'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { STREAMED } from './api-routes.js'
import { BadRequestError } from './errors.js'
import { readJson } from './memory-api.js'
import type { ApiContext, Route } from './api-routes.js'
import type { OvermindNode } from './node.js'

/** What a run stream answers with, one JSON object per line */
export type RunProgress =
  | { output: string }
  | { done: { host: string, frames: number, durationMs: number, exitCode?: number, attempts: unknown[] } }
  | { error: { name: string, message: string, host?: string, attempts?: unknown[] } }

/**
 * The agent routes of the local API:
 *
 * - `GET /v1/agents` → every agent known in the mesh
 * - `POST /v1/agents/run` `{agent, input, deadline?, node?, callerAgent?}` →
 *   NDJSON: `{"output": text}` as the agent produces it, then `{"done": …}`
 *   or `{"error": {name, message}}`. Closing the request cancels the run.
 * - `GET /v1/runs` → runs in progress and the latest finished ones
 */
export function agentRoutes ({ node }: ApiContext): Array<[string, Route]> {
  const service = (): OvermindNode['libp2p']['services']['runAgent'] => node.libp2p.services.runAgent
  return [
    ['GET /v1/agents', () => ({ agents: service().agents() })],
    ['GET /v1/runs', () => service().runs()],
    ['POST /v1/agents/run', async (req, res) => {
      const body = await readJson(req)
      if (typeof body.agent !== 'string' || body.agent === '') throw new BadRequestError('expected {"agent": "name", "input": "text"}')
      if (body.input != null && typeof body.input !== 'string') throw new BadRequestError('"input" must be a string')
      for (const key of ['node', 'callerAgent'] as const) {
        if (body[key] != null && typeof body[key] !== 'string') throw new BadRequestError(`"${key}" must be a string`)
      }
      if (body.deadline != null && (typeof body.deadline !== 'number' || !(body.deadline > 0))) throw new BadRequestError('"deadline" must be a number of ms above 0')
      const input = uint8ArrayFromString(body.input ?? '')
      // checked here as well so an oversized input is a 400, not an error line in a 200 stream
      checkInput(input)
      const cancel = new AbortController()
      // the client going away cancels the run on its host
      res.on('close', () => { if (!res.writableFinished) cancel.abort(new Error('the API client went away')) })
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
      const write = async (line: RunProgress): Promise<void> => {
        if (res.destroyed) return
        if (!res.write(JSON.stringify(line) + '\n')) await new Promise(resolve => res.once('drain', resolve))
      }
      const decoder = new TextDecoder()
      try {
        const outcome = await service().run(body.agent, input, {
          deadline: body.deadline,
          node: body.node,
          callerAgent: body.callerAgent,
          signal: cancel.signal,
          onOutput: async data => {
            const text = decoder.decode(data, { stream: true })
            if (text !== '') await write({ output: text })
          }
        })
        const rest = decoder.decode()
        if (rest !== '') await write({ output: rest })
        await write({ done: { host: outcome.host, frames: outcome.frames, durationMs: outcome.durationMs, exitCode: outcome.exitCode, attempts: outcome.attempts } })
      } catch (err: any) {
        await write({ error: { name: err.name ?? 'Error', message: err.message, host: err.host, attempts: err.attempts } })
      }
      res.end()
      return STREAMED
    }]
  ]
}
