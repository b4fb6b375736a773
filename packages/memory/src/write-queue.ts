import { EntryKind, Zone } from '@overmind/protocols'
import { zoneName } from './entry.js'
import { StorageError } from './errors.js'
import { canWrite, storageError } from './storage.js'
import type { VerifiedEntry } from './entry.js'
import type { EntryLog } from './entry-log.js'
import type { Logger } from '@libp2p/interface'

/** Entries a batch holds at most: one atomic LevelDB batch */
export const GROUP_ENTRIES = 2048
/** First and longest pause between attempts to reopen the store after a failed write */
const RECOVERY_FIRST_MS = 250
const RECOVERY_MAX_MS = 30_000

/** Entries written together, with their origin; resolved once written and applied */
export interface Write {
  entries: VerifiedEntry[]
  origin: 'local' | 'remote'
  /** Local chunks: the vectors they were signed with, by position in `entries` */
  vectors?: Array<Float32Array | undefined>
  /** Chunks: the ordinals they were given, by position in `entries` */
  ordinals?: Array<number | undefined>
  resolve?(): void
  reject?(err: Error): void
}

export interface WriteQueueInit {
  /** The store's folder: named in storage errors, and probed before a reopen */
  path: string
  entries: EntryLog
  /** This node's peer id: its own logs are checked against what it acknowledged after a reopen */
  self: string
  log: Logger
  /**
   * Makes a write's entries visible (index, seqs, clock, listeners): an
   * entry from a peer when it is queued, a local one once it is durable
   */
  apply(write: Write): Promise<void>
  /** Awaited before a batch that starts with a local write: what must catch up first */
  beforeLocal(): Promise<void>
  /** A batch is written and its entries applied */
  written(ids: string[]): void
  /** Runs `fn` after the store's earlier sequenced calls (those that take seqs): a reopen runs there */
  sequence(fn: () => Promise<void>): Promise<void>
  /** The store reopened its files: the next seqs of this node come from the disk again */
  reopened(): void
  /** Awaited before each batch is written (a simulated slow disk, a test's stalled one) */
  beforeWrite?(entries: number): Promise<void>
  /** Awaited after each batch is written, before it counts as written */
  afterWrite?(entries: number): Promise<void>
}

/**
 * The store's queue of writes, with group commit: every write queued while
 * a batch is being written goes into the next batch (up to GROUP_ENTRIES
 * entries). Entries from peers are applied (searchable) when queued and
 * written behind, unsynced: nobody was promised they are on disk, and what
 * a crash takes, anti-entropy brings back. A local write is synced, and
 * applied and resolved only once durable, since its writer is told it is.
 *
 * A write that fails leaves the queue unable to tell what is on disk, and
 * LevelDB may keep accepting writes after a log record it could not finish
 * (writes a restart would then drop). So from the first failed write on,
 * the queue acknowledges no write: local writes are refused with a
 * StorageError, entries from peers wait, and the store's files are reopened
 * and checked before anything is written again (see `recover`).
 */
export class WriteQueue {
  /** Ids queued and not yet applied */
  private readonly pending = new Set<string>()
  /** Entries from peers applied and not yet written: reads take their bytes from here */
  readonly unwritten = new Map<string, Uint8Array>()
  private readonly init: WriteQueueInit
  private queue: Write[] = []
  /** Entries from peers queued or being written */
  private remote = 0
  /** Entries of the batch being written */
  private writingEntries = 0
  /** Why writing stopped, while a failed write keeps the queue from writing */
  private failed?: StorageError
  private failedAt = 0
  /** Local writes of a failed batch: the disk may hold them or not, known once the files reopen */
  private limbo: Write[] = []
  /** Reopening after a failed write, while it tries */
  private recovering?: Promise<void>
  private wakeRecovery?: () => void
  private readonly roomWaiters: Array<() => void> = []
  /** The running write loop, while there is one */
  private writing?: Promise<void>
  private closed = false

  constructor (init: WriteQueueInit) {
    this.init = init
  }

