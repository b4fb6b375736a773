import { EventKind } from '@overmind/protocols'
import type { VerifiedEvent } from './entry.js'

/** A convergence signal as the fold of its events gives it */
export interface SignalState {
  /** The first target of its events: the earliest chunk of the group */
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

/**
 * The fold of signal events (memory.md): one signal per first target,
 * whatever order its events come in. Its chunks and raisers are unions, its
 * time the earliest, and its topic, score and novelty those of one event
 * chosen by a total order, so every node holding the same events holds the
 * same signals.
 */
export class SignalFold {
  private readonly signals = new Map<string, SignalState>()
  /** chunk id → the signals naming it */
  private readonly byChunk = new Map<string, Set<string>>()

  /** Folds a signal event; true when it is the first event of its signal */
  apply (event: VerifiedEvent): boolean {
    const { body } = event
    if (body.kind !== EventKind.SIGNAL) return false
    const id = body.targets[0]
    const at = Number(body.hlcWallTime)
    const lead = { id: event.id, size: body.targets.length, topic: body.topic, score: body.score / 1000, novelty: body.novelty / 1000 }
    let signal = this.signals.get(id)
    const first = signal == null
    if (signal == null) {
      signal = { id, chunks: new Set(), raisedBy: new Set(), raisedAt: at, lead }
      this.signals.set(id, signal)
    } else if (lead.size > signal.lead.size || (lead.size === signal.lead.size && lead.id < signal.lead.id)) {
      signal.lead = lead
    }
    signal.raisedAt = Math.min(signal.raisedAt, at)
    signal.raisedBy.add(event.author.toString())
    for (const chunk of body.targets) {
      signal.chunks.add(chunk)
      let named = this.byChunk.get(chunk)
      if (named == null) {
        named = new Set()
        this.byChunk.set(chunk, named)
      }
      named.add(id)
    }
    return first
  }

  get (id: string): SignalState | undefined {
    return this.signals.get(id)
  }

  /** The signals naming any of these chunks */
  naming (chunks: Iterable<string>): SignalState[] {
    const found = new Map<string, SignalState>()
    for (const chunk of chunks) {
      for (const id of this.byChunk.get(chunk) ?? []) found.set(id, this.signals.get(id) as SignalState)
    }
    return [...found.values()]
  }

  get size (): number {
    return this.signals.size
  }

  values (): IterableIterator<SignalState> {
    return this.signals.values()
  }
}
