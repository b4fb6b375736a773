import { ApiClient } from '@overmind/node/client'
import type { ChunkView, ConsolidationReport, MemoryStore, PutInput, SearchQuery, SearchResult, Signal, ZoneName } from '@overmind/memory'
import type { ImportProgress } from '@overmind/node/client'
import type { NodePort } from '@overmind/api'

export interface SearchAnswer {
  results: SearchResult[]
  peers: Array<{ peer: string, ok: boolean, results: number, ms: number, error?: string }>
}

/**
 * The memory of a data dir, through its running node's API, or opened
 * directly when no node runs on it (federated search then needs the node).
 */
export interface MemoryAccess {
  readonly via: 'node' | 'store'
  put(input: PutInput): Promise<ChunkView>
  get(id: string, agent?: string): Promise<ChunkView>
  forget(id: string, agent?: string): Promise<void>
  feedback(ids: string[], success: boolean, agent?: string): Promise<void>
  link(from: string, to: string, options: { relation?: string, weight?: number, agent?: string }): Promise<void>
  search(query: SearchQuery & { federated?: boolean, deadline?: number }): Promise<SearchAnswer>
  signals(limit?: number): Promise<{ signals: Signal[], total: number }>
  consolidate(): Promise<ConsolidationReport>
  import(lines: AsyncIterable<Uint8Array>): AsyncGenerator<ImportProgress>
  export(options: { agent?: string, zone?: ZoneName }): AsyncGenerator<ChunkView>
  close(): Promise<void>
}

export async function openMemoryAccess (dataDir: string): Promise<MemoryAccess> {
  try {
    return new ApiMemory(await ApiClient.forDataDir(dataDir, { timeout: 60_000 }))
  } catch (err: any) {
    if (err.name !== 'NodeNotRunningError') throw err
  }
  // no node runs on it: open the store itself (this loads the node's code, which the API path does not need),
  // and run the same operations the API runs over it
  const { mayCreateMemory, openDataDir, openMemoryStore } = await import('@overmind/node')
  const api = await import('@overmind/api')
  const { StorageError } = await import('@overmind/memory')
  const dir = await openDataDir(dataDir)
  try {
    const store = await openMemoryStore(dir.paths.memory, { config: dir.config, privateKey: dir.privateKey, createMemory: await mayCreateMemory(dir) })
    // an Ed25519 key's string form is its peer id
    return new StoreMemory(api, api.offlinePort(store, { peerId: dir.privateKey.publicKey.toString(), mesh: dir.config.mesh.name }), store)
  } catch (err: any) {
    if (err instanceof StorageError && err.problem === 'locked') {
      throw new Error(`the memory of ${dir.path} is in use by another process (a node starting or stopping?)`)
    }
    throw err
  }
}

class ApiMemory implements MemoryAccess {
  readonly via = 'node'
  constructor (private readonly client: ApiClient) {}

  async put (input: PutInput): Promise<ChunkView> {
    return await this.client.post('/v1/memory/chunks', input)
  }

  async get (id: string, agent?: string): Promise<ChunkView> {
    return await this.client.get(`/v1/memory/chunks/${encodeURIComponent(id)}${query({ agent })}`)
  }

  async forget (id: string, agent?: string): Promise<void> {
    await this.client.delete(`/v1/memory/chunks/${encodeURIComponent(id)}${query({ agent })}`)
  }

  async feedback (ids: string[], success: boolean, agent?: string): Promise<void> {
    await this.client.post('/v1/memory/feedback', { ids, success, agent })
  }

  async link (from: string, to: string, options: { relation?: string, weight?: number, agent?: string }): Promise<void> {
    await this.client.post('/v1/memory/links', { from, to, ...options })
  }

  async search (q: SearchQuery & { federated?: boolean, deadline?: number }): Promise<SearchAnswer> {
    return await this.client.post('/v1/memory/search', { ...q, query: q.text, text: undefined }, { timeout: (q.deadline ?? 10_000) + 30_000 })
  }

  async signals (limit?: number): Promise<{ signals: Signal[], total: number }> {
    return await this.client.get(`/v1/memory/signals${query({ limit: limit?.toString() })}`)
  }

  async consolidate (): Promise<ConsolidationReport> {
    return await this.client.post('/v1/memory/consolidate', {})
  }

  async * import (lines: AsyncIterable<Uint8Array>): AsyncGenerator<ImportProgress> {
    yield * this.client.lines('POST', '/v1/memory/import', lines)
  }

  async * export (options: { agent?: string, zone?: ZoneName }): AsyncGenerator<ChunkView> {
    yield * this.client.lines('GET', `/v1/memory/export${query(options)}`)
  }

  async close (): Promise<void> {}
}

type Api = typeof import('@overmind/api')

/** The memory of a data dir whose node is not running, through the operations the API runs */
class StoreMemory implements MemoryAccess {
  readonly via = 'store'
  constructor (private readonly api: Api, private readonly port: NodePort, private readonly store: MemoryStore) {}

  /** One operation, its params checked as the API checks them */
  private async call (method: string, params: Record<string, unknown>): Promise<any> {
    const op = this.api.operation(method)
    if (op == null) throw new Error(`no operation ${method}`)
    return await op.run(this.port, this.api.parseParams(op, params), {})
  }

  async put (input: PutInput): Promise<ChunkView> {
    return await this.call('memory.store', { ...input })
  }

  async get (id: string, agent?: string): Promise<ChunkView> {
    return await this.call('memory.get', { id, agent })
  }

  async forget (id: string, agent?: string): Promise<void> {
    await this.call('memory.forget', { id, agent })
  }

  async feedback (ids: string[], success: boolean, agent?: string): Promise<void> {
    await this.call('memory.feedback', { ids, success, agent })
  }

  async link (from: string, to: string, options: { relation?: string, weight?: number, agent?: string }): Promise<void> {
    await this.call('memory.link', { from, to, ...options })
  }

  async search ({ text, ...q }: SearchQuery & { federated?: boolean }): Promise<SearchAnswer> {
    return await this.call('memory.search', { ...q, query: text })
  }

  async signals (limit?: number): Promise<{ signals: Signal[], total: number }> {
    return await this.call('memory.signals', { limit })
  }

  async consolidate (): Promise<ConsolidationReport> {
    return await this.call('memory.consolidate', {})
  }

  async * import (lines: AsyncIterable<Uint8Array>): AsyncGenerator<ImportProgress> {
    yield * this.api.importLines(this.port, lines)
  }

  async * export (options: { agent?: string, zone?: ZoneName }): AsyncGenerator<ChunkView> {
    yield * this.api.exportChunks(this.port, options)
  }

  async close (): Promise<void> {
    await this.store.close()
  }
}

function query (params: Record<string, string | undefined>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value != null && value !== '') search.set(key, value)
  }
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}
