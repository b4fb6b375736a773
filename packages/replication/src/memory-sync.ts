import { TypedEventEmitter, setMaxListeners } from '@libp2p/interface'
import { PeerQueue, pbStream } from '@libp2p/utils'
import { outboundEntry } from '@overmind/memory'
import { SyncPage, SyncRequest, MAX_SYNC_MESSAGE_SIZE, SYNC_PAGE_LIMITS, SYNC_REQUEST_LIMITS, lengthPrefixed, openStream } from '@overmind/protocols'
import {
  GAP_PULL_DELAY, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, SYNC_INTERVAL, SYNC_MESSAGE_TIMEOUT,
  SYNC_PAGE_BYTES, SYNC_PAGE_ENTRIES, SYNC_PROTOCOL
} from './constants.js'
import type { MemorySyncComponents, MemorySyncInit, MemorySyncService, MemorySyncEvents, SyncReport, SyncStats, EntryRejection } from './index.js'
import type { Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import type { IngestResult, MemoryStore, StoredEntryEvent } from '@overmind/memory'

/** Pages written at once, behind the reader */
const PAGES_IN_FLIGHT = 4

/**
 * Pages read and waiting to be written: past this many the stream is paused,
 * so the muxer's window holds the sender back and what a node buffers stays
 * bounded however slow its disk is
 */
const PAGES_QUEUED = 8

/**
 * Anti-entropy for federated memory. On every new connection, periodically,
 * and soon after an entry reveals a gap in an author's log, a node sends a
 * peer its version vector (author, zone → highest contiguous seq) and the
 * peer streams back exactly the entries it lacks, in bounded pages. Every
 * entry is verified before it is stored. This heals partitions and brings
 * late joiners up to date; gossip only carries what is new.
 */
export class MemorySync extends TypedEventEmitter<MemorySyncEvents> implements MemorySyncService, Startable {
  readonly protocol = SYNC_PROTOCOL
  private readonly components: MemorySyncComponents
  private readonly store: MemoryStore
  private readonly log: Logger
  private readonly interval: number
  private readonly pageEntries: number
  private readonly pageBytes: number
  private readonly messageTimeout: number
  /** One exchange at a time: each sends the vector as it stands then, so a pull never fetches what an earlier one brought */
  private readonly pulls = new PeerQueue<SyncReport>({ concurrency: 1 })
  private readonly totals: SyncStats = { exchanges: 0, failures: 0, pages: 0, received: 0, stored: 0, rejected: 0, bytes: 0 }
  private readonly shutdown = new AbortController()
  private timer?: ReturnType<typeof setInterval>
  private gapTimer?: ReturnType<typeof setTimeout>
  private topologyId?: string
  private started = false

  constructor (components: MemorySyncComponents, init: MemorySyncInit) {
    super()
    this.components = components
    this.store = init.store
    this.interval = init.interval ?? SYNC_INTERVAL
    this.pageEntries = Math.min(init.pageEntries ?? SYNC_PAGE_ENTRIES, SYNC_PAGE_LIMITS.entries)
    this.pageBytes = Math.min(init.pageBytes ?? SYNC_PAGE_BYTES, MAX_SYNC_MESSAGE_SIZE / 2)
    this.messageTimeout = init.messageTimeout ?? SYNC_MESSAGE_TIMEOUT
    this.log = components.logger.forComponent('overmind:memory-sync')
    setMaxListeners(Infinity, this.shutdown.signal)
    this.onEntry = this.onEntry.bind(this)
  }

  readonly [Symbol.toStringTag] = '@overmind/memory-sync'

  async start (): Promise<void> {
    await this.components.registrar.handle(this.protocol, (stream, connection) => {
      this.serve(stream, connection).catch(err => {
        this.log('serving %s failed: %s', connection.remotePeer.toString(), err.message)
        stream.abort(err)
      })
    }, {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      maxOutboundStreams: MAX_OUTBOUND_STREAMS,
      runOnLimitedConnection: true
    })
    this.topologyId = await this.components.registrar.register(this.protocol, {
      notifyOnLimitedConnection: true,
      onConnect: (peerId) => { this.pullInBackground(peerId, 'connect') }
    })
    this.store.addEventListener('entry', this.onEntry)
    this.timer = setInterval(() => { this.pullFromRandomPeer() }, this.interval)
    this.timer.unref?.()
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    clearInterval(this.timer)
    clearTimeout(this.gapTimer)
    this.store.removeEventListener('entry', this.onEntry)
    this.shutdown.abort()
    if (this.topologyId != null) this.components.registrar.unregister(this.topologyId)
    await this.components.registrar.unhandle(this.protocol)
    this.pulls.abort()
    await this.pulls.onIdle().catch(() => {})
  }

  /** Totals over every exchange this node started */
  getStats (): SyncStats {
    return { ...this.totals }
  }

  /**
   * Pulls from one peer everything it holds that this node lacks. Exchanges
   * run one at a time; a call for a peer whose exchange has not started yet
   * joins that exchange.
   */
  async pull (peer: PeerId, options: { signal?: AbortSignal } = {}): Promise<SyncReport> {
    const queued = this.pulls.find(peer)
    if (queued?.status === 'queued') return await queued.join(options)
    return await this.pulls.add(async ({ signal }) => await this.exchange(peer, signal), { peerId: peer, signal: options.signal })
  }

  private pullInBackground (peer: PeerId, why: string): void {
    if (!this.started || this.pulls.has(peer)) return
    this.pull(peer).then(report => {
      if (report.stored > 0) this.log('pulled %d entries from %s (%s) in %d ms', report.stored, report.peer, why, report.ms)
    }, err => {
      this.log('pull from %s (%s) failed: %s', peer.toString(), why, err.message)
    })
  }

  private pullFromRandomPeer (): void {
    const peers = [...this.components.connectionManager.getConnectionsMap().keys()]
    if (peers.length === 0) return
    this.pullInBackground(peers[Math.floor(Math.random() * peers.length)], 'periodic')
  }

  /** An entry from a peer skipped some seqs of its log: fetch them soon rather than at the next round */
  private onEntry (evt: CustomEvent<StoredEntryEvent>): void {
    if (evt.detail.origin !== 'remote' || this.gapTimer != null) return
    // a gap this entry shows is in its own log
    const { entry } = evt.detail
    if ((this.store.logHead(entry.body.zone, entry.author.toString())?.above.size ?? 0) === 0) return
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined
      this.pullFromRandomPeer()
    }, GAP_PULL_DELAY)
    this.gapTimer.unref?.()
  }

  private async exchange (peer: PeerId, signal?: AbortSignal): Promise<SyncReport> {
    const started = Date.now()
    this.totals.exchanges++
    const report: SyncReport = { peer: peer.toString(), pages: 0, received: 0, stored: 0, duplicates: 0, rejected: 0, bytes: 0, ms: 0 }
    const abort = AbortSignal.any([this.shutdown.signal, ...(signal != null ? [signal] : [])])
    const stream = await openStream(this.components.connectionManager, peer, this.protocol, { signal: AbortSignal.any([abort, AbortSignal.timeout(this.messageTimeout)]) })
    const reader = new PageReader(stream, this.messageTimeout, abort)
    try {
      const pb = pbStream(stream, lengthPrefixed(MAX_SYNC_MESSAGE_SIZE))
      const request: SyncRequest = { have: this.store.versionVector() }
      await pb.write(request, SyncRequest, { signal: abort })
      // pages are read as they come, checked and written behind the reader, a few at a time
      const reading = reader.run(async (signal) => await pb.read(SyncPage, { signal, limits: SYNC_PAGE_LIMITS }))
      // a failed read also ends `next()`, which throws it here
      reading.catch(() => {})
      const writing: Array<Promise<IngestResult>> = []
      const take = (result: IngestResult): void => {
        report.stored += result.stored
        report.duplicates += result.duplicates
        report.rejected += result.rejected.length
        this.totals.stored += result.stored
        this.totals.rejected += result.rejected.length
        for (const r of result.rejected) {
          const detail: EntryRejection = { reason: r.reason, message: r.message, from: peer.toString(), via: 'sync' }
          this.safeDispatchEvent('entry:rejected', { detail })
        }
        if (result.rejected.length > 0) {
          throw new Error(`peer ${peer.toString()} sent ${result.rejected.length} invalid entries (${result.rejected[0].message})`)
        }
      }
      while (true) {
        const page = await reader.next()
        if (page == null) break
        this.log.trace('page %d from %s: %d entries', report.pages, peer.toString(), page.entries.length)
        const bytes = page.entries.reduce((n, e) => n + e.byteLength, 0)
        report.pages++
        report.received += page.entries.length
        report.bytes += bytes
        this.totals.pages++
        this.totals.received += page.entries.length
        this.totals.bytes += bytes
        if (page.entries.length > 0) {
          const ingest = this.store.ingest(page.entries, { signal: abort })
          ingest.catch(() => {})
          writing.push(ingest)
          if (writing.length >= PAGES_IN_FLIGHT) take(await (writing.shift() as Promise<IngestResult>))
        }
      }
      await reading
      for (const ingest of writing) take(await ingest)
      await stream.close({ signal: abort })
      // what the peer held of this node's own logs is back: a repaired store may write again
      await this.store.peerSynced()
    } catch (err: any) {
      this.totals.failures++
      stream.abort(err)
      throw err
    } finally {
      reader.stop()
      report.ms = Date.now() - started
      this.safeDispatchEvent('sync', { detail: report })
    }
    return report
  }

  /** Answers a peer's version vector with the entries it lacks */
  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(this.messageTimeout)])
    const pb = pbStream(stream, lengthPrefixed(MAX_SYNC_MESSAGE_SIZE))
    const request = await pb.read(SyncRequest, { signal, limits: SYNC_REQUEST_LIMITS })
    let entries: Array<Uint8Array<ArrayBuffer>> = []
    let bytes = 0
    let sent = 0
    const send = async (done: boolean): Promise<void> => {
      await pb.write({ entries, done }, SyncPage, { signal: AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(this.messageTimeout)]) })
      sent += entries.length
      entries = []
      bytes = 0
    }
    for await (const entry of this.store.missing(request.have, { signal: this.shutdown.signal })) {
      const size = entry.byteLength + 4
      if (entries.length >= this.pageEntries || (entries.length > 0 && bytes + size > this.pageBytes)) {
        await send(false)
      }
      entries.push(outboundEntry(entry, this.store.replicatedZones))
      bytes += size
    }
    await send(true)
    this.log.trace('sent %d entries to %s', sent, connection.remotePeer.toString())
    await stream.close({ signal })
  }
}

