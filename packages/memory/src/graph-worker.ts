/**
 * The thread that owns the HNSW graphs (usearch) of every memory store of
 * this process. Inserting a vector costs ~0.5 ms of CPU at 100,000 chunks
 * and loading a saved graph ~1 s: none of it may run on the event loop that
 * serves the network. Vectors are read from the stores' shared matrices,
 * never copied through messages. Inserts run in slices of a couple of
 * milliseconds and stop between two vectors when a search comes, so a
 * search waits for one insert at most; while vectors arrive in bulk they
 * wait (a bounded number), and the graph is saved when the thread is idle.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { rename, rm } from 'node:fs/promises'
import { parentPort, workerData } from 'node:worker_threads'
import { Index, MetricKind, ScalarKind, exactSearch } from 'usearch'
import { GRAPH_BACKLOG, GRAPH_BACKLOG_SEARCHED, SEARCHING_MS } from './graph-protocol.js'
import type { GraphReply, GraphRequest } from './graph-protocol.js'

/** Longest run of inserts before the thread looks at its messages again, ms */
const SLICE_MS = 2

/**
 * While vectors arrive in bulk (an import, a sync: BULK or more with no
 * pause of QUIET_MS between them, however many messages carry them; a
 * store sends what each slice of its writes indexed, often a few dozen),
 * inserts wait until DEFER_BELOW are queued or until none has arrived for
 * QUIET_MS: the writes get the CPU first, and searches scan what waits.
 * A trickle (gossip) is inserted at once.
 */
const DEFER_BELOW = GRAPH_BACKLOG / 2
const BULK = 64
const QUIET_MS = 50

/**
 * Once inserting while vectors still arrive in bulk, and fewer than
 * SHARE_BELOW wait, the thread rests as long as each slice took: the graph
 * takes about half a core, the threads that embed and sign the writes (at a
 * lower priority than this one) the rest, and a search finds the thread
 * idle half the time. From SHARE_BELOW on (the stores pause local writes
 * from GRAPH_BACKLOG), or once the writes pause, it inserts without a rest.
 */
const SHARE_BELOW = GRAPH_BACKLOG * 3 / 4

/**
 * While searches come, the stores pause their writes at
 * GRAPH_BACKLOG_SEARCHED instead: the thresholds scale with it, so the
 * graph keeps inserting before the writes stop
 */
const SEARCHED_SCALE = GRAPH_BACKLOG_SEARCHED / GRAPH_BACKLOG

/**
 * A save asked for when idle waits until no insert is queued and no search
 * has come for IDLE_MS: writing the file holds the thread (~50–100 ms at
 * 100,000 vectors), and a search would wait. It is made anyway once
 * FORCE_SAVE_AFTER vectors went into the graph since the last save: what a
 * crash leaves unsaved is rebuilt on the next start (~0.5 ms a vector, in
 * the background), and that work stays bounded however busy the node is.
 */
const IDLE_MS = 1000
const FORCE_SAVE_AFTER = 100_000

/** Rows per block of vectors waiting for the graph */
const BLOCK_ROWS = 4096

/**
 * Rows of a partition's block once grown: a block is one native exact scan
 * (8-bit cosine, ~30 ns a row at 256 dimensions)
 */
const PARTITION_ROWS = 8192

/**
 * 8-bit copies of vectors: of those waiting for the graph, in the order they
 * were sent, and of each partition (an agent's chunks). Searches scan them
 * natively, and the store scores what they find exactly.
 */
interface Block {
  /** 8-bit copies in its own buffer, from offset 0: usearch's exact scan ignores a view's offset */
  vectors: Int8Array
  ordinals: Int32Array
  rows: number
}

interface Graph {
  index: Index
  dimensions: number
  rows: number
  segments: Float32Array[]
  /** Ordinals to insert, in the order they were sent */
  queue: Int32Array[]
  position: number
  /** Ordinals in `queue` not inserted yet */
  queued: number
  /** Ordinals that arrived since the last pause of QUIET_MS, and when the last of them came */
  run: number
  runAt: number
  waiting: Block[]
  /** Rows of the first waiting block already in the graph */
  inserted: number
  partitions: Map<number, Block[]>
  /** Saves asked for when idle, not made yet */
  saves: Array<{ id: number, path: string }>
  /** Vectors in the graph when it was last saved or loaded */
  savedSize: number
  /** The save under way: saves of a graph run one after the other (they share a temporary file) */
  saving: Promise<void>
}

const graphs = new Map<number, Graph>()
let pumping = false
let waking: ReturnType<typeof setTimeout> | undefined
let lastSearch = -Infinity
let idleCheck: ReturnType<typeof setTimeout> | undefined

