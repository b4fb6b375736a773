import { Zone } from '@overmind/protocols'
import type { MemoryIndex } from './memory-index.js'

/** What a consolidation pass did */
export interface ConsolidationReport {
  /** Links between chunks used together, made or strengthened */
  strengthened: number
  /** Chunks of this node linked to an older near-duplicate (`same-as`) */
  duplicates: number
  /** Chunks of this node set aside by the prune rules */
  pruned: number
  /** Chunks of this node compared with their nearest neighbours */
  scanned: number
  /** How long the pass took, ms */
  ms: number
}

/** A link a pass writes */
export interface LinkDraft {
  agent: string
  zone: Zone
  from: string
  to: string
  relation: string
  /** 0 to 1 */
  weight: number
}

export interface ConsolidatorInit {
  index: MemoryIndex
  /** This node's peer id */
  self: string
  /** Cosine similarity from which two chunks are near-duplicates @default 0.95 */
  duplicateSimilarity?: number
  /** Writes links of this node */
  link(links: LinkDraft[]): Promise<void>
  /** Applies the prune rules; the ids set aside */
  prune(now: number): Promise<string[]>
}

/** The relation of links between chunks used together */
export const CO_USED = 'co-used'
/** The relation of a near-duplicate's link to its canonical chunk */
export const SAME_AS = 'same-as'

/** Pairs counted between two passes, at most: pairs past it are not counted */
const MAX_PAIRS = 10_000
/** The first results of a search, and the chunks of one feedback, count as used together */
const USED_TOGETHER = 4
/** Uses together a pair needs in one interval before a pass links it */
const CO_USE_MIN = 2
/** How much each use together adds to the pair's link weight */
const CO_USE_STEP = 0.1
/** Chunks of this node compared with their neighbours per pass, at most: the rest wait for the next pass */
const SCAN_PER_PASS = 2_000
const NEIGHBOURS = 4

/**
 * The consolidation pass ("sleep") of a node's memory: links chunks its
 * agents used together (strengthening the link each time), links each chunk
 * it wrote to the oldest near-duplicate of it (`same-as`; search shows the
 * canonical chunk only), and applies the prune rules. Everything it does is
 * an ordinary link, archive or tombstone event, folded alike by every node.
 */
export class Consolidator {
  private readonly init: ConsolidatorInit
  private readonly pairs = new Map<string, number>()
  /** Chunks of this node before this ordinal were compared already */
  private scannedUpTo = 0
  private running?: Promise<ConsolidationReport>

  constructor (init: ConsolidatorInit) {
    this.init = init
  }

  /** Counts chunks one agent used together (the first results of a search, the chunks of one feedback) */
  usedTogether (ids: string[], agent: string): void {
    const together = [...new Set(ids.slice(0, USED_TOGETHER))].sort()
    for (let i = 0; i < together.length; i++) {
      for (let j = i + 1; j < together.length; j++) {
        const key = `${agent}\n${together[i]}\n${together[j]}`
        const count = this.pairs.get(key)
        if (count == null && this.pairs.size >= MAX_PAIRS) continue
        this.pairs.set(key, (count ?? 0) + 1)
      }
    }
  }

  /** Runs a pass (or joins the one running) */
  async run (now: number): Promise<ConsolidationReport> {
    this.running ??= this.pass(now).finally(() => { this.running = undefined })
    return await this.running
  }

  private async pass (now: number): Promise<ConsolidationReport> {
    const started = performance.now()
    const coUsed = this.coUsedLinks()
    const { links: duplicates, scanned } = await this.duplicateLinks()
    const links = [...coUsed, ...duplicates]
    if (links.length > 0) await this.init.link(links)
    const pruned = await this.init.prune(now)
    return { strengthened: coUsed.length, duplicates: duplicates.length, pruned: pruned.length, scanned, ms: Math.round(performance.now() - started) }
  }

  private coUsedLinks (): LinkDraft[] {
    const { index } = this.init
    const links: LinkDraft[] = []
    for (const [key, count] of this.pairs) {
      if (count < CO_USE_MIN) continue
      const [agent, from, to] = key.split('\n')
      const a = index.ordinal(from)
      const b = index.ordinal(to)
      if (a == null || b == null || index.isForgotten(a) || index.isForgotten(b) || index.zone(a) !== index.zone(b)) continue
      const current = Math.max(linkWeight(index, from, to, CO_USED), linkWeight(index, to, from, CO_USED))
      const weight = Math.min(1, current + CO_USE_STEP * count)
      if (weight > current) links.push({ agent, zone: index.zone(a), from, to, relation: CO_USED, weight })
    }
    this.pairs.clear()
    return links
  }

  private async duplicateLinks (): Promise<{ links: LinkDraft[], scanned: number }> {
    const { index, self } = this.init
    const threshold = this.init.duplicateSimilarity ?? 0.95
    const links: LinkDraft[] = []
    let scanned = 0
    for (const ordinal of index.chunksOf(self)) {
      if (ordinal < this.scannedUpTo) continue
      if (scanned >= SCAN_PER_PASS) break
      const vector = index.vectors.vector(ordinal)
      // not embedded yet: compared in a later pass
      if (vector == null) break
      this.scannedUpTo = ordinal + 1
      if (index.isForgotten(ordinal) || index.isArchived(ordinal)) continue
      scanned++
      const zone = index.zone(ordinal)
      const agent = index.agent(ordinal)
      const hits = await index.vectors.approximate(vector.slice(), NEIGHBOURS, o => o !== ordinal && index.zone(o) === zone &&
        !index.isForgotten(o) && !index.isArchived(o) && (zone !== Zone.PRIVATE || index.agent(o) === agent))
      const near = hits.filter(hit => hit.similarity >= threshold).map(hit => hit.ordinal)
      if (near.length === 0) continue
      const canonical = near.reduce((a, b) => index.compareCreated(a, b) < 0 ? a : b)
      if (index.compareCreated(canonical, ordinal) >= 0) continue
      const from = index.id(ordinal)
      const to = index.id(canonical)
      if (linkWeight(index, from, to, SAME_AS) > 0) continue
      links.push({ agent, zone, from, to, relation: SAME_AS, weight: 1 })
    }
    return { links, scanned }
  }
}

function linkWeight (index: MemoryIndex, from: string, to: string, relation: string): number {
  return index.state(from)?.links.get(relation)?.get(to) ?? 0
}
