import { EventKind } from '@overmind/protocols'
import type { VerifiedEvent } from './entry.js'

/** What the events about one chunk add up to */
export interface ChunkState {
  successes: number
  failures: number
  /** Authors (peer id strings) that tombstoned the chunk */
  tombstonedBy: Set<string>
  /** Authors (peer id strings) that archived the chunk */
  archivedBy: Set<string>
  /** Links from this chunk: `relation` → target chunk id → weight (0 to 1, the strongest link event's) */
  links: Map<string, Map<string, number>>
  /**
   * Uses of the chunk (use events, feedback, links), as [time in ms, count]
   * pairs sorted by time then count: salience is summed from them in this
   * order, so every node holding the same events gets the same number
   */
  uses: Array<[number, number]>
}

function emptyState (): ChunkState {
  return { successes: 0, failures: 0, tombstonedBy: new Set(), archivedBy: new Set(), links: new Map(), uses: [] }
}

/** Salience decays by this factor per hour since each use */
export const SALIENCE_DECAY_PER_HOUR = 0.99

const HOUR_MS = 3_600_000

/** Adds a use to a sorted list of uses, keeping it sorted */
function addUse (uses: Array<[number, number]>, at: number, count: number): void {
  let i = uses.length
  while (i > 0 && (uses[i - 1][0] > at || (uses[i - 1][0] === at && uses[i - 1][1] > count))) i--
  uses.splice(i, 0, [at, count])
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
  const at = Number(body.hlcWallTime)
  switch (body.kind) {
    case EventKind.FEEDBACK:
      for (const id of body.targets) {
        if (body.success) state(id).successes++
        else state(id).failures++
        addUse(state(id).uses, at, 1)
      }
      break
    case EventKind.USE:
      for (const id of body.targets) addUse(state(id).uses, at, body.uses)
      break
    case EventKind.TOMBSTONE:
      for (const id of body.targets) state(id).tombstonedBy.add(event.author.toString())
      break
    case EventKind.ARCHIVE:
      for (const id of body.targets) state(id).archivedBy.add(event.author.toString())
      break
    case EventKind.LINK: {
      const [from, to] = body.targets
      const links = state(from).links
      const relation = body.relation === '' ? 'related' : body.relation
      let targets = links.get(relation)
      if (targets == null) {
        targets = new Map()
        links.set(relation, targets)
      }
      // the strongest of the links between two chunks: a maximum, so the order does not matter
      targets.set(to, Math.max(targets.get(to) ?? 0, linkWeight(body.weight)))
      addUse(state(from).uses, at, 1)
      addUse(state(to).uses, at, 1)
      break
    }
    default:
      break
  }
}

/** A link event's weight as a fraction: thousandths, 0 for a full link */
export function linkWeight (thousandths: number): number {
  return thousandths === 0 ? 1 : thousandths / 1000
}

/**
 * Confidence from feedback: the mean of a Beta(1 + successes, 1 + failures)
 * posterior. 0.5 with no feedback; rises with success, falls with failure.
 */
export function confidence (state: ChunkState | undefined): number {
  if (state == null) return 0.5
  return (1 + state.successes) / (2 + state.successes + state.failures)
}

/** An archive event counts only when the chunk's own author wrote it */
export function isArchived (state: ChunkState | undefined, author: string): boolean {
  return state?.archivedBy.has(author) ?? false
}

/** A tombstone counts only when the chunk's own author wrote it */
export function isForgotten (state: ChunkState | undefined, author: string): boolean {
  return state?.tombstonedBy.has(author) ?? false
}

/**
 * Salience at time `now` (ms): the chunk's writing counts as one use at
 * `createdAt`, and every use weighs `count × 0.99^hours since it`. Nothing
 * is stored decayed and no timer touches it: it is computed when read, from
 * the uses in their sorted order, so it is the same on every node that holds
 * the same events. A use stamped later than `now` (a clock ahead) counts
 * undecayed.
 */
export function salience (state: ChunkState | undefined, createdAt: number, now: number): number {
  let sum = decayed(1, createdAt, now)
  for (const [at, count] of state?.uses ?? []) sum += decayed(count, at, now)
  return sum
}

function decayed (count: number, at: number, now: number): number {
  return at >= now ? count : count * SALIENCE_DECAY_PER_HOUR ** ((now - at) / HOUR_MS)
}

/** Total uses recorded by events (the writing not counted) */
export function useCount (state: ChunkState | undefined): number {
  let n = 0
  for (const [, count] of state?.uses ?? []) n += count
  return n
}