/** Searches posted to this thread and not yet taken up, counted by the stores' side */
const searches: Int32Array = workerData?.searches ?? new Int32Array(1)

function reply (message: GraphReply, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(message, transfer)
}

function newIndex (dimensions: number, connectivity: number, expansionAdd: number, expansionSearch: number): Index {
  return new Index({ metric: MetricKind.Cos, dimensions, connectivity, quantization: ScalarKind.I8, expansion_add: expansionAdd, expansion_search: expansionSearch, multi: false })
}

/** Loads a saved graph only when its size and digest are what was recorded: a damaged file would abort the process */
async function load (index: Index, path: string, size: number, sha256: string): Promise<string | undefined> {
  let file: { size: number, sha256: string }
  try {
    file = await digest(path)
  } catch (err: any) {
    return err.code === 'ENOENT' ? 'no saved graph' : `cannot read ${path}: ${err.message}`
  }
  if (file.size !== size || file.sha256 !== sha256) {
    return `${path} is not the graph that was saved (size or digest differ)`
  }
  try {
    index.load(path)
    return undefined
  } catch (err: any) {
    return `cannot load ${path}: ${err.message}`
  }
}

/** The size and SHA-256 of a file, read a block at a time: searches are answered between blocks */
async function digest (path: string): Promise<{ size: number, sha256: string }> {
  const hash = createHash('sha256')
  let size = 0
  for await (const block of createReadStream(path)) {
    hash.update(block)
    size += block.byteLength
  }
  return { size, sha256: hash.digest('hex') }
}

async function save (graph: Graph, path: string): Promise<{ size: number, sha256: string }> {
  const tmp = `${path}.tmp`
  const vectors = graph.index.size()
  graph.index.save(tmp)
  const file = await digest(tmp)
  await rename(tmp, path)
  graph.savedSize = vectors
  return file
}

/** Saves a graph and answers every request for it: one asked now, and those waiting for an idle moment */
async function saveNow (graph: Graph, path: string, ids: number[]): Promise<void> {
  const run = graph.saving.then(async () => {
    let answer: { size: number, sha256: string } | { problem: string }
    try {
      answer = await save(graph, path)
    } catch (err: any) {
      await rm(`${path}.tmp`, { force: true }).catch(() => {})
      answer = { problem: err.message }
    }
    for (const id of ids) reply({ op: 'saved', id, ...answer })
  })
  graph.saving = run
  await run
}

/** Makes the saves that waited for an idle moment, where one has come */
function saveWhenIdle (): void {
  idleCheck = undefined
  const now = performance.now()
  let waiting = false
  for (const graph of graphs.values()) {
    const first = graph.saves[0]
    if (first == null) continue
    if ((graph.queued === 0 && now - lastSearch >= IDLE_MS) || graph.index.size() - graph.savedSize >= FORCE_SAVE_AFTER) {
      const saves = graph.saves.splice(0)
      void saveNow(graph, saves[saves.length - 1].path, saves.map(s => s.id))
    } else {
      waiting = true
    }
  }
  if (waiting) idleCheck = setTimeout(saveWhenIdle, IDLE_MS / 4)
}

function vectorOf (graph: Graph, ordinal: number): Float32Array {
  const segment = graph.segments[Math.floor(ordinal / graph.rows)]
  const row = ordinal % graph.rows
  return segment.subarray(row * graph.dimensions, (row + 1) * graph.dimensions)
}

/**
 * A vector as 8 bits a component, scaled so its largest component is ±127:
 * cosine ignores the scale, and small components keep their precision
 */
function quantize (source: Float32Array, target: Int8Array, offset: number): void {
  let max = 0
  for (let i = 0; i < source.length; i++) max = Math.max(max, Math.abs(source[i]))
  const scale = max > 0 ? 127 / max : 0
  for (let i = 0; i < source.length; i++) target[offset + i] = Math.round(source[i] * scale)
}

/** Copies vectors, once quantized, into the waiting blocks and the blocks of their partitions */
function copy (graph: Graph, ordinals: Int32Array, partitions: Int32Array): void {
  const row = new Int8Array(graph.dimensions)
  ordinals.forEach((ordinal, i) => {
    quantize(vectorOf(graph, ordinal), row, 0)
    append(graph.waiting, BLOCK_ROWS, ordinal, row)
    const id = partitions[i]
    if (id < 0) return
    let blocks = graph.partitions.get(id)
    if (blocks == null) {
      blocks = []
      graph.partitions.set(id, blocks)
    }
    append(blocks, PARTITION_ROWS, ordinal, row)
  })
}

