import { Zone } from '@overmind/protocols'
import type { MemoryIndex } from './memory-index.js'
import type { Logger } from '@libp2p/interface'

/**
 * When chunks make a convergence signal: at least `agents` agents (an agent
 * name on a node) on at least `nodes` nodes wrote chunks of the federation
 * zone within `similarity` of each other (cosine) and within `window` ms of
 * each other
 */
export interface SignalRules {
  /** 0 turns signals off @default 3 */
  agents: number
  /** @default 2 */
  nodes: number
  /** @default 0.75 */
  similarity: number
  /** @default 86400000 (a day) */
  window: number
  /**
   * The node that wrote the newest chunk of a group raises its signal; the
   * others raise it when it has not come after this long, ms
   *
   * @default 30000
   */
  grace: number
}

export const DEFAULT_SIGNAL_RULES: SignalRules = { agents: 3, nodes: 2, similarity: 0.75, window: 86_400_000, grace: 30_000 }

/** What a signal event of this node says */
export interface SignalDraft {
  /** The signal's id first (its earliest chunk, or the signal it grows), then the other chunks in id order */
  targets: string[]
  /** Thousandths */
  score: number
  novelty: number
  topic: string
}

export interface ConvergenceInit {
  index: MemoryIndex
  /** This node's peer id */
  self: string
  rules: SignalRules
  /** The texts of chunks held here */
  texts(chunks: Array<{ ordinal: number, id: string }>): Promise<Array<string | undefined>>
  /** Signs and writes a signal event of this node; resolves once it is folded */
  raise(draft: SignalDraft): Promise<void>
  log: Logger
  now?(): number
}

/** Nearest chunks asked of the vector index for each new chunk */
const NEIGHBOURS = 32
/** Chunks waiting for their check, at most: past it, new chunks are not checked (and counted) */
const MAX_WAITING = 4096
/** Checks waiting for the grace period, at most */
const MAX_LATE = 256
/** Most chunks one signal event names */
const MAX_SIGNAL_CHUNKS = 64
/** Bytes of a signal's topic */
const MAX_TOPIC_BYTES = 256

/**
 * Watches new chunks of the federation zone for convergence. Each one,
 * once it has a vector, is checked off the write path, one at a time: its
 * nearest chunks of the window that are within the similarity threshold
 * make its group, and a group of enough agents on enough nodes that no
 * signal names yet is raised as a signal event, which every node folds the
 * same way (signals.ts). Chunks older than the window are not checked.
 */
export class ConvergenceWatch {
  /** Chunks not checked because too many waited */
  dropped = 0
  private readonly init: ConvergenceInit
  private waiting: Array<{ ordinal: number, late: boolean }> = []
  private running?: Promise<void>
  private readonly late = new Map<number, ReturnType<typeof setTimeout>>()
  /** node → its newest federation chunk's time, and (node, agent) → theirs: a check needs enough of both in its window */
  private readonly latestByNode = new Map<string, number>()
  private readonly latestByAgent = new Map<string, number>()
  private closed = false

  constructor (init: ConvergenceInit) {
    this.init = init
  }

  private now (): number {
    return this.init.now?.() ?? Date.now()
  }

  /** A chunk was added or got its vector: it is checked */
  note (ordinal: number): void {
    if (!this.seen(ordinal) || this.now() - this.init.index.createdAt(ordinal) > this.init.rules.window) return
    this.enqueue(ordinal, false)
  }

  /** A chunk held already (read from disk at open): counted among the recent writers, not checked; false when it cannot count */
  seen (ordinal: number): boolean {
    const { index, rules } = this.init
    if (this.closed || rules.agents < 1 || index.zone(ordinal) !== Zone.FEDERATION) return false
    const created = index.createdAt(ordinal)
    const node = index.author(ordinal)
    const agent = `${node}\n${index.agent(ordinal)}`
    this.latestByNode.set(node, Math.max(this.latestByNode.get(node) ?? 0, created))
    this.latestByAgent.set(agent, Math.max(this.latestByAgent.get(agent) ?? 0, created))
    return true
  }

  /**
   * Whether enough nodes and agents wrote chunks recently enough for a group
   * around a chunk written at `created`: a node importing alone, or a mesh
   * with one writer, costs no vector search
   */
  private possible (created: number): boolean {
    const { rules } = this.init
    const recent = (latest: Map<string, number>, needed: number): boolean => {
      let count = 0
      for (const at of latest.values()) {
        if (at >= created - rules.window && ++count >= needed) return true
      }
      return false
    }
    return recent(this.latestByNode, rules.nodes) && recent(this.latestByAgent, rules.agents)
  }

  /** Resolves once every chunk noted so far is checked */
  async settled (): Promise<void> {
    while (this.running != null) await this.running
  }

  async close (): Promise<void> {
    this.closed = true
    for (const timer of this.late.values()) clearTimeout(timer)
    this.late.clear()
    this.waiting = []
    await this.settled()
  }

  private enqueue (ordinal: number, late: boolean): void {
    if (this.waiting.length >= MAX_WAITING) {
      this.dropped++
      return
    }
    this.waiting.push({ ordinal, late })
    this.pump()
  }

  /**
   * Checks start on a later turn of the event loop: a chunk from a peer is
   * noted while its gossip message is being delivered, and its message is
   * forwarded before any check (a vector search) runs
   */
  private pump (): void {
    if (this.running != null || this.closed) return
    this.running = (async () => {
      await new Promise(resolve => setImmediate(resolve))
      await this.drain()
    })().finally(() => {
      this.running = undefined
      if (this.waiting.length > 0) this.pump()
    })
  }

