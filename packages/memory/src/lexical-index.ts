import { IntLists, grown } from './int-list.js'
import { ABSENT, STOPWORD, TermScanner, TermTable } from './terms.js'
import { TopK } from './top-k.js'

export interface LexicalHit {
  ordinal: number
  /** BM25 score divided by the best possible score of the query, in [0, 1] */
  score: number
}

const K1 = 1.2
const B = 0.75

/** A term in more documents than this many, or this share, only scores candidates found otherwise */
const RARE_DOCUMENTS = 500
const RARE_SHARE = 0.005

/**
 * An in-memory inverted index with BM25 ranking, over the same stemmed
 * words as the hashing embedder (read as hashes, see terms.ts), and the
 * terms of every document, so that
 * a common term is scored on candidates only: a search costs what its rare
 * terms' posting lists and its candidates cost, not what the corpus holds.
 * Rebuilt from the store when it opens.
 */
export class LexicalIndex {
  private readonly terms = new TermTable()
  private readonly scanner = new TermScanner()
  /** Per term id: ordinal, frequency, ordinal, frequency… */
  private readonly postings = new IntLists()
  /**
   * Per document, in one growing arena rather than an array each (a
   * hundred thousand small arrays are what the garbage collector copies and
   * marks during an import): term id, frequency, term id, frequency… from
   * `termStart[ordinal] - 1`, `termPairs[ordinal]` pairs; 0 in `termStart`
   * for a document not indexed
   */
  private termData = new Int32Array(1 << 16)
  private termUsed = 0
  private termStart = new Int32Array(1024)
  private termPairs = new Int32Array(1024)
  /** Words of each document, stopwords left out */
  private lengths = new Int32Array(1024)
  private documents = 0
  private totalLength = 0
  private scratch = new Int32Array(256)

  /** Documents indexed */
  get size (): number {
    return this.documents
  }

  /**
   * Indexes a document: its text, or the hashes of its words as a
   * `WordPacker` gives them (read on a worker thread)
   */
  add (ordinal: number, text: string | Int32Array): void {
    // the term ids of the words, sorted, so equal terms lie together and are counted in one pass
    let ids = this.scratch
    let length = 0
    let hashes: Int32Array
    let words: number
    if (typeof text === 'string') {
      words = this.scanner.scan(text)
      hashes = this.scanner.hashes
    } else {
      words = text.length / 2
      hashes = text
    }
    for (let w = 0; w < words; w++) {
      const id = this.terms.intern(hashes[w * 2], hashes[w * 2 + 1], this.newTerm)
      if (id === STOPWORD) continue
      if (length === ids.length) {
        ids = this.scratch = grown(ids, ids.length * 2)
      }
      ids[length++] = id
    }
    const sorted = ids.subarray(0, length).sort()
    this.reserve(ordinal, length * 2)
    const start = this.termUsed
    let at = start
    for (let i = 0; i < length;) {
      const id = sorted[i]
      let count = 1
      while (i + count < length && sorted[i + count] === id) count++
      this.postings.push(id, ordinal)
      this.postings.push(id, count)
      this.termData[at++] = id
      this.termData[at++] = count
      i += count
    }
    this.termUsed = at
    this.termStart[ordinal] = start + 1
    this.termPairs[ordinal] = (at - start) / 2
    this.lengths[ordinal] = length
    this.documents++
    this.totalLength += length
  }

  private readonly newTerm = (): number => this.postings.add()

  /** Room for the document `ordinal` and `values` more values in the arena */
  private reserve (ordinal: number, values: number): void {
    if (ordinal >= this.termStart.length) {
      let capacity = this.termStart.length
      while (capacity <= ordinal) capacity *= 2
      this.termStart = grown(this.termStart, capacity)
      this.termPairs = grown(this.termPairs, capacity)
      this.lengths = grown(this.lengths, capacity)
    }
    if (this.termUsed + values > this.termData.length) {
      let capacity = this.termData.length
      while (capacity < this.termUsed + values) capacity *= 2
      this.termData = grown(this.termData, capacity)
    }
  }

