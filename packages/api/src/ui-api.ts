import { createHash } from 'node:crypto'
import { setMaxListeners } from 'node:events'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { STREAMED, send } from './api-routes.js'
import type { ApiContext, Route } from './api-routes.js'
import type { MeshConnection, NodePort, NodeStatus, PeerReport } from './port.js'
import type { Logger } from '@libp2p/interface'
import type { MeshAgent, QueuedRun, RunRecord } from '@overmind/agents'
import type { PeerEntry, PeerStatus, PeerStatusChange } from '@overmind/heartbeat'
import type { MemoryStats, MemoryStore, Signal, StoredEntryEvent } from '@overmind/memory'
import type { IncomingMessage, ServerResponse } from 'node:http'

export type { MeshConnection }

/** Everything the live page shows, as of `at` */
export interface MeshSnapshot {
  at: number
  self: Omit<NodeStatus, 'memory'>
  /** Every peer known from heartbeats */
  peers: PeerReport[]
  connections: MeshConnection[]
  /** null when the node has no memory store */
  memory: MemoryStats | null
  /** The newest convergence signals, newest first */
  signals: Signal[]
  agents: MeshAgent[]
  /** Runs in progress, and the latest finished ones, newest first */
  runs: { active: RunRecord[], recent: RunRecord[] }
}

/**
 * What `GET /v1/events` sends, one Server-Sent Event each: the event name is
 * `type`, the data is `data` as JSON. A `snapshot` comes first, then one every
 * few seconds; the others come as things happen.
 */
export type MeshEvent =
  | { type: 'snapshot', data: MeshSnapshot }
  /** A fresh heartbeat arrived */
  | { type: 'heartbeat', data: PeerEntry }
  /** A peer was seen for the first time or changed status */
  | { type: 'peer', data: { peer: PeerEntry, previous?: PeerStatus } }
  | { type: 'connection', data: { action: 'open' | 'close', connection: MeshConnection } }
  | { type: 'run', data: { action: 'start' | 'end', run: RunRecord } }
  /** Entries were written to memory since the last such event (at most one a second) */
  | { type: 'memory', data: { written: { local: number, remote: number }, stats: MemoryStats } }
  /** The node folded a convergence signal it did not hold */
  | { type: 'signal', data: Signal }
  /** A run kept for absent hosts was queued, went to a host, came back or ended (with its output) */
  | { type: 'queued', data: QueuedRun }

/** ms between full snapshots on the event stream */
export const SNAPSHOT_INTERVAL = 5_000
/** ms between keep-alive comments, so proxies and browsers keep an idle stream open */
const KEEP_ALIVE_INTERVAL = 15_000
/** ms over which memory writes are gathered into one `memory` event */
const MEMORY_COALESCE = 1_000
/** Finished runs in a snapshot */
const RECENT_RUNS = 20
/** Convergence signals in a snapshot */
const RECENT_SIGNALS = 10
/** A client that lets this much pile up unread is dropped; its browser reconnects and starts over */
const MAX_BUFFERED = 1024 * 1024
/** ms the browser waits before reconnecting a dropped stream */
const RETRY = 2_000
/** Most event streams open at once on one API (a browser tab each) */
export const MAX_EVENT_STREAMS = 32

/** The page may load only what this server serves: no inline code, no other origin */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'"
].join('; ')

interface Asset {
  type: string
  /** Resolved when first served, so a missing file fails that request, not the API */
  path(): string
}

const UI_DIR = new URL('../../ui/', import.meta.url)

function own (file: string, type: string): Asset {
  return { type, path: () => fileURLToPath(new URL(file, UI_DIR)) }
}

/** The page, served at `/` only, with its security headers */
const PAGE = own('index.html', 'text/html; charset=utf-8')

/** The only files `GET /ui/:file` serves */
const ASSETS = new Map<string, Asset>([
  ['app.js', own('app.js', 'text/javascript; charset=utf-8')],
  ['style.css', own('style.css', 'text/css; charset=utf-8')],
  ['icon.svg', own('icon.svg', 'image/svg+xml')],
  ['cytoscape.min.js', {
    type: 'text/javascript; charset=utf-8',
    path: () => createRequire(import.meta.url).resolve('cytoscape/dist/cytoscape.min.js')
  }]
])

