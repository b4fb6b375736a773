import { STREAMED, readJson, writeLine } from './api-routes.js'
import { callOperation, checkRunTarget, operation, parseParams } from './operations.js'
import type { ApiContext, Route } from './api-routes.js'

/** What a run stream answers with, one JSON object per line */
export type RunProgress =
  | { output: string }
  | { progress: string }
  | { done: { queued?: { id: string, expiresAt: number }, host: string, agent?: string, frames: number, durationMs: number, exitCode?: number, attempts: unknown[] } }
  | { error: { name: string, message: string, host?: string, attempts?: unknown[] } }

/**
 * The agent routes of the local API:
 *
 * - `GET /v1/agents` → every agent known in the mesh
 * - `POST /v1/agents/run` `{agent | skill, input, deadline?, node?, callerAgent?}` →
 *   NDJSON: `{"output": text}` as the agent produces it, `{"progress": text}`
 *   when its worker reports how it goes (session agents), then `{"done": …}`
 *   or `{"error": {name, message}}`. Closing the request cancels the run.
 * - `GET /v1/runs` → runs in progress and the latest finished ones
 * - `GET /v1/tasks` → runs of session agents waiting for workers, and their workers
 * - `GET /v1/agents/:name/package?top=K` → the agent's signed package
 * - `POST /v1/agents/:name/delegate` `{to, duration}`, `POST /v1/agents/:name/recall`,
 *   `GET /v1/delegations` → agents lent to and by this node
 * - `GET /v1/runs/queued[/:id]` → runs kept for absent hosts (`queueTtl`)
 */
export function agentRoutes ({ node, maxBody }: ApiContext): Array<[string, Route]> {
  const run = operation('agent.run')!
  return [
    ['GET /v1/agents', async () => await callOperation(node, 'agent.list', {})],
    ['GET /v1/runs', async () => await callOperation(node, 'agent.runs', {})],
    ['GET /v1/runs/queued', async () => await callOperation(node, 'agent.queued', {})],
    ['GET /v1/tasks', async () => await callOperation(node, 'task.list', {})],
    ['GET /v1/runs/queued/:id', async (_req, _res, _url, params) => await callOperation(node, 'agent.queued', { id: params.id })],
    ['GET /v1/agents/:name/package', async (_req, _res, url, params) => {
      const top = url.searchParams.get('top')
      return await callOperation(node, 'agent.export', { name: params.name, top: top == null ? undefined : Number(top) })
    }],
    ['POST /v1/agents/:name/delegate', async (req, _res, _url, params) => {
      const body = await readJson(req, maxBody) as Record<string, unknown>
      return await callOperation(node, 'agent.delegate', { ...body, name: params.name })
    }],
    ['POST /v1/agents/:name/recall', async (_req, _res, _url, params) => await callOperation(node, 'agent.recall', { name: params.name })],
    ['GET /v1/delegations', async () => await callOperation(node, 'agent.delegations', {})],
    ['POST /v1/agents/run', async (req, res) => {
      // checked before the answer starts, so bad params (an oversized input too) are a 400
      const params = parseParams(run, await readJson(req, maxBody))
      checkRunTarget(params)
      const cancel = new AbortController()
      // the client going away cancels the run on its host
      res.on('close', () => { if (!res.writableFinished) cancel.abort(new Error('the API client went away')) })
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
      try {
        const { output, ...done } = await run.run(node, params, {
          signal: cancel.signal,
          onProgress: async text => { await writeLine(res, { output: text }) },
          onStatus: message => { writeLine(res, { progress: message }).catch(() => {}) }
        })
        await writeLine(res, { done })
      } catch (err: any) {
        await writeLine(res, { error: { name: err.name ?? 'Error', message: err.message, host: err.host, attempts: err.attempts } })
      }
      res.end()
      return STREAMED
    }]
  ]
}
