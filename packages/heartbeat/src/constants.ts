import { createTopicScoreParams } from '@libp2p/gossipsub/score'
import type { TopicScoreParams } from '@libp2p/gossipsub/score'

/** Topic of the heartbeat protocol, version 1, for one mesh */
export function heartbeatTopic (mesh: string): string {
  return `/overmind/${mesh}/heartbeat/1`
}

/** Stream protocol of the hello, version 1: one beat sent straight to a neighbour that subscribed */
export function heartbeatHelloProtocol (mesh: string): string {
  return `/overmind/${mesh}/heartbeat/hello/1.0.0`
}

/** Stream protocol of the peers pull, version 1: a neighbour's latest signed beat of each member it knows */
export function heartbeatPeersProtocol (mesh: string): string {
  return `/overmind/${mesh}/heartbeat/peers/1.0.0`
}

export const DEFAULT_INTERVAL = 30_000
/**
 * Members up to which a node beats at its configured interval; in a larger
 * mesh the interval grows in proportion, so the beats of the whole mesh stay
 * at most this many per interval
 */
export const DEFAULT_STRETCH_ABOVE = 100
export const DEFAULT_STALE_AFTER = 2
export const DEFAULT_GONE_AFTER = 5
export const DEFAULT_PING_TIMEOUT = 5_000

/** Smallest and largest beat interval a sender may announce */
export const MIN_INTERVAL = 100
export const MAX_INTERVAL = 3_600_000

/** Gone peers are dropped from the table after this many of their intervals */
export const DEFAULT_FORGET_AFTER = 720

/**
 * Gossipsub score parameters of the heartbeat topic: a rejected beat costs
 * its sender (three in a short while graylist it), and nothing else counts,
 * since beats are too rare for delivery-rate penalties to mean anything.
 * Penalties decay by 10 % a second.
 */
export function heartbeatTopicScoreParams (): TopicScoreParams {
  return createTopicScoreParams({
    topicWeight: 1,
    timeInMeshWeight: 0.01,
    timeInMeshQuantum: 1_000,
    timeInMeshCap: 3_600,
    firstMessageDeliveriesWeight: 0.1,
    firstMessageDeliveriesDecay: 0.9,
    firstMessageDeliveriesCap: 10,
    meshMessageDeliveriesWeight: 0,
    meshFailurePenaltyWeight: 0,
    invalidMessageDeliveriesWeight: -10,
    invalidMessageDeliveriesDecay: 0.9
  })
}
