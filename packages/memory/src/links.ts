import { SAME_AS } from './consolidate.js'
import type { ChunkFilter, MemoryIndex } from './memory-index.js'
import type { RankedHit } from './rank.js'

/** Hops activation may spread along links in a search, at most */
export const MAX_SPREAD = 2
/** What activation keeps of a score at each hop, before the link's weight */
const SPREAD_DECAY = 0.5

/** A search hit, and the link it was reached through when activation spread to it */
export interface SpreadHit extends RankedHit {
  /** The hit's chunk it came from, the relation and weight of the link, and the hops */
  via?: { from: string, relation: string, weight: number, hops: number }
}

/**
 * Hits less those linked `same-as` to another hit (a near-duplicate of it,
 * by the consolidation pass). Two chunks linked same-as each other (by
 * hand) both stay.
 */
export function withoutDuplicates<T extends RankedHit> (index: MemoryIndex, hits: T[]): T[] {
  if (hits.length < 2) return hits
  const ids = new Set(hits.map(hit => index.id(hit.ordinal)))
  const sameAs = (id: string): Map<string, number> | undefined => index.state(id)?.links.get(SAME_AS)
  return hits.filter(hit => {
    const id = index.id(hit.ordinal)
    const same = sameAs(id)
    return same == null || ![...same.keys()].some(other => ids.has(other) && sameAs(other)?.has(id) !== true)
  })
}

/**
 * Spreads activation from the hits along the links of their chunks, `hops`
 * hops out: a linked chunk the reader may see, passing the query's
 * filters, scores its source's score × the link's weight × 0.5 and keeps
 * its best way in; the best `k` of hits and linked chunks are returned
 */
export function spreadActivation (index: MemoryIndex, hits: RankedHit[], filter: ChunkFilter, k: number, hops: number): SpreadHit[] {
  const { test } = index.compile(filter)
  const best = new Map<number, SpreadHit>(hits.map(hit => [hit.ordinal, hit]))
  let frontier: SpreadHit[] = hits
  for (let hop = 1; hop <= hops && frontier.length > 0; hop++) {
    const next: SpreadHit[] = []
    for (const source of frontier) {
      const from = index.id(source.ordinal)
      for (const [relation, targets] of index.state(from)?.links ?? []) {
        for (const [to, weight] of targets) {
          const ordinal = index.ordinal(to)
          if (ordinal == null || index.isForgotten(ordinal) || !test(ordinal)) continue
          const score = source.score * weight * SPREAD_DECAY
          const known = best.get(ordinal)
          if (known != null && known.score >= score) continue
          const reached = { ordinal, score, similarity: known?.similarity ?? 0, lexical: known?.lexical ?? 0, via: { from, relation, weight, hops: hop } }
          best.set(ordinal, reached)
          next.push(reached)
        }
      }
    }
    frontier = next
  }
  return [...best.values()].sort((a, b) => b.score - a.score || a.ordinal - b.ordinal).slice(0, k)
}
