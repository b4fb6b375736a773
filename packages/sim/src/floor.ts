import { percentile } from './workload.js'
import type { OvermindNode } from '@overmind/node'

/** The topic of the floor: no validator, nothing stored */
export const FLOOR_TOPIC = '/overmind-sim/bare/1'

/** Bare gossipsub delivery on the same nodes, and knowledge delivery against it */
export interface FloorReport {
  /** Messages published on the bare topic, one per acknowledged write */
  messages: number
  /** (message, receiver) pairs that arrived */
  delivered: number
  /** ms from publish to arrival on a receiver */
  p50: number | null
  p99: number | null
  /** Knowledge delivery percentiles divided by these (null: either side has none) */
  ratioP50: number | null
  ratioP99: number | null
}

/**
 * The floor knowledge delivery is compared with: each write's text is also
 * published, from the same node at the same moment, on a gossipsub topic
 * every node subscribes to with no validator, over the same connections.
 * Both travel the same mesh at the same time, so their ratio is what the
 * knowledge topic (checking, storing, indexing) costs over bare gossip.
 */
export class BareGossipFloor {
  private readonly sent = new Map<string, number>()
  private readonly latencies: number[] = []
  private readonly now: () => number
  private readonly encoder = new TextEncoder()
  private readonly decoder = new TextDecoder()

  constructor (now: () => number) {
    this.now = now
  }

  /** Subscribes a node, and times what reaches it */
  attach (node: OvermindNode): void {
    const pubsub = node.libp2p.services.pubsub
    pubsub.subscribe(FLOOR_TOPIC)
    pubsub.addEventListener('message', evt => {
      if (evt.detail.topic !== FLOOR_TOPIC) return
      const at = this.sent.get(this.decoder.decode(evt.detail.data))
      if (at != null) this.latencies.push(this.now() - at)
    })
  }

  /** Publishes one write's text from the node that writes it */
  publish (node: OvermindNode, text: string): void {
    if (this.sent.has(text)) return
    this.sent.set(text, this.now())
    node.libp2p.services.pubsub.publish(FLOOR_TOPIC, this.encoder.encode(text)).catch(() => {})
  }

  report (knowledge: { p50: number | null, p99: number | null }): FloorReport {
    const sorted = [...this.latencies].sort((a, b) => a - b)
    const p50 = percentile(sorted, 0.5)
    const p99 = percentile(sorted, 0.99)
    const ratio = (a: number | null, b: number | null): number | null => a == null || b == null ? null : Math.round(a / Math.max(b, 1) * 10) / 10
    return { messages: this.sent.size, delivered: sorted.length, p50, p99, ratioP50: ratio(knowledge.p50, p50), ratioP99: ratio(knowledge.p99, p99) }
  }
}