/**
 * Reads a sync exchange's pages as they arrive, into a bounded queue. When
 * the queue is full the stream is paused: the muxer stops granting window
 * and the sender waits, and whatever was already under way lands in the
 * stream's own buffer. A read only times out while the stream is not
 * paused: a node that is slow to write pages is not a peer that stopped
 * sending them.
 */
class PageReader {
  private readonly stream: Stream
  private readonly timeout: number
  private readonly pages: SyncPage[] = []
  private readonly idle = new AbortController()
  private readonly signal: AbortSignal
  private timer?: ReturnType<typeof setTimeout>
  private waiting?: PromiseWithResolvers<void>
  private done = false
  private failure?: Error

  constructor (stream: Stream, timeout: number, abort: AbortSignal) {
    this.stream = stream
    this.timeout = timeout
    this.signal = AbortSignal.any([abort, this.idle.signal])
  }

  /** Reads pages with `read` until the last one, or a failure */
  async run (read: (signal: AbortSignal) => Promise<SyncPage>): Promise<void> {
    try {
      while (true) {
        if (this.stream.readStatus !== 'paused') this.arm()
        const page = await read(this.signal)
        this.pages.push(page)
        if (page.done) this.done = true
        if (this.pages.length >= PAGES_QUEUED && this.stream.readStatus === 'readable') {
          this.stream.pause()
          clearTimeout(this.timer)
        }
        this.waiting?.resolve()
        if (page.done) return
      }
    } catch (err: any) {
      this.failure = err
      this.waiting?.resolve()
      throw err
    } finally {
      clearTimeout(this.timer)
    }
  }

  /** The next page read, once there is one; undefined after the last */
  async next (): Promise<SyncPage | undefined> {
    while (true) {
      const page = this.pages.shift()
      if (page != null) {
        if (this.pages.length < PAGES_QUEUED / 2 && this.stream.readStatus === 'paused') {
          this.stream.resume()
          this.arm()
        }
        return page
      }
      if (this.failure != null) throw this.failure
      if (this.done) return undefined
      this.waiting = Promise.withResolvers()
      await this.waiting.promise
    }
  }

  stop (): void {
    clearTimeout(this.timer)
  }

  /** Starts (again) the wait for the peer's next page */
  private arm (): void {
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.idle.abort(new Error(`no sync page within ${this.timeout} ms`))
    }, this.timeout)
    this.timer.unref?.()
  }
}