/** Appends a row to the last block; a block grows by doubling up to `full` rows, so small ones stay small */
function append (blocks: Block[], full: number, ordinal: number, row: Int8Array): void {
  const dimensions = row.length
  let block = blocks.at(-1)
  if (block == null || block.rows === full) {
    block = { vectors: new Int8Array(64 * dimensions), ordinals: new Int32Array(64), rows: 0 }
    blocks.push(block)
  } else if (block.rows === block.ordinals.length) {
    const capacity = Math.min(full, block.rows * 2)
    const vectors = new Int8Array(capacity * dimensions)
    vectors.set(block.vectors)
    const ordinalsGrown = new Int32Array(capacity)
    ordinalsGrown.set(block.ordinals)
    block.vectors = vectors
    block.ordinals = ordinalsGrown
  }
  block.vectors.set(row, block.rows * dimensions)
  block.ordinals[block.rows++] = ordinal
}

/** The `k` nearest vectors of the partitions, by a native exact scan of each block */
function scanPartitions (graph: Graph, query: Float32Array, k: number, partitions: number[]): number[] {
  const q = new Int8Array(graph.dimensions)
  quantize(query, q, 0)
  const found: Nearest[] = []
  for (const id of new Set(partitions)) {
    for (const block of graph.partitions.get(id) ?? []) {
      if (block.rows > 0) scanBlock(block.vectors, block.ordinals, block.rows, graph.dimensions, q, k, found)
    }
  }
  return best(found, k)
}

/** The oldest waiting vector is in the graph now */
function passWaiting (graph: Graph): void {
  graph.inserted++
  const first = graph.waiting[0]
  if (first != null && graph.inserted >= first.rows && first.rows === BLOCK_ROWS) {
    graph.waiting.shift()
    graph.inserted = 0
  } else if (first != null && graph.inserted >= first.rows && graph.waiting.length === 1) {
    // the last, partly filled block: emptied, it fills again from the start
    first.rows = 0
    graph.inserted = 0
  }
}

/** The `k` nearest of the waiting vectors, by an exact scan of each block's 8-bit copies */
function nearestWaiting (graph: Graph, query: Float32Array, k: number): number[] {
  if (graph.waiting.length === 0) return []
  const q = new Int8Array(graph.dimensions)
  quantize(query, q, 0)
  const found: Nearest[] = []
  // the first block's rows already in the graph are scanned too: any of them
  // among a block's nearest is a candidate as good as a waiting one
  for (const block of graph.waiting) {
    if (block.rows > 0) scanBlock(block.vectors, block.ordinals, block.rows, graph.dimensions, q, k, found)
  }
  return best(found, k)
}

interface Nearest {
  ordinal: number
  distance: number
}

/** Adds the `k` nearest rows of a block to `found` */
function scanBlock (vectors: Int8Array, ordinals: Int32Array, rows: number, dimensions: number, q: Int8Array, k: number, found: Nearest[]): void {
  const matches = exactSearch(new Int8Array(vectors.buffer, 0, rows * dimensions), q, dimensions, Math.min(k, rows), MetricKind.Cos, 1)
  const distances = matches.distances as Float32Array
  Array.from(matches.keys, Number).forEach((row, i) => {
    const distance = distances[i]
    found.push({ ordinal: ordinals[row], distance: Number.isNaN(distance) ? 2 : distance })
  })
}

/** The ordinals of the `k` nearest found, over every block */
function best (found: Nearest[], k: number): number[] {
  found.sort((a, b) => a.distance - b.distance)
  return found.slice(0, k).map(f => f.ordinal)
}

/** Whether vectors are arriving in bulk: BULK or more so far, with no pause of QUIET_MS */
function inBulk (graph: Graph, now: number): boolean {
  return graph.run >= BULK && now - graph.runAt < QUIET_MS
}

/** A threshold of queued vectors, lower while searches come */
function scaled (threshold: number, now: number): number {
  return now - lastSearch < SEARCHING_MS ? threshold * SEARCHED_SCALE : threshold
}

/** Whether a graph's inserts wait for its writes to pause */
function deferred (graph: Graph, now: number): boolean {
  return graph.queued < scaled(DEFER_BELOW, now) && inBulk(graph, now)
}

/** Whether a graph inserts at about half a core: vectors still arrive in bulk and not too many wait */
function sharing (graph: Graph, now: number): boolean {
  return graph.queued < scaled(SHARE_BELOW, now) && inBulk(graph, now)
}

