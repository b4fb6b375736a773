import { TopicValidatorResult } from '@libp2p/gossipsub'
import { TypedEventEmitter, serviceDependencies } from '@libp2p/interface'
import { outboundEntry } from '@overmind/memory'
import { MAX_ENTRY_SIZE } from '@overmind/protocols'
import { knowledgeTopic } from './constants.js'
import type { EntryRejection, KnowledgeComponents, KnowledgeInit, KnowledgeService, KnowledgeServiceEvents, KnowledgeStats } from './index.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { Logger, PeerId, Startable } from '@libp2p/interface'
import type { MemoryStore, RejectReason, StoredEntryEvent, VerifiedEntry } from '@overmind/memory'

/** Entries the validator accepted, until gossipsub hands their message over */
const accepted = new WeakMap<Message, VerifiedEntry>()

/**
 * Pushes new federation entries to the mesh over gossipsub, and takes in the
 * entries of others. The topic validator only checks (size, schema,
 * signature, author, zone) and answers: no disk and no embedder stand
 * between a message and its forwarding. An accepted entry is handed to the
 * store's queue of writes when the message is delivered; a bad one is
 * rejected, which lowers its sender's score and stops it from being
 * forwarded.
 */
export class Knowledge extends TypedEventEmitter<KnowledgeServiceEvents> implements KnowledgeService, Startable {
  readonly topic: string
  private readonly components: KnowledgeComponents
  private readonly store: MemoryStore
  private readonly log: Logger
  private readonly stats: KnowledgeStats = { published: 0, received: 0, duplicates: 0, dropped: 0, rejected: {} }
  private started = false

  constructor (components: KnowledgeComponents, init: KnowledgeInit) {
    super()
    this.components = components
    this.store = init.store
    this.topic = knowledgeTopic(init.mesh)
    this.log = components.logger.forComponent('overmind:knowledge')
    this.validate = this.validate.bind(this)
    this.onEntry = this.onEntry.bind(this)
    this.onMessage = this.onMessage.bind(this)
  }

  readonly [Symbol.toStringTag] = '@overmind/knowledge'

  readonly [serviceDependencies]: string[] = ['@libp2p/pubsub']

  private get pubsub (): GossipSub {
    return this.components.pubsub as GossipSub
  }

  async start (): Promise<void> {}

  /** libp2p starts services together: subscribe once pubsub is running */
  async afterStart (): Promise<void> {
    this.pubsub.topicValidators.set(this.topic, this.validate)
    this.pubsub.addEventListener('message', this.onMessage)
    this.pubsub.subscribe(this.topic)
    this.store.addEventListener('entry', this.onEntry)
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.store.removeEventListener('entry', this.onEntry)
    this.pubsub.removeEventListener('message', this.onMessage)
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
      data = outboundEntry(entry.bytes, this.store.replicatedZones)
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
    const admission = await this.store.check(msg.data, { publisher: msg.from, inline: true })
    if (admission.verdict === 'reject') {
      return this.reject(admission.reason, admission.message, msg.from)
    }
    if (admission.verdict === 'duplicate') {
      this.stats.duplicates++
      return TopicValidatorResult.Ignore
    }
    accepted.set(msg, admission.entry)
    return TopicValidatorResult.Accept
  }

  /** A message the validator accepted is delivered: its entry joins the store's queue of writes */
  private onMessage (evt: CustomEvent<Message>): void {
    const entry = accepted.get(evt.detail)
    if (entry == null) return
    accepted.delete(evt.detail)
    this.stats.received++
    const outcome = this.store.accept(entry)
    if (outcome === 'duplicate') this.stats.duplicates++
    else if (outcome === 'full') {
      this.stats.dropped++
      this.log('queue of writes is full: dropped %s, anti-entropy will fetch it', entry.id)
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
