import type { Ordinals } from './int-list.js'
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
  candidates?: Ordinals
  /** About what share of the chunks pass `filter`, in (0, 1] */
  selectivity: number
  /** Vector partitions holding every chunk that passes, and the ordinals in them */
  partitions?: { ids: number[], ordinals: Ordinals }
  confidence(ordinal: number): number
  /** Salience now (1 for a chunk just written and never used; see `salience` in fold.ts) */
  salience?(ordinal: number): number
  weights?: RankWeights
  /** Chunks of authors caught equivocating: they rank after every other chunk */
  distrusted?(ordinal: number): boolean
  /** Scan every vector instead of asking the graph */
  exact: boolean
  /** Rank by vector similarity alone */
  vectorOnly?: boolean
}

/**
 * How far confidence and salience move a score: a factor from `1 - w` to
 * `1 + w` each, 1 at confidence 0.5 and at salience 1 (a chunk just written)
 */
export interface RankWeights {
  /** @default 0.2 */
  confidence: number
  /** @default 0.1 */
  salience: number
}

export const DEFAULT_RANK_WEIGHTS: RankWeights = { confidence: 0.2, salience: 0.1 }

export interface RankedHit {
  ordinal: number
  score: number
  similarity: number
  lexical: number
}

/** How much of relevance comes from words rather than vectors */
const LEXICAL_WEIGHT = 0.3

/** Up to this many chunks passing the filters, scanning them all beats the graph (~0.3 µs a row) */
const SCAN_BELOW = 8192

/** Up to this many, scanning them here beats a round trip to the graph thread's partition scan */
const SCAN_HERE_BELOW = 1024

/**
 * Up to this many chunks in the partitions a filter names, a native scan of
 * their 8-bit copies (~30 ns a row) beats a graph search asked for enough
 * candidates (~3 ms for 800 at 100,000 chunks)
 */
const SCAN_PARTITIONS_BELOW = 65_536

/**
 * A filtered graph search asks for this many times `k` over the share that
 * passes: the `k` nearest that pass lie among about `k / share` nearest of
 * all, and the graph finds most of a list that long
 */
const OVERSAMPLE = 8

/**
 * Hybrid ranking: candidates from the vector graph (or an exact scan when
 * filters leave few chunks) and from BM25, each re-scored exactly, then
 * relevance = 0.7 × cosine + 0.3 × BM25 (normalised), scaled by confidence
 * c (× (1 + wc × (2c − 1)): × 0.8 at confidence 0, × 1.0 at 0.5, × 1.2 at 1
 * with the default wc 0.2) and by salience s (× (1 + ws × (s − 1) / (s + 1)):
 * × 0.9 for a chunk long unused, × 1.0 just written, towards × 1.1 when much
 * used, with the default ws 0.1). Chunks of a distrusted author come after
 * all others, whatever their score.
 */
export async function rankResults (input: RankInput): Promise<RankedHit[]> {
  const { vectors, lexical, vector, k, filter } = input
  const pool = Math.max(k * 8, 64)
  // the graph thread seeks the vector candidates while the rare words' postings are read here
  const seeking = vectorCandidates(input, pool)
  const words = input.vectorOnly === true ? undefined : lexical.begin(input.query, pool, filter)
  const nearest = await seeking
  const distrusted = input.distrusted ?? (() => false)
  if (words == null) return lastIfDistrusted(nearest.map(hit => ({ ...hit, score: hit.similarity, lexical: 0 })), distrusted).slice(0, k)
  const candidates = new Map<number, { similarity: number, lexical: number }>()
  for (const hit of nearest) candidates.set(hit.ordinal, { similarity: hit.similarity, lexical: 0 })
  for (const hit of words.finish(candidates.keys())) {
    const known = candidates.get(hit.ordinal)
    if (known != null) known.lexical = hit.score
    else candidates.set(hit.ordinal, { similarity: vectors.similarity(vector, hit.ordinal), lexical: hit.score })
  }
  const ranked: RankedHit[] = []
  const weights = input.weights ?? DEFAULT_RANK_WEIGHTS
  for (const [ordinal, c] of candidates) {
    const relevance = (1 - LEXICAL_WEIGHT) * Math.max(0, c.similarity) + LEXICAL_WEIGHT * c.lexical
    const s = input.salience?.(ordinal) ?? 1
    const score = relevance * (1 + weights.confidence * (2 * input.confidence(ordinal) - 1)) * (1 + weights.salience * (s - 1) / (s + 1))
    ranked.push({ ordinal, score, similarity: c.similarity, lexical: c.lexical })
  }
  ranked.sort((a, b) => b.score - a.score || a.ordinal - b.ordinal)
  return lastIfDistrusted(ranked, distrusted).slice(0, k)
}

/** Hits in their order, those of distrusted authors moved after the others */
function lastIfDistrusted (hits: RankedHit[], distrusted: (ordinal: number) => boolean): RankedHit[] {
  const after = hits.filter(hit => distrusted(hit.ordinal))
  return after.length === 0 ? hits : [...hits.filter(hit => !distrusted(hit.ordinal)), ...after]
}

/**
 * The `pool` nearest vectors that pass the filter: an exact scan of a short
 * posting list, a native scan of the agents' partitions the filter names,
 * or the graph asked for enough candidates that, after the
 * filter, `pool` remain; an exact scan when that would be most of them.
 */
async function vectorCandidates (input: RankInput, pool: number): Promise<Array<{ ordinal: number, similarity: number }>> {
  const { vectors, vector, filter } = input
  if (input.exact) return vectors.exact(vector, pool, filter)
  const { candidates, partitions } = input
  // a short list is scanned here; a longer one in the agents' partitions when the filter names agents
  const partitionScan = partitions != null && partitions.ordinals.length <= SCAN_PARTITIONS_BELOW &&
    (candidates == null || candidates.length > SCAN_HERE_BELOW)
  if (candidates != null && candidates.length <= SCAN_BELOW && !partitionScan) {
    return vectors.exact(vector, pool, undefined, candidates.filter(filter))
  }
  if (partitionScan) {
    // the scan is exhaustive: ask wider only while other conditions leave fewer than `pool`
    for (let want = pool; ; want *= 4) {
      const hits = await vectors.scan(vector, want, partitions.ids, filter, partitions.ordinals)
      if (hits.length >= pool || want >= partitions.ordinals.length) return hits.slice(0, pool)
    }
  }
  const selectivity = Math.min(1, Math.max(input.selectivity, 1 / Math.max(1, vectors.count)))
  let want = selectivity >= 0.95 ? pool : Math.max(pool, Math.ceil(input.k * OVERSAMPLE / selectivity))
  while (true) {
    if (want * 2 >= vectors.count) return vectors.exact(vector, pool, filter)
    const hits = await vectors.approximate(vector, want, filter)
    // fewer than `k` passed: the filter is narrower than counted, ask wider
    if (hits.length >= Math.min(pool, input.k)) return hits.slice(0, pool)
    want *= 4
  }
}
