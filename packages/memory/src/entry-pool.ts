import { availableParallelism } from 'node:os'
import { WorkerPool } from './worker-pool.js'
import type { PackedWords } from './terms.js'
import type { EntryKind, Chunk, Event } from '@overmind/protocols'

export type EntryTask =
  | { op: 'hash', dimensions: number, texts: string[] }
  | { op: 'sign', seed: Uint8Array, kind: EntryKind, bodies: Chunk[] | Event[] }
  /** Entries packed by `checkEntries` */
  | { op: 'check', packed: Uint8Array }

export type EntryResult =
  | { vectors: Float32Array }
  /**
   * Signed entries in one transferred buffer: entry `i` is `bytes[ends[i - 1] ?? 0 … ends[i]]`;
   * and the words of each chunk's text
   */
  | { signed: { ids: string[], bytes: Uint8Array<ArrayBuffer>, ends: Uint32Array<ArrayBuffer>, words: PackedWords } }
  /** Per entry: its id, and 0 when it passes, 1 when not canonical, 2 when its signature fails; and the words of each chunk's text */
  | { checked: { ids: string[], problems: Uint8Array<ArrayBuffer>, words: PackedWords } }

let pool: WorkerPool<EntryTask, EntryResult> | undefined

/** The process's threads for the CPU work of local writes: one per core */
export function entryPool (): WorkerPool<EntryTask, EntryResult> {
  pool ??= new WorkerPool({ script: new URL('./entry-worker.js', import.meta.url), threads: availableParallelism() })
  return pool
}

/** Splits `items` into `parts` runs of about equal length, at least `min` long */
export function split<T> (items: T[], parts: number, min: number): T[][] {
  const size = Math.max(min, Math.ceil(items.length / parts))
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
