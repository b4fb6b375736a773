import { TopicValidatorResult } from '@libp2p/gossipsub'
import { TypedEventEmitter } from '@libp2p/interface'
import { encodeOutbound } from '@overmind/memory'
import { MAX_ENTRY_SIZE } from '@overmind/protocols'
import { knowledgeTopic } from './constants.js'
import type { EntryRejection, KnowledgeComponents, KnowledgeInit, KnowledgeService, KnowledgeServiceEvents, KnowledgeStats } from './index.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { Logger, PeerId, Startable } from '@libp2p/interface'
import type { MemoryStore, RejectReason, StoredEntryEvent } from '@overmind/memory'

/**
 * Pushes new federation entries to the mesh over gossipsub, and takes in the
 * entries of others. The topic validator stores an entry only after checking
 * its size, schema and signature; a bad entry is rejected, which lowers its
 * sender's score and stops it from being forwarded.
 */
export class Knowledge extends TypedEventEmitter<KnowledgeServiceEvents> implements KnowledgeService, Startable {
  readonly topic: string
  private readonly components: KnowledgeComponents
  private readonly store: MemoryStore
  private readonly log: Logger
  private readonly stats: KnowledgeStats = { published: 0, received: 0, duplicates: 0, rejected: {} }
  private started = false

  constructor (components: KnowledgeComponents, init: KnowledgeInit) {
    super()
    this.components = components
    this.store = init.store
    this.topic = knowledgeTopic(init.mesh)
    this.log = components.logger.forComponent('overmind:knowledge')
    this.validate = this.validate.bind(this)
    this.onEntry = this.onEntry.bind(this)
  }

  readonly [Symbol.toStringTag] = '@overmind/knowledge'

  private get pubsub (): GossipSub {
    return this.components.pubsub as GossipSub
  }

  async start (): Promise<void> {}

  /** libp2p starts services together: subscribe once pubsub is running */
  async afterStart (): Promise<void> {
    this.pubsub.topicValidators.set(this.topic, this.validate)
    this.pubsub.subscribe(this.topic)
    this.store.addEventListener('entry', this.onEntry)
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.store.removeEventListener('entry', this.onEntry)
    if (this.pubsub.topicValidators.get(this.topic) === this.validate) {
      this.pubsub.topicValidators.delete(this.topic)
    }
    try {
      this.pubsub.unsubscribe(this.topic)
    } catch {}
  }

  getStats (): KnowledgeStats {
    return structuredClone(this.stats)
  }

  private onEntry (evt: CustomEvent<StoredEntryEvent>): void {
    const { entry, origin } = evt.detail
    if (origin !== 'local' || !this.store.replicatedZones.includes(entry.body.zone)) return
    let data: Uint8Array
    try {
      data = encodeOutbound(entry.signed, this.store.replicatedZones)
    } catch (err: any) {
      this.log.error('not publishing %s: %s', entry.id, err.message)
      return
    }
    this.pubsub.publish(this.topic, data).then(() => {
      this.stats.published++
    }, (err: Error) => {
      // anti-entropy delivers it later
      this.log('could not publish %s: %s', entry.id, err.message)
    })
  }

  private async validate (_from: PeerId, msg: Message): Promise<TopicValidatorResult> {
    if (msg.type !== 'signed') {
      return this.reject('malformed', 'message is not signed', undefined)
    }
    if (msg.data.byteLength > MAX_ENTRY_SIZE) {
      return this.reject('oversized', `message of ${msg.data.byteLength} bytes is over the ${MAX_ENTRY_SIZE} byte limit`, msg.from)
    }
    try {
      const result = await this.store.ingest([msg.data], { publisher: msg.from })
      if (result.rejected.length > 0) {
        const { reason, message } = result.rejected[0]
        return this.reject(reason, message, msg.from)
      }
      if (result.duplicates > 0) {
        this.stats.duplicates++
        return TopicValidatorResult.Ignore
      }
      this.stats.received++
      return TopicValidatorResult.Accept
    } catch (err: any) {
      // the store could not take it (closing, disk full): not the sender's fault
      this.log.error('could not store an entry from %s: %s', msg.from.toString(), err.message)
      return TopicValidatorResult.Ignore
    }
  }

  private reject (reason: RejectReason, message: string, from: PeerId | undefined): TopicValidatorResult {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1
    this.log('rejected an entry from %s: %s', from?.toString() ?? 'unknown peer', message)
    const detail: EntryRejection = { reason, message, from: from?.toString(), via: 'gossip' }
    this.safeDispatchEvent('entry:rejected', { detail })
    return TopicValidatorResult.Reject
  }
}
