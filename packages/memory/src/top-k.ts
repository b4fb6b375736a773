/** The `k` best of what is offered, kept sorted; most offers fall below the floor and cost one comparison */
export class TopK {
  private readonly k: number
  private readonly ordinals: number[] = []
  private readonly scores: number[] = []

  constructor (k: number) {
    this.k = k
  }

  /** Whether an offer of `score` would be kept: a caller can skip the work of checking what would not be */
  admits (score: number): boolean {
    return this.scores.length < this.k || score > this.scores[this.k - 1]
  }

  offer (ordinal: number, score: number): void {
    const { ordinals, scores, k } = this
    if (scores.length === k && score <= scores[k - 1]) return
    let at = scores.length < k ? scores.length : k - 1
    while (at > 0 && scores[at - 1] < score) {
      scores[at] = scores[at - 1]
      ordinals[at] = ordinals[at - 1]
      at--
    }
    scores[at] = score
    ordinals[at] = ordinal
  }

  /** Best first */
  hits (): Array<{ ordinal: number, score: number }> {
    return this.ordinals.map((ordinal, i) => ({ ordinal, score: this.scores[i] }))
  }
}
