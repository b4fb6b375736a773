import { STOPWORDS, tokenize } from './embedder.js'

export interface LexicalHit {
  ordinal: number
  /** BM25 score divided by the best possible score of the query, in [0, 1] */
  score: number
}

const K1 = 1.2
const B = 0.75

/**
 * An in-memory inverted index with BM25 ranking, over the same stemmed
 * tokens as the hashing embedder. Rebuilt from the store when it opens.
 */
export class LexicalIndex {
  private readonly postings = new Map<string, number[]>()
  private readonly lengths: number[] = []
  private documents = 0
  private totalLength = 0

  /** Documents indexed */
  get size (): number {
    return this.documents
  }

  add (ordinal: number, text: string): void {
    const terms = tokenize(text).filter(t => !STOPWORDS.has(t))
    const counts = new Map<string, number>()
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1)
    for (const [term, count] of counts) {
      let list = this.postings.get(term)
      if (list == null) {
        list = []
        this.postings.set(term, list)
      }
      list.push(ordinal, count)
    }
    this.lengths[ordinal] = terms.length
    this.documents++
    this.totalLength += terms.length
  }

  /** Best `k` ordinals passing `filter` for the words of `query` */
  search (query: string, k: number, filter?: (ordinal: number) => boolean): LexicalHit[] {
    const terms = [...new Set(tokenize(query).filter(t => !STOPWORDS.has(t)))]
    if (terms.length === 0 || this.documents === 0) return []
    const average = this.totalLength / this.documents
    const scores = new Map<number, number>()
    let best = 0
    for (const term of terms) {
      const list = this.postings.get(term)
      if (list == null) continue
      const df = list.length / 2
      const idf = Math.log(1 + (this.documents - df + 0.5) / (df + 0.5))
      // a document of average length holding every query word once scores 1
      best += idf
      for (let i = 0; i < list.length; i += 2) {
        const ordinal = list[i]
        if (filter != null && !filter(ordinal)) continue
        const tf = list[i + 1]
        const norm = tf + K1 * (1 - B + B * (this.lengths[ordinal] ?? average) / average)
        scores.set(ordinal, (scores.get(ordinal) ?? 0) + idf * tf * (K1 + 1) / norm)
      }
    }
    if (best === 0) return []
    const hits = [...scores].map(([ordinal, score]) => ({ ordinal, score: Math.min(1, score / best) }))
    hits.sort((a, b) => b.score - a.score)
    return hits.slice(0, k)
  }
}
