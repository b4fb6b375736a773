import type { LexicalIndex } from './lexical-index.js'
import type { VectorIndex } from './vector-index.js'

export interface RankInput {
  vectors: VectorIndex
  lexical: LexicalIndex
  query: string
  vector: Float32Array
  k: number
  filter(ordinal: number): boolean
  /** When given, every ordinal that passes `filter` is in it */
  candidates?: number[]
  confidence(ordinal: number): number
  /** Scan every vector instead of asking the graph */
  exact: boolean
}

export interface RankedHit {
  ordinal: number
  score: number
  similarity: number
  lexical: number
}

/** How much of relevance comes from words rather than vectors */
const LEXICAL_WEIGHT = 0.3

/** Below this many chunks passing the filters, scanning them all beats the graph */
const SCAN_BELOW = 4096

/**
 * Hybrid ranking: candidates from the vector graph (or an exact scan when
 * filters leave few chunks) and from BM25, each re-scored exactly, then
 * relevance = 0.7 × cosine + 0.3 × BM25 (normalised), scaled by confidence
 * (× 0.8 at confidence 0, × 1.0 at 0.5, × 1.2 at 1).
 */
export function rankResults (input: RankInput): RankedHit[] {
  const { vectors, lexical, vector, k, filter } = input
  const pool = Math.max(k * 8, 64)
  const candidates = new Map<number, { similarity: number, lexical: number }>()
  let vectorHits
  if (input.exact) {
    vectorHits = vectors.exact(vector, pool, filter)
  } else {
    // one pass finds whether few enough chunks pass to score them all, and which
    const passing: number[] = []
    if (input.candidates != null && input.candidates.length < SCAN_BELOW) {
      for (const ordinal of input.candidates) {
        if (vectors.has(ordinal) && filter(ordinal)) passing.push(ordinal)
      }
    } else {
      for (let ordinal = 0; passing.length < SCAN_BELOW && ordinal < vectors.capacity; ordinal++) {
        if (vectors.has(ordinal) && filter(ordinal)) passing.push(ordinal)
      }
    }
    vectorHits = passing.length < SCAN_BELOW
      ? vectors.exact(vector, pool, undefined, passing)
      : graphHits(vectors, vector, pool, filter)
  }
  for (const hit of vectorHits) candidates.set(hit.ordinal, { similarity: hit.similarity, lexical: 0 })
  for (const hit of lexical.search(input.query, pool, filter)) {
    const known = candidates.get(hit.ordinal)
    if (known != null) known.lexical = hit.score
    else candidates.set(hit.ordinal, { similarity: vectors.similarity(vector, hit.ordinal), lexical: hit.score })
  }
  const ranked: RankedHit[] = []
  for (const [ordinal, c] of candidates) {
    const relevance = (1 - LEXICAL_WEIGHT) * Math.max(0, c.similarity) + LEXICAL_WEIGHT * c.lexical
    const score = relevance * (0.8 + 0.4 * input.confidence(ordinal))
    ranked.push({ ordinal, score, similarity: c.similarity, lexical: c.lexical })
  }
  ranked.sort((a, b) => b.score - a.score || a.ordinal - b.ordinal)
  return ranked.slice(0, k)
}

/** Graph candidates that pass the filter, widening the search until enough do */
function graphHits (vectors: VectorIndex, vector: Float32Array, pool: number, filter: (ordinal: number) => boolean): Array<{ ordinal: number, similarity: number }> {
  for (let want = pool; ; want *= 4) {
    const hits = vectors.approximate(vector, want).filter(h => filter(h.ordinal))
    if (hits.length >= pool || want >= vectors.count) return hits.slice(0, pool)
  }
}