/** Inserts queued vectors, a slice at a time, round-robin over the graphs */
function pump (rest = 0): void {
  if (pumping) return
  pumping = true
  const slice = (): void => {
    pumping = false
    const started = performance.now()
    let more = false
    let wait = false
    let share = false
    for (const [id, graph] of graphs) {
      if (graph.queued === 0) continue
      if (deferred(graph, started)) {
        wait = true
        continue
      }
      let done = 0
      // a search waits for one insert at most, not for the rest of the slice
      while (graph.queued > 0 && performance.now() - started < SLICE_MS && Atomics.load(searches, 0) === 0) {
        const batch = graph.queue[0]
        const ordinal = batch[graph.position++]
        if (graph.position >= batch.length) {
          graph.queue.shift()
          graph.position = 0
        }
        graph.queued--
        done++
        passWaiting(graph)
        const key = BigInt(ordinal)
        if (graph.index.contains(key)) continue
        graph.index.add(key, vectorOf(graph, ordinal))
      }
      if (done > 0) reply({ op: 'added', graph: id, count: done })
      if (graph.queued > 0) {
        more = true
        if (sharing(graph, performance.now())) share = true
      }
    }
    if (more) {
      pump(share ? Math.ceil(performance.now() - started) : 0)
    } else if (wait && waking == null) {
      // look again once the writes may have paused
      waking = setTimeout(() => {
        waking = undefined
        pump()
      }, QUIET_MS)
    }
  }
  if (rest > 0) setTimeout(slice, rest)
  else setImmediate(slice)
}

async function handle (message: GraphRequest): Promise<void> {
  switch (message.op) {
    case 'open': {
      const index = newIndex(message.dimensions, message.connectivity, message.expansionAdd, message.expansionSearch)
      const problem = message.saved != null ? await load(index, message.saved.path, message.saved.size, message.saved.sha256) : 'no saved graph'
      graphs.set(message.graph, { index, dimensions: message.dimensions, rows: message.rows, segments: [], queue: [], position: 0, queued: 0, run: 0, runAt: 0, waiting: [], inserted: 0, partitions: new Map(), saves: [], savedSize: index.size(), saving: Promise.resolve() })
      reply({ op: 'opened', id: message.id, size: index.size(), problem })
      break
    }
    case 'segment': {
      const graph = graphs.get(message.graph)
      if (graph != null) graph.segments[message.segment] = new Float32Array(message.buffer)
      break
    }
    case 'add': {
      const graph = graphs.get(message.graph)
      if (graph == null) {
        // a graph never opened, or closed since: nothing waits for these
        reply({ op: 'added', graph: message.graph, count: message.ordinals.length })
        break
      }
      graph.queue.push(message.ordinals)
      graph.queued += message.ordinals.length
      const now = performance.now()
      graph.run = now - graph.runAt > QUIET_MS ? message.ordinals.length : graph.run + message.ordinals.length
      graph.runAt = now
      copy(graph, message.ordinals, message.partitions)
      pump()
      break
    }
    case 'search': {
      Atomics.sub(searches, 0, 1)
      lastSearch = performance.now()
      // the graph's nearest, and the nearest of what waits for it
      const graph = graphs.get(message.graph)
      if (graph == null) {
        reply({ op: 'found', id: message.id, ordinals: new Float64Array(0) })
        break
      }
      const size = graph.index.size()
      const found = size > 0 ? Array.from(graph.index.search(message.query, Math.min(message.k, size), 1).keys, Number) : []
      const ordinals = Float64Array.from([...found, ...nearestWaiting(graph, message.query, message.k)])
      reply({ op: 'found', id: message.id, ordinals }, [ordinals.buffer])
      // while searches come, less may wait: inserts held back may start now
      pump()
      break
    }
    case 'scan': {
      Atomics.sub(searches, 0, 1)
      lastSearch = performance.now()
      const graph = graphs.get(message.graph)
      const ordinals = Float64Array.from(graph == null ? [] : scanPartitions(graph, message.query, message.k, message.partitions))
      reply({ op: 'found', id: message.id, ordinals }, [ordinals.buffer])
      pump()
      break
    }
    case 'save': {
      const graph = graphs.get(message.graph)
      if (graph == null) break
      if (message.whenIdle === true) {
        graph.saves.push({ id: message.id, path: message.path })
        idleCheck ??= setTimeout(saveWhenIdle, IDLE_MS / 4)
        break
      }
      // a save now also answers those waiting for an idle moment
      await saveNow(graph, message.path, [...graph.saves.splice(0).map(s => s.id), message.id])
      break
    }
    case 'close': {
      for (const save of graphs.get(message.graph)?.saves ?? []) reply({ op: 'saved', id: save.id, problem: 'the graph was closed before an idle moment came' })
      graphs.delete(message.graph)
      reply({ op: 'closed', id: message.id })
      break
    }
  }
}

parentPort?.on('message', (message: GraphRequest) => {
  handle(message).catch(err => {
    reply({ op: 'failed', id: 'id' in message ? message.id : undefined, problem: err.message })
  })
})
