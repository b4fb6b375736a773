import { EventKind } from '@overmind/protocols'
import type { VerifiedEvent } from './entry.js'

/** A convergence signal as the fold of its events gives it */
export interface SignalState {
  /** The smallest first target of its events */
  id: string
  /** Every chunk any of its events named */
  chunks: Set<string>
  /** The nodes (peer ids) that raised it */
  raisedBy: Set<string>
  /** The earliest of its events' clocks, ms since the epoch */
  raisedAt: number
  /** Topic, score and novelty come from this event: the one naming most chunks, then the smallest id */
  lead: { id: string, size: number, topic: string, score: number, novelty: number }
}

interface Raised {
  id: string
  first: string
  targets: string[]
  author: string
  at: number
  topic: string
  score: number
  novelty: number
}

/**
 * The fold of signal events (memory.md): events that name a chunk in
 * common are one signal, whatever order they come in, so two nodes that
 * raised a signal for the same group at once (or for overlapping groups)
 * end with one. A signal's id is the smallest first target of its events,
 * its chunks and raisers are unions, its time the earliest, and its topic,
 * score and novelty those of one event chosen by a total order: every node
 * holding the same events holds the same signals.
 */
export class SignalFold {
  private readonly events: Raised[] = []
  /** chunk id → the events naming it */
  private readonly byChunk = new Map<string, number[]>()
  private folded?: { signals: Map<string, SignalState>, ofChunk: Map<string, string> }

  /** Folds a signal event (a new signal when `names` was false for its targets) */
  apply (event: VerifiedEvent): void {
    const { body } = event
    if (body.kind !== EventKind.SIGNAL) return
    const index = this.events.length
    this.events.push({ id: event.id, first: body.targets[0], targets: body.targets, author: event.author.toString(), at: Number(body.hlcWallTime), topic: body.topic, score: body.score / 1000, novelty: body.novelty / 1000 })
    for (const chunk of body.targets) {
      const named = this.byChunk.get(chunk)
      if (named == null) this.byChunk.set(chunk, [index])
      else named.push(index)
    }
    this.folded = undefined
  }

  /** The signal with this id */
  get (id: string): SignalState | undefined {
    return this.fold().signals.get(id)
  }

  /** The signal that names this chunk */
  of (chunk: string): SignalState | undefined {
    const id = this.fold().ofChunk.get(chunk)
    return id == null ? undefined : this.get(id)
  }

  /** Whether some signal names any of these chunks */
  names (chunks: Iterable<string>): boolean {
    for (const chunk of chunks) if (this.byChunk.has(chunk)) return true
    return false
  }

  get size (): number {
    return this.fold().signals.size
  }

  values (): IterableIterator<SignalState> {
    return this.fold().signals.values()
  }

  /** The events grouped by the chunks they share (recomputed after a change; signals are few) */
  private fold (): { signals: Map<string, SignalState>, ofChunk: Map<string, string> } {
    if (this.folded != null) return this.folded
    const parent = this.events.map((_, i) => i)
    const find = (i: number): number => {
      while (parent[i] !== i) {
        parent[i] = parent[parent[i]]
        i = parent[i]
      }
      return i
    }
    for (const named of this.byChunk.values()) {
      for (let i = 1; i < named.length; i++) {
        const a = find(named[0])
        const b = find(named[i])
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b)
      }
    }
    const groups = new Map<number, Raised[]>()
    this.events.forEach((event, i) => {
      const root = find(i)
      const group = groups.get(root)
      if (group == null) groups.set(root, [event])
      else group.push(event)
    })
    const signals = new Map<string, SignalState>()
    const ofChunk = new Map<string, string>()
    for (const group of groups.values()) {
      const lead = group.reduce((a, b) => b.targets.length > a.targets.length || (b.targets.length === a.targets.length && b.id < a.id) ? b : a)
      const id = group.map(e => e.first).reduce((a, b) => b < a ? b : a)
      const chunks = new Set(group.flatMap(e => e.targets))
      signals.set(id, {
        id,
        chunks,
        raisedBy: new Set(group.map(e => e.author)),
        raisedAt: Math.min(...group.map(e => e.at)),
        lead: { id: lead.id, size: lead.targets.length, topic: lead.topic, score: lead.score, novelty: lead.novelty }
      })
      for (const chunk of chunks) ofChunk.set(chunk, id)
    }
    this.folded = { signals, ofChunk }
    return this.folded
  }
}
