import { percentile } from './workload.js'

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
 *
 * @param sent - each text published, and when
 * @param arrivals - each text and when it arrived at each node that got it
 */
export function floorReport (sent: Map<string, number>, arrivals: Array<[string, number[]]>, knowledge: { p50: number | null, p99: number | null }): FloorReport {
  const latencies: number[] = []
  for (const [text, times] of arrivals) {
    const at = sent.get(text)
    if (at != null) for (const time of times) latencies.push(time - at)
  }
  const sorted = latencies.sort((a, b) => a - b)
  const p50 = percentile(sorted, 0.5)
  const p99 = percentile(sorted, 0.99)
  const ratio = (a: number | null, b: number | null): number | null => a == null || b == null ? null : Math.round(a / Math.max(b, 1) * 10) / 10
  return { messages: sent.size, delivered: sorted.length, p50, p99, ratioP50: ratio(knowledge.p50, p50), ratioP99: ratio(knowledge.p99, p99) }
}
