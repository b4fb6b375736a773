import { peerIdFromMultihash } from '@libp2p/peer-id'
import * as Digest from 'multiformats/hashes/digest'
import { stunUrl } from './validate.js'
import type { Timestamp } from '@overmind/hlc'
import type { AgentAdvert, Heartbeat } from '@overmind/protocols'

/**
 * - `connected`: beats arrive on time and there is an open connection to it
 * - `alive`: beats arrive on time, relayed by other peers (no direct connection)
 * - `stale`: it missed `staleAfter` beats
 * - `gone`: it missed `goneAfter` beats
 */
export type PeerStatus = 'connected' | 'alive' | 'stale' | 'gone'

/** What this node knows of one peer from its heartbeats */
export interface PeerEntry {
  peerId: string
  status: PeerStatus
  /** ms since the epoch (local clock) when its latest beat arrived */
  lastSeen: number
  /** ms since the epoch (local clock) when its first beat arrived */
  firstSeen: number
  /** beats it missed since the latest one, by its own interval */
  missedBeats: number
  addresses: string[]
  agents: AgentAdvert[]
  load: number
  queueDepth: number
  freeSlots: number
  version: string
  /** the name the peer gives itself (not unique); empty until its first beat */
  name: string
  /** peer ids of the peers it has a connection to, as it announced them */
  links: string[]
  /** chunks its memory holds (every zone but private) */
  memoryChunks: number
  /** median ms from a peer's write to it storing it, over its last minute; 0 = nothing stored */
  replicationLagMs: number
  /** STUN servers it serves (a relay), as `stun:` URLs */
  stun: string[]
  hlc: Timestamp
  seq: number
  startedAt: number
  intervalMs: number
  /** round-trip time of the latest successful ping, in ms */
  rtt?: number
  beats: number
  /** how many times the peer was seen to restart (a new startedAt) */
  restarts: number
}

export interface PeerTableInit {
  staleAfter: number
  goneAfter: number
  /** gone peers are forgotten after this many of their intervals */
  forgetAfter: number
}

export interface BeatRecord {
  peerId: string
  beat: Heartbeat
  addresses: string[]
  receivedAt: number
}

type Row = Omit<PeerEntry, 'status' | 'missedBeats'>

/** Link names a peer table keeps: more than a mesh's nodes, fewer than a hostile peer could make it hold */
const LINK_NAMES = 16_384

/**
 * The peer table: pure bookkeeping with time passed in, so it can be tested
 * without a network or timers.
 */
export class PeerTable {
  private readonly rows = new Map<string, Row>()
  /** The peer id (or null: not one) of each link's bytes seen lately, see `linkName` */
  private readonly linkNames = new Map<string, string | null>()
  private readonly init: PeerTableInit

  constructor (init: PeerTableInit) {
    this.init = init
  }

  /**
   * Records a beat. Returns false for a beat older than one already recorded
   * for the same run of that peer (out of order delivery or a replay).
   */
  record ({ peerId, beat, addresses, receivedAt }: BeatRecord): boolean {
    const seq = Number(beat.seq)
    const startedAt = Number(beat.startedAt)
    if (!this.isNewer(peerId, beat)) {
      return false
    }
    const prev = this.rows.get(peerId)
    this.rows.set(peerId, {
      peerId,
      lastSeen: receivedAt,
      firstSeen: prev?.firstSeen ?? receivedAt,
      addresses,
      agents: beat.agents,
      load: beat.load,
      queueDepth: beat.queueDepth,
      freeSlots: beat.freeSlots,
      version: beat.version,
      name: beat.name,
      links: beat.links.flatMap(bytes => {
        const link = this.linkName(bytes)
        return link != null ? [link] : []
      }),
      memoryChunks: Number(beat.memoryChunks),
      replicationLagMs: beat.replicationLagMs,
      // checked by validateHeartbeat before the beat is recorded
      stun: beat.stun.map(bytes => stunUrl(bytes)),
      hlc: { wallTime: Number(beat.hlcWallTime), logical: beat.hlcLogical },
      seq,
      startedAt,
      intervalMs: beat.intervalMs,
      rtt: prev?.rtt,
      beats: (prev?.beats ?? 0) + 1,
      restarts: (prev?.restarts ?? 0) + (prev != null && prev.startedAt !== startedAt ? 1 : 0)
    })
    return true
  }

