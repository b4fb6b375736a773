/** Messages between the memory stores of a process and the thread that owns their graphs */

/**
 * Vectors a store lets wait for its graph before its writes pause: every
 * search scans those exactly (~65–100 ns a row at 256 dimensions, as 8-bit
 * copies). While searches come (one in the last SEARCHING_MS), the bound is
 * lower and the graph thread inserts ahead of the writes, so a search scans
 * ~0.4 ms instead of ~2 ms; without searches the writes may run further
 * ahead of the graph.
 */
export const GRAPH_BACKLOG = 16_384
export const GRAPH_BACKLOG_SEARCHED = 4096
export const SEARCHING_MS = 1000

/** A graph saved to disk, as recorded beside it */
export interface SavedGraph {
  path: string
  size: number
  sha256: string
}

export type GraphRequest =
  | { op: 'open', id: number, graph: number, dimensions: number, rows: number, connectivity: number, expansionAdd: number, expansionSearch: number, saved?: SavedGraph }
  /** A block of `rows` vectors, shared with the store; vectors are written before their ordinals are sent */
  | { op: 'segment', graph: number, segment: number, buffer: SharedArrayBuffer }
  /** Ordinals to insert; `partitions[i]` is the partition of `ordinals[i]` (an agent), or -1 for none */
  | { op: 'add', graph: number, ordinals: Int32Array, partitions: Int32Array }
  | { op: 'search', id: number, graph: number, query: Float32Array, k: number }
  /** The `k` nearest in the given partitions, by an exact scan of their 8-bit copies */
  | { op: 'scan', id: number, graph: number, query: Float32Array, k: number, partitions: number[] }
  /** With `whenIdle`, once no insert waits and no search came for a while (a save holds the thread ~50–100 ms at 100,000 vectors) */
  | { op: 'save', id: number, graph: number, path: string, whenIdle?: boolean }
  | { op: 'close', id: number, graph: number }

export type GraphReply =
  /** `problem` says why no saved graph was loaded */
  | { op: 'opened', id: number, size: number, problem?: string }
  /** `count` more of the ordinals sent to the graph, in order, are in it now */
  | { op: 'added', graph: number, count: number }
  | { op: 'found', id: number, ordinals: Float64Array }
  | { op: 'saved', id: number, size?: number, sha256?: string, problem?: string }
  | { op: 'closed', id: number }
  | { op: 'failed', id?: number, problem: string }
