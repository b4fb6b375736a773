import { EventKind } from '@overmind/protocols'
import type { VerifiedEvent } from './entry.js'

/** What the events about one chunk add up to */
export interface ChunkState {
  successes: number
  failures: number
  /** Authors (peer id strings) that tombstoned the chunk */
  tombstonedBy: Set<string>
  /** Links from this chunk: `relation` → target chunk ids */
  links: Map<string, Set<string>>
}

function emptyState (): ChunkState {
  return { successes: 0, failures: 0, tombstonedBy: new Set(), links: new Map() }
}

/**
 * Applies one event to the states of its targets. Every effect is a count or
 * a set union, so the fold commutes: any arrival order gives the same state
 * (events are deduplicated by id before they get here).
 */
export function applyEvent (states: Map<string, ChunkState>, event: VerifiedEvent): void {
  const state = (id: string): ChunkState => {
    let s = states.get(id)
    if (s == null) {
      s = emptyState()
      states.set(id, s)
    }
    return s
  }
  const { body } = event
  switch (body.kind) {
    case EventKind.FEEDBACK:
      for (const id of body.targets) {
        if (body.success) state(id).successes++
        else state(id).failures++
      }
      break
    case EventKind.TOMBSTONE:
      for (const id of body.targets) state(id).tombstonedBy.add(event.author.toString())
      break
    case EventKind.LINK: {
      const [from, to] = body.targets
      const links = state(from).links
      const relation = body.relation === '' ? 'related' : body.relation
      let set = links.get(relation)
      if (set == null) {
        set = new Set()
        links.set(relation, set)
      }
      set.add(to)
      break
    }
    default:
      break
  }
}

/**
 * Confidence from feedback: the mean of a Beta(1 + successes, 1 + failures)
 * posterior. 0.5 with no feedback; rises with success, falls with failure.
 */
export function confidence (state: ChunkState | undefined): number {
  if (state == null) return 0.5
  return (1 + state.successes) / (2 + state.successes + state.failures)
}

/** A tombstone counts only when the chunk's own author wrote it */
export function isForgotten (state: ChunkState | undefined, author: string): boolean {
  return state?.tombstonedBy.has(author) ?? false
}