  /**
   * The peer id a beat's link names, by its multihash bytes. Every beat
   * repeats its node's links, and base58 for each was, with a hundred nodes
   * in one process, a thirtieth of all CPU: names are kept, up to LINK_NAMES
   */
  private linkName (bytes: Uint8Array): string | undefined {
    const key = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')
    let name = this.linkNames.get(key)
    if (name === undefined) {
      try {
        name = peerIdFromMultihash(Digest.decode(bytes)).toString()
      } catch {
        name = null
      }
      if (this.linkNames.size >= LINK_NAMES) this.linkNames.clear()
      this.linkNames.set(key, name)
    }
    return name ?? undefined
  }

  /** Whether `beat` would change what is recorded of `peerId` (see `record`) */
  isNewer (peerId: string, beat: Pick<Heartbeat, 'seq' | 'startedAt'>): boolean {
    const prev = this.rows.get(peerId)
    if (prev == null) {
      return true
    }
    const startedAt = Number(beat.startedAt)
    return startedAt > prev.startedAt || (startedAt === prev.startedAt && Number(beat.seq) > prev.seq)
  }

  /** How many peers are not gone as of `now` */
  live (now: number): number {
    let count = 0
    for (const row of this.rows.values()) {
      if (missed(now - row.lastSeen, row.intervalMs) < this.init.goneAfter) count++
    }
    return count
  }

  recordRtt (peerId: string, rtt: number): void {
    const row = this.rows.get(peerId)
    if (row != null) {
      row.rtt = rtt
    }
  }

  has (peerId: string): boolean {
    return this.rows.has(peerId)
  }

  get size (): number {
    return this.rows.size
  }

  get (peerId: string, now: number, isConnected: (peerId: string) => boolean): PeerEntry | undefined {
    const row = this.rows.get(peerId)
    return row == null ? undefined : this.entry(row, now, isConnected)
  }

  /** Every known peer with its status as of `now`, most recently seen first */
  entries (now: number, isConnected: (peerId: string) => boolean): PeerEntry[] {
    return [...this.rows.values()]
      .map(row => this.entry(row, now, isConnected))
      .sort((a, b) => b.lastSeen - a.lastSeen)
  }

  /** Drops gone peers silent for longer than `forgetAfter` intervals; returns their ids */
  prune (now: number): string[] {
    const dropped: string[] = []
    for (const row of this.rows.values()) {
      const silence = now - row.lastSeen
      if (missed(silence, row.intervalMs) >= this.init.goneAfter && silence > this.init.forgetAfter * row.intervalMs) {
        this.rows.delete(row.peerId)
        dropped.push(row.peerId)
      }
    }
    return dropped
  }

  private entry (row: Row, now: number, isConnected: (peerId: string) => boolean): PeerEntry {
    const missedBeats = missed(now - row.lastSeen, row.intervalMs)
    let status: PeerStatus
    if (missedBeats >= this.init.goneAfter) {
      status = 'gone'
    } else if (missedBeats >= this.init.staleAfter) {
      status = 'stale'
    } else {
      status = isConnected(row.peerId) ? 'connected' : 'alive'
    }
    return { ...row, status, missedBeats }
  }
}

/**
 * Beats missed after `silence` ms: a beat counts as missed once half an
 * interval has passed beyond when it was due, so ordinary jitter is not a miss.
 */
export function missed (silence: number, intervalMs: number): number {
  return Math.max(0, Math.floor((silence - intervalMs / 2) / intervalMs))
}