  /** Why the queue takes no writes, and since when, while a failed write stops it */
  get failure (): { error: StorageError, since: number } | undefined {
    return this.failed == null ? undefined : { error: this.failed, since: this.failedAt }
  }

  /** Entries from peers queued or being written */
  get remoteQueued (): number {
    return this.remote
  }

  /** Entries waiting or being written */
  get backlog (): number {
    return this.writingEntries + this.queue.reduce((n, w) => n + w.entries.length, 0)
  }

  /** Whether an entry is queued and not applied yet */
  holds (id: string): boolean {
    return this.pending.has(id)
  }

  /** What a write is told while the queue does not write */
  refusal (): StorageError {
    const failure = this.failed as StorageError
    return new StorageError(failure.problem, failure.path, `the memory store takes no writes: ${failure.message}`, { cause: failure })
  }

  /**
   * Queues a write; resolves once its entries are written and applied, and
   * rejects with a StorageError when the queue takes no writes
   */
  async enqueue (write: Write): Promise<void> {
    if (this.failed != null) throw this.refusal()
    write.ordinals = write.entries.map(entry => entry.kind === EntryKind.CHUNK ? this.init.entries.takeOrdinal() : undefined)
    for (const entry of write.entries) this.pending.add(entry.id)
    if (write.origin === 'remote') {
      this.remote += write.entries.length
      for (const entry of write.entries) this.unwritten.set(entry.id, entry.bytes)
      await this.apply(write)
    }
    await new Promise<void>((resolve, reject) => {
      write.resolve = resolve
      write.reject = reject
      this.queue.push(write)
      this.pump()
    })
  }

  /** Waits while entries from peers are queued and `full()` says there is no room for more */
  async room (full: () => boolean, signal?: AbortSignal): Promise<void> {
    while (this.remote > 0 && full()) {
      signal?.throwIfAborted()
      await new Promise<void>(resolve => { this.roomWaiters.push(resolve) })
    }
  }

  /** Resolves once no batch is being written */
  async idle (): Promise<void> {
    while (this.writing != null) await this.writing.catch(() => {})
  }

  /** Stops reopening after a failure; writes still queued are left unresolved (see `idle`) */
  async close (): Promise<void> {
    this.closed = true
    this.wakeRecovery?.()
    await this.recovering
  }

  private async apply (write: Write): Promise<void> {
    await this.init.apply(write)
    for (const entry of write.entries) this.pending.delete(entry.id)
  }

  private pump (): void {
    if (this.writing != null) return
    this.writing = (async () => {
      while (this.queue.length > 0 && this.failed == null) {
        if (this.queue[0].origin === 'local') await this.init.beforeLocal()
        let count = 0
        let take = 0
        while (take < this.queue.length && (take === 0 || count + this.queue[take].entries.length <= GROUP_ENTRIES)) {
          count += this.queue[take].entries.length
          take++
        }
        await this.commit(this.queue.splice(0, take))
      }
    })().finally(() => {
      this.writing = undefined
      if (this.queue.length > 0 && this.failed == null) this.pump()
    })
  }

  private async commit (group: Write[]): Promise<void> {
    const items = group.flatMap(write => write.entries.map((entry, i) => ({ entry, ordinal: write.ordinals?.[i] })))
    this.writingEntries = items.length
    try {
      await this.init.beforeWrite?.(items.length)
      // what peers sent is written, not synced: a crash of the process keeps it, and what a
      // power cut takes, anti-entropy brings back; a batch with a local write is synced
      await this.init.entries.append(items, { sync: group.some(write => write.origin === 'local') })
      await this.init.afterWrite?.(items.length)
    } catch (err: any) {
      this.writingEntries = 0
      this.fail(storageError(err, this.init.path), group)
      return
    }
    for (const write of group) {
      if (write.origin === 'local') await this.apply(write)
    }
    this.writingEntries = 0
    this.init.written(items.map(item => item.entry.id))
    for (const write of group) {
      this.release(write)
      write.resolve?.()
    }
  }