  private async drain (): Promise<void> {
    for (let i = 0; i < this.waiting.length && !this.closed; i++) {
      const { ordinal, late } = this.waiting[i]
      try {
        await this.check(ordinal, late)
      } catch (err: any) {
        this.init.log('convergence check of a chunk failed - %s', err.message)
      }
    }
    this.waiting = []
  }

  /** Whether a chunk may be part of a group formed around one written at `created` */
  private eligible (ordinal: number, created: number): boolean {
    const { index } = this.init
    return index.zone(ordinal) === Zone.FEDERATION && !index.isForgotten(ordinal) && !index.isArchived(ordinal) &&
      Math.abs(index.createdAt(ordinal) - created) <= this.init.rules.window && !index.distrusted.has(index.author(ordinal))
  }

  private async check (ordinal: number, late: boolean): Promise<void> {
    const { index, rules, self } = this.init
    const vector = index.vectors.vector(ordinal)
    // a chunk still waiting for its vector is noted again once it has one
    if (vector == null || !this.eligible(ordinal, index.createdAt(ordinal)) || !this.possible(index.createdAt(ordinal))) return
    const created = index.createdAt(ordinal)
    const hits = await index.vectors.approximate(vector.slice(), NEIGHBOURS, o => this.eligible(o, created))
    const group = hits.filter(h => h.similarity >= rules.similarity).map(h => h.ordinal)
    if (!group.includes(ordinal)) group.push(ordinal)
    const agents = new Set(group.map(o => `${index.author(o)}\n${index.agent(o)}`))
    const nodes = new Set(group.map(o => index.author(o)))
    if (agents.size < rules.agents || nodes.size < rules.nodes) return
    // a group some signal already names a chunk of is that signal's
    if (index.signals.names(group.map(o => index.id(o)))) return
    // the writer of the newest chunk raises it; the others only when it did not within the grace period
    const newest = group.reduce((a, b) => this.init.index.compareCreated(a, b) >= 0 ? a : b)
    if (!late && index.author(newest) !== self) {
      this.checkLater(ordinal)
      return
    }
    await this.raise(group)
  }

  private checkLater (ordinal: number): void {
    if (this.late.has(ordinal) || this.late.size >= MAX_LATE) return
    const timer = setTimeout(() => {
      this.late.delete(ordinal)
      if (!this.closed) this.enqueue(ordinal, true)
    }, this.init.rules.grace)
    timer.unref?.()
    this.late.set(ordinal, timer)
  }

  private async raise (group: number[]): Promise<void> {
    const { index } = this.init
    const vectors = group.map(o => index.vectors.vector(o) as Float32Array)
    const centroid = new Float32Array(vectors[0].length)
    for (const v of vectors) for (let i = 0; i < v.length; i++) centroid[i] += v[i]
    let norm = 0
    for (const x of centroid) norm += x * x
    norm = Math.sqrt(norm) || 1
    for (let i = 0; i < centroid.length; i++) centroid[i] /= norm
    const closeness = vectors.map(v => dot(v, centroid))
    const score = closeness.reduce((a, b) => a + b, 0) / closeness.length
    const members = new Set(group)
    const earliest = Math.min(...group.map(o => index.createdAt(o)))
    // novelty: how far the group is from the closest chunk written before any of it
    const older = await index.vectors.approximate(centroid, 1, o => !members.has(o) && index.zone(o) === Zone.FEDERATION && !index.isForgotten(o) && index.createdAt(o) < earliest)
    const novelty = 1 - Math.max(0, older[0]?.similarity ?? 0)
    // the topic: the text of the chunk nearest the centroid that can be read now
    const texts = await this.init.texts(group.map(o => ({ ordinal: o, id: index.id(o) })))
    const readable = group.map((_, i) => i).filter(i => texts[i] != null).sort((a, b) => closeness[b] - closeness[a])
    if (readable.length === 0) {
      this.init.log('no text of a converging group could be read: its signal waits for the next chunk')
      return
    }
    const text = texts[readable[0]]
    if (index.signals.names(group.map(o => index.id(o)))) return
    const id = index.id([...group].sort((a, b) => index.compareCreated(a, b))[0])
    const rest = group
      .map((o, i) => ({ id: index.id(o), closeness: closeness[i] }))
      .filter(c => c.id !== id)
      .sort((a, b) => b.closeness - a.closeness)
      .slice(0, MAX_SIGNAL_CHUNKS - 1)
      .map(c => c.id)
      .sort()
    await this.init.raise({ targets: [id, ...rest], score: thousandths(score), novelty: thousandths(novelty), topic: cut(text ?? '', MAX_TOPIC_BYTES) })
  }
}

function dot (a: Float32Array, b: Float32Array): number {
  let sum = 0
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i]
  return sum
}

function thousandths (fraction: number): number {
  return Math.min(1000, Math.max(0, Math.round(fraction * 1000)))
}

/** A text cut to at most `max` bytes of UTF-8, on a character boundary */
function cut (text: string, max: number): string {
  let bytes = 0
  let out = ''
  for (const char of text.slice(0, max)) {
    bytes += Buffer.byteLength(char)
    if (bytes > max) break
    out += char
  }
  return out
}
