import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { API_STATE_FILE } from './data-dir.js'
import { ApiRequestError, NodeNotRunningError } from './errors.js'

/** What a running node writes to `api.json` in its data dir */
export interface ApiState {
  url: string
  pid: number
  peerId: string
  tokenFile: string
}

export interface ApiClientOptions {
  timeout?: number
}

/** Calls the local API of the node running on a data dir */
export class ApiClient {
  private constructor (readonly url: string, private readonly token: string, private readonly timeout: number) {}

  static async forDataDir (dataDir: string, options: ApiClientOptions = {}): Promise<ApiClient> {
    const dir = resolve(dataDir)
    let state: ApiState
    try {
      state = JSON.parse(await readFile(join(dir, API_STATE_FILE), 'utf8'))
    } catch (err: any) {
      if (err.code === 'ENOENT') {
        throw new NodeNotRunningError(`no node is running on ${dir} (start one with \`overmind start --data-dir ${dataDir}\`)`)
      }
      throw new NodeNotRunningError(`cannot read ${join(dir, API_STATE_FILE)}: ${err.message}`)
    }
    if (!isAlive(state.pid)) {
      throw new NodeNotRunningError(`the node that ran on ${dir} (pid ${state.pid}) is not running any more`)
    }
    const token = (await readFile(state.tokenFile, 'utf8')).trim()
    return new ApiClient(state.url, token, options.timeout ?? 10_000)
  }

  async get<T> (path: string): Promise<T> {
    let res: Response
    try {
      res = await fetch(new URL(path, this.url), {
        headers: { authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(this.timeout)
      })
    } catch (err: any) {
      throw new NodeNotRunningError(`cannot reach the node's API at ${this.url}: ${err.cause?.message ?? err.message}`)
    }
    const body: any = await res.json().catch(() => undefined)
    if (!res.ok) {
      throw new ApiRequestError(body?.error?.message ?? `HTTP ${res.status}`, res.status)
    }
    return body as T
  }
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    return err.code === 'EPERM'
  }
}