  /**
   * Best `k` ordinals passing `filter` for the words of `query`: documents
   * holding a rare query word, and the `candidates` given (found by the
   * vectors), scored on every query word. Common words are scored only on
   * the candidates and on the best of those found by rare words.
   */
  search (query: string, k: number, filter?: (ordinal: number) => boolean, candidates: Iterable<number> = []): LexicalHit[] {
    return this.begin(query, k, filter).finish(candidates)
  }

  /**
   * `search` in two steps: the rare words' postings now, the candidates
   * later, so the first step can run while the vector candidates are sought
   * on another thread
   */
  begin (query: string, k: number, filter?: (ordinal: number) => boolean): { finish: (candidates: Iterable<number>) => LexicalHit[] } {
    const words = this.scanner.scan(query)
    const found = new Set<number>()
    for (let w = 0; w < words; w++) {
      const id = this.terms.get(this.scanner.hashes[w * 2], this.scanner.hashes[w * 2 + 1])
      if (id !== STOPWORD && id !== ABSENT) found.add(id)
    }
    const ids = [...found]
    const none = { finish: () => [] }
    if (ids.length === 0 || this.documents === 0) return none
    const average = this.totalLength / this.documents
    const rareBelow = Math.max(RARE_DOCUMENTS, this.documents * RARE_SHARE)
    // per query word (a handful): its id and weight, side by side
    const weights = ids.map(id => {
      const df = this.postings.length(id) / 2
      return Math.log(1 + (this.documents - df + 0.5) / (df + 0.5))
    })
    // a document of average length holding every query word once scores 1
    const best = weights.reduce((sum, weight) => sum + weight, 0)
    if (best === 0) return none
    const term = (ordinal: number, weight: number, tf: number): number => {
      const length = this.termStart[ordinal] > 0 ? this.lengths[ordinal] : average
      return weight * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
    }
    const scores = new Map<number, number>()
    const common: number[] = []
    const commonWeights: number[] = []
    ids.forEach((id, w) => {
      if (this.postings.length(id) / 2 > rareBelow) {
        common.push(id)
        commonWeights.push(weights[w])
        return
      }
      const values = this.postings.view(id)
      for (let i = 0; i < values.length; i += 2) {
        const ordinal = values[i]
        const score = scores.get(ordinal)
        if (score == null && filter != null && !filter(ordinal)) continue
        scores.set(ordinal, (score ?? 0) + term(ordinal, weights[w], values[i + 1]))
      }
    })
    const finish = (candidates: Iterable<number>): LexicalHit[] => {
      if (common.length > 0) {
        // the common words decide among the best by rare words and the candidates only
        const rare = new TopK(k)
        for (const [ordinal, score] of scores) rare.offer(ordinal, score)
        const scored: Array<[number, number]> = rare.hits().map(h => [h.ordinal, h.score])
        for (const ordinal of candidates) {
          if (!scores.has(ordinal) && (filter == null || filter(ordinal))) scored.push([ordinal, 0])
        }
        for (const entry of scored) {
          const start = (this.termStart[entry[0]] ?? 0) - 1
          if (start < 0) continue
          const end = start + this.termPairs[entry[0]] * 2
          for (let i = start; i < end; i += 2) {
            const c = common.indexOf(this.termData[i])
            if (c >= 0) entry[1] += term(entry[0], commonWeights[c], this.termData[i + 1])
          }
        }
        scores.clear()
        for (const [ordinal, score] of scored) scores.set(ordinal, score)
      }
      // the best `k`, in the order a stable sort by score would give
      const top = new TopK(k)
      for (const [ordinal, score] of scores) {
        if (score > 0) top.offer(ordinal, Math.min(1, score / best))
      }
      return top.hits()
    }
    return { finish }
  }
}