/**
 * The live mesh page of the local API:
 *
 * - `GET /` → the page (sign in with `GET /?token=…`, which sets a cookie)
 * - `GET /ui/:file` → its script, styles and icon, and cytoscape
 * - `GET /v1/events` → Server-Sent Events: a snapshot of the mesh, then
 *   heartbeats, peer status changes, connections, runs and memory writes as
 *   they happen, and a fresh snapshot every few seconds (see `MeshEvent`)
 */
export function uiRoutes ({ node }: ApiContext): Array<[string, Route]> {
  // built at first use: route groups are made before anything is asked of the node
  let log: Logger | undefined
  let streams = 0
  const cache = new Map<Asset, Promise<{ body: Buffer, etag: string }>>()

  const load = async (asset: Asset): Promise<{ body: Buffer, etag: string }> => {
    let loaded = cache.get(asset)
    if (loaded == null) {
      loaded = (async () => {
        const body = await readFile(asset.path())
        return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` }
      })()
      cache.set(asset, loaded)
      // a file that could not be read is looked for again next time
      loaded.catch(() => { cache.delete(asset) })
    }
    return await loaded
  }

  const serve = async (req: IncomingMessage, res: ServerResponse, asset: Asset | undefined, headers: Record<string, string> = {}): Promise<typeof STREAMED> => {
    if (asset == null) {
      send(res, 404, { error: { name: 'NotFound', message: `${req.url ?? ''} is not one of the page's files` } })
      return STREAMED
    }
    const { body, etag } = await load(asset)
    const common = { 'content-type': asset.type, 'cache-control': 'no-cache', etag, ...headers }
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, common)
      res.end()
      return STREAMED
    }
    res.writeHead(200, { ...common, 'content-length': String(body.byteLength) })
    res.end(body)
    return STREAMED
  }

  return [
    ['GET /', async (_req, res) => {
      // the page carries a snapshot of the mesh: it paints at once, before its event stream opens
      const { body } = await load(PAGE)
      const html = Buffer.from(body.toString('utf8').replace('<!--SNAPSHOT-->', () => `<script type="application/json" id="snapshot">${jsonInHtml(meshSnapshot(node))}</script>`))
      res.writeHead(200, {
        'content-type': PAGE.type,
        'content-length': String(html.byteLength),
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        'cache-control': 'no-store'
      })
      res.end(html)
      return STREAMED
    }],
    ['GET /ui/:file', async (req, res, _url, params) => await serve(req, res, ASSETS.get(params.file))],
    ['GET /v1/events', (req, res) => {
      if (streams >= MAX_EVENT_STREAMS) {
        send(res, 503, { error: { name: 'TooManyStreams', message: `${MAX_EVENT_STREAMS} event streams are open already; close a page` } }, { 'retry-after': '10' })
        return STREAMED
      }
      if (log == null) {
        log = node.logger('overmind:ui')
        // one listener per open page and event type: allow as many as there may be pages
        setMaxListeners(MAX_EVENT_STREAMS + 16, ...[node.events, node.runs, node.memory].filter(t => t != null) as unknown as EventTarget[])
      }
      streams++
      res.once('close', () => { streams-- })
      streamEvents(node, req, res, log)
      return STREAMED
    }]
  ]
}

/**
 * JSON that can sit inside a <script> element: no `<`, `>` or `&` that could
 * end it or start a comment (text from peers is in it); JSON.parse reads the
 * escapes back
 */
