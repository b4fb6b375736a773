import { readFile } from 'node:fs/promises'
import tls from 'node:tls'
import { join, resolve } from 'node:path'
import { API_STATE_FILE } from './files.js'
import { ApiRequestError, NodeNotRunningError } from './errors.js'
import { splitLines } from './ndjson.js'

/** What a running node writes to `api.json` in its data dir */
export interface ApiState {
  url: string
  pid: number
  peerId: string
  tokenFile: string
  /** The certificate the API serves over HTTPS, trusted by clients on this machine */
  tlsCert?: string
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
    if (state.url.startsWith('https:') && state.tlsCert != null) {
      await trustCertificate(state.tlsCert)
    }
    return new ApiClient(state.url, token, options.timeout ?? 10_000)
  }

  /** The headers that authenticate a request to this node's API */
  authHeaders (): Record<string, string> {
    return { authorization: `Bearer ${this.token}` }
  }

  async get<T> (path: string): Promise<T> {
    return await this.request<T>('GET', path)
  }

  async post<T> (path: string, body: unknown, options: { timeout?: number } = {}): Promise<T> {
    return await this.request<T>('POST', path, body, options.timeout)
  }

  async delete<T> (path: string): Promise<T> {
    return await this.request<T>('DELETE', path)
  }

  async request<T> (method: string, path: string, body?: unknown, timeout?: number): Promise<T> {
    const res = await this.fetch(method, path, {
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(timeout ?? this.timeout)
    })
    const json: any = await res.json().catch(() => undefined)
    if (!res.ok) {
      throw new ApiRequestError(json?.error?.message ?? `HTTP ${res.status}`, res.status, json?.error?.name)
    }
    return json as T
  }

  /**
   * Sends a streamed body and yields the lines of a streamed answer (NDJSON
   * routes such as import and export). No timeout: the caller aborts.
   */
  async * lines (method: string, path: string, body?: AsyncIterable<Uint8Array>, signal?: AbortSignal): AsyncGenerator<any> {
    const res = await this.fetch(method, path, {
      body: body == null ? undefined : ReadableStream.from(body),
      headers: body == null ? {} : { 'content-type': 'application/x-ndjson' },
      // a streamed request body needs half-duplex mode in fetch
      duplex: body == null ? undefined : 'half',
      signal
    } as RequestInit)
    if (!res.ok || res.body == null) {
      const json: any = await res.json().catch(() => undefined)
      throw new ApiRequestError(json?.error?.message ?? `HTTP ${res.status}`, res.status, json?.error?.name)
    }
    for await (const line of this.bodyLines(res.body)) {
      if (line.trim() !== '') yield JSON.parse(line)
    }
  }

  /** The lines of an answer; a connection cut before its end (the node died) is a `NodeNotRunningError` */
  private async * bodyLines (body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
    try {
      yield * splitLines(body)
    } catch (err: any) {
      if (err.name === 'TimeoutError' || err.name === 'AbortError') throw err
      throw new NodeNotRunningError(`the node's API at ${this.url} stopped answering: ${err.cause?.message ?? err.message}`)
    }
  }

  private async fetch (method: string, path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(new URL(path, this.url), {
        ...init,
        method,
        headers: { ...init.headers as Record<string, string>, authorization: `Bearer ${this.token}` }
      })
    } catch (err: any) {
      if (err.name === 'TimeoutError' || err.name === 'AbortError') throw err
      throw new NodeNotRunningError(`cannot reach the node's API at ${this.url}: ${err.cause?.message ?? err.message}`)
    }
  }
}

/**
 * Adds the node's own certificate to the CAs this process trusts, so that a
 * self-signed API certificate works for the CLI without turning checks off
 */
async function trustCertificate (file: string): Promise<void> {
  const pem = await readFile(file, 'utf8')
  if (typeof tls.setDefaultCACertificates !== 'function') return
  const current = tls.getCACertificates('default')
  if (!current.includes(pem)) tls.setDefaultCACertificates([...current, pem])
}

function isAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err: any) {
    return err.code === 'EPERM'
  }
}
