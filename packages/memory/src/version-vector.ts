import type { Zone } from '@overmind/protocols'

/** One author's log in one zone, as held here */
export interface LogHead {
  author: string
  zone: Zone
  /** Highest seq such that every seq from 1 up to it is held */
  contiguous: bigint
  /** Highest seq held */
  max: bigint
  /** Held seqs above `contiguous` (a gap lies below each) */
  above: Set<bigint>
}

/**
 * The heads of every (author, zone) log: which seqs this node holds. A
 * version vector is the list of `contiguous` values; a peer with a higher
 * head for a log has entries this node lacks.
 */
export class LogHeads {
  private readonly heads = new Map<string, LogHead>()

  static key (zone: Zone, author: string): string {
    return `${zone}!${author}`
  }

  get (zone: Zone, author: string): LogHead | undefined {
    return this.heads.get(LogHeads.key(zone, author))
  }

  /** Records a held seq; returns the head */
  add (zone: Zone, author: string, seq: bigint): LogHead {
    const key = LogHeads.key(zone, author)
    let head = this.heads.get(key)
    if (head == null) {
      head = { author, zone, contiguous: 0n, max: 0n, above: new Set() }
      this.heads.set(key, head)
    }
    if (seq > head.max) head.max = seq
    if (seq === head.contiguous + 1n) {
      head.contiguous = seq
      while (head.above.delete(head.contiguous + 1n)) head.contiguous++
    } else if (seq > head.contiguous) {
      head.above.add(seq)
    }
    return head
  }

  has (zone: Zone, author: string, seq: bigint): boolean {
    const head = this.get(zone, author)
    return head != null && (seq <= head.contiguous || head.above.has(seq))
  }

  all (zones?: readonly Zone[]): LogHead[] {
    return [...this.heads.values()].filter(h => zones == null || zones.includes(h.zone))
  }
}