function jsonInHtml (value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** A full picture of the mesh as this node sees it */
export function meshSnapshot (node: NodePort): MeshSnapshot {
  const { memory, ...self } = node.status()
  const runs = node.runs.runs()
  return {
    at: Date.now(),
    self,
    peers: node.peers(),
    connections: node.connections(),
    memory: memory ?? null,
    signals: node.memory?.signals(RECENT_SIGNALS) ?? [],
    agents: node.runs.agents(),
    runs: { active: runs.active, recent: runs.recent.slice(-RECENT_RUNS).reverse() }
  }
}

/** libp2p, its services and the memory store: DOM-style event targets */
interface Listenable {
  addEventListener(type: string, listener: (evt: CustomEvent) => void): void
  removeEventListener(type: string, listener: (evt: CustomEvent) => void): void
}

/** One client's event stream */
interface EventStream {
  emit(event: MeshEvent): void
  /** Listens to a node event until the stream closes; a failure in `fn` is logged, never thrown into the emitter */
  on<T>(target: Listenable, type: string, fn: (detail: T) => void): void
  /** Runs `fn` every `ms` until the stream closes */
  every(ms: number, fn: () => void): void
  /** Runs `undo` when the stream closes */
  defer(undo: () => void): void
  /** Runs `fn`; a failure is logged, never thrown */
  guard(what: string, fn: () => void): void
}

/** Sends a snapshot, then node events as they happen, until the client goes away */
function streamEvents (node: NodePort, req: IncomingMessage, res: ServerResponse, log: Logger): void {
  const stream = openEventStream(req, res, log)
  const snapshot = (): void => { stream.emit({ type: 'snapshot', data: meshSnapshot(node) }) }
  const run = (action: 'start' | 'end') => (record: RunRecord): void => {
    stream.emit({ type: 'run', data: { action, run: record } })
  }

  try {
    snapshot()
  } catch (err) {
    log.error('could not take a snapshot of the mesh - %e', err)
  }
  stream.on<PeerEntry>(node.events, 'heartbeat', peer => { stream.emit({ type: 'heartbeat', data: peer }) })
  stream.on<QueuedRun>(node.runs, 'run:queued', run => { stream.emit({ type: 'queued', data: run }) })
  stream.on<PeerStatusChange>(node.events, 'peer:status', change => { stream.emit({ type: 'peer', data: change }) })
  stream.on<{ action: 'open' | 'close', connection: MeshConnection }>(node.events, 'mesh:connection', change => { stream.emit({ type: 'connection', data: change }) })
  stream.on(node.runs, 'run:start', run('start'))
  stream.on(node.runs, 'run:end', run('end'))
  if (node.memory != null) watchMemory(node.memory, stream)
  stream.every(SNAPSHOT_INTERVAL, snapshot)
}

/**
 * Starts a Server-Sent Events response. Everything added through the stream
 * is removed when the response closes; a client that stops reading is
 * dropped rather than buffered for.
 */
function openEventStream (req: IncomingMessage, res: ServerResponse, log: Logger): EventStream {
  const cleanups: Array<() => void> = []
  let closed = false
  const close = (): void => {
    if (closed) return
    closed = true
    for (const undo of cleanups.splice(0)) undo()
    if (!res.writableEnded) res.end()
  }
  const write = (chunk: string): void => {
    if (closed || res.destroyed) return
    res.write(chunk)
    if (res.writableLength > MAX_BUFFERED) {
      log('dropping an event stream client that reads too slowly')
      close()
    }
  }
  const guard = (what: string, fn: () => void): void => {
    try {
      fn()
    } catch (err) {
      log.error('could not send %s to an event stream client - %e', what, err)
    }
  }

  res.on('close', close)
  res.on('error', close)
  req.socket.setNoDelay(true)
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no'
  })
  write(`retry: ${RETRY}\n\n`)
  const keepAlive = setInterval(() => { write(': keep-alive\n\n') }, KEEP_ALIVE_INTERVAL)
  cleanups.push(() => { clearInterval(keepAlive) })

  return {
    emit: event => {
      write(`event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`)
    },
    on: (target, type, fn) => {
      if (closed) return
      const listener = (evt: CustomEvent): void => { guard(type, () => { fn(evt.detail) }) }
      target.addEventListener(type, listener)
      cleanups.push(() => { target.removeEventListener(type, listener) })
    },
    every: (ms, fn) => {
      if (closed) return
      const timer = setInterval(() => { guard('a periodic event', fn) }, ms)
      cleanups.push(() => { clearInterval(timer) })
    },
    defer: undo => {
      if (closed) undo()
      else cleanups.push(undo)
    },
    guard
  }
}

/**
 * Memory writes come in bursts (an import, a sync with a peer) and counting
 * chunks per zone walks the whole store, so writes are gathered and sent as
 * one `memory` event at most once a second
 */
function watchMemory (memory: MemoryStore, stream: EventStream): void {
  const written = { local: 0, remote: 0 }
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = (): void => {
    timer = undefined
    const data = { written: { ...written }, stats: memory.stats() }
    written.local = 0
    written.remote = 0
    stream.emit({ type: 'memory', data })
  }
  stream.on<StoredEntryEvent>(memory, 'entry', ({ origin }) => {
    written[origin]++
    timer ??= setTimeout(() => { stream.guard('memory counts', flush) }, MEMORY_COALESCE)
  })
  stream.on<Signal>(memory, 'signal', signal => { stream.emit({ type: 'signal', data: signal }) })
  stream.defer(() => { clearTimeout(timer) })
}