  private release (write: Write): void {
    if (write.origin !== 'remote') return
    for (const entry of write.entries) this.unwritten.delete(entry.id)
    this.remote -= write.entries.length
    for (const resolve of this.roomWaiters.splice(0)) resolve()
  }

  private fail (err: StorageError, group: Write[]): void {
    if (this.failed == null) this.failedAt = Date.now()
    this.failed ??= err
    const entries = group.reduce((n, w) => n + w.entries.length, 0)
    this.init.log.error('could not write %d entries; the memory store acknowledges no write until it has reopened its files: %s', entries, err.message)
    const refused = this.refusal()
    const remote: Write[] = []
    for (const write of group) {
      if (write.origin === 'remote') {
        remote.push(write)
      } else {
        // the disk may hold these or not: known once the files reopen
        this.limbo.push(write)
        write.reject?.(refused)
      }
    }
    for (const write of this.queue.splice(0)) {
      if (write.origin === 'remote') {
        remote.push(write)
      } else {
        for (const entry of write.entries) this.pending.delete(entry.id)
        write.reject?.(refused)
      }
    }
    // entries from peers are applied already: they are written once the queue writes again
    this.queue = remote
    this.recover()
  }

  /**
   * Reopens the store's files after a failed write, and tries again with a
   * growing pause (a quarter second up to RECOVERY_MAX_MS) until it
   * succeeds or the queue closes: once a file can be written and synced in
   * the folder, LevelDB is closed and opened again (its recovery settles
   * what the failed write left), the local writes of the failed batch are
   * looked up (those on disk are applied, the others are gone), the node's
   * own logs on disk are checked against what was acknowledged, and the
   * store takes its next seqs from the disk. Nothing of the failed batch
   * was ever sent to a peer, so no seq that left the node is taken again.
   */
  private recover (): void {
    this.recovering ??= (async () => {
      let pause = RECOVERY_FIRST_MS
      while (!this.closed && this.failed != null) {
        await new Promise<void>(resolve => {
          const timer = setTimeout(resolve, pause)
          this.wakeRecovery = () => {
            clearTimeout(timer)
            resolve()
          }
        })
        this.wakeRecovery = undefined
        pause = Math.min(pause * 2, RECOVERY_MAX_MS)
        if (this.closed || !(await canWrite(this.init.path))) continue
        try {
          await this.init.sequence(async () => {
            await this.idle()
            if (this.closed) return
            await this.init.entries.reopen()
            await this.settleLimbo()
            this.failed = undefined
            this.init.reopened()
          })
        } catch (err: any) {
          this.failed = storageError(err, this.init.path)
          this.init.log.error('the memory store could not reopen its files: %s', this.failed.message)
          continue
        }
        if (this.failed == null) {
          this.init.log('the memory store writes again, %d ms after a write failed', Date.now() - this.failedAt)
          this.pump()
        }
      }
    })().finally(() => { this.recovering = undefined })
  }

  /**
   * The local writes of failed batches: applied if the disk holds them,
   * gone if not; then every seq this node acknowledged must be on disk
   */
  private async settleLimbo (): Promise<void> {
    const { entries, self, path } = this.init
    for (const write of this.limbo) {
      const items = write.entries.map((entry, i) => ({ entry, ordinal: write.ordinals?.[i] }))
      const held = await entries.holds(items)
      if (held.every(Boolean)) {
        await this.apply(write)
      } else {
        for (const entry of write.entries) this.pending.delete(entry.id)
      }
    }
    this.limbo = []
    for (const zone of [Zone.PRIVATE, Zone.SHARED, Zone.FEDERATION]) {
      const acknowledged = entries.heads.get(zone, self)?.max ?? 0n
      const onDisk = await entries.lastSeq(zone, self)
      if (onDisk < acknowledged) {
        throw new StorageError('corrupt', path, `after reopening, this node's ${zoneName(zone)} log ends at seq ${onDisk} on disk, but seqs up to ${acknowledged} were acknowledged: \`overmind check\` shows what is missing`)
      }
    }
  }
}
