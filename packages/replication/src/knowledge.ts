import { TopicValidatorResult } from '@libp2p/gossipsub'
import { TypedEventEmitter, serviceDependencies } from '@libp2p/interface'
import { outboundEntry } from '@overmind/memory'
import { KnowledgeBatch, KNOWLEDGE_BATCH_LIMITS, MAX_KNOWLEDGE_ENTRIES, MAX_KNOWLEDGE_MESSAGE_SIZE } from '@overmind/protocols'
import { knowledgeTopic } from './constants.js'
import type { EntryRejection, KnowledgeComponents, KnowledgeInit, KnowledgeService, KnowledgeServiceEvents, KnowledgeStats } from './index.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { Logger, PeerId, Startable } from '@libp2p/interface'
import type { MemoryStore, RejectReason, StoredEntryEvent, VerifiedEntry } from '@overmind/memory'

/** Entries the validator accepted, until gossipsub hands their message over */
const accepted = new WeakMap<Message, VerifiedEntry[]>()

/** A message closes at this many bytes of entries: well under the topic's limit */
const BATCH_BYTES = MAX_KNOWLEDGE_MESSAGE_SIZE / 2

/** Longest an entry waits in the outbox when no end of its write is announced, ms */
const FLUSH_AFTER = 1_000

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
  private outbox: Array<Uint8Array<ArrayBuffer>> = []
  private outboxBytes = 0
  private flushing?: ReturnType<typeof setTimeout>

  constructor (components: KnowledgeComponents, init: KnowledgeInit) {
    super()
    this.components = components
    this.store = init.store
    this.topic = knowledgeTopic(init.mesh)
    this.log = components.logger.forComponent('overmind:knowledge')
    this.validate = this.validate.bind(this)
    this.onEntry = this.onEntry.bind(this)
    this.onWritten = this.onWritten.bind(this)
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
    this.store.addEventListener('written', this.onWritten)
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    // what waits in the outbox leaves now; anti-entropy covers it if not
    this.flush()
    this.started = false
    this.store.removeEventListener('entry', this.onEntry)
    this.store.removeEventListener('written', this.onWritten)
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

  /**
   * A local entry of a replicated zone joins the outbox. Entries written
   * together leave in one message, once the store has written and indexed
   * all of them (indexing runs in slices over several turns of the loop):
   * an import of thousands of chunks is a few messages, and a single write
   * leaves at once.
   */
  private onEntry (evt: CustomEvent<StoredEntryEvent>): void {
    const { entry, origin } = evt.detail
    if (origin !== 'local' || !this.store.replicatedZones.includes(entry.body.zone)) return
    let data: Uint8Array<ArrayBuffer>
    try {
      data = outboundEntry(entry.bytes, this.store.replicatedZones)
    } catch (err: any) {
      this.log.error('not publishing %s: %s', entry.id, err.message)
      return
    }
    if (this.outbox.length >= MAX_KNOWLEDGE_ENTRIES || this.outboxBytes + data.byteLength + 8 > BATCH_BYTES) this.flush()
    this.outbox.push(data)
    this.outboxBytes += data.byteLength + 8
    // in case the end of the write is never announced
    this.flushing ??= setTimeout(() => { this.flush() }, FLUSH_AFTER)
  }

  /** The store wrote and indexed a group of entries: what they added to the outbox leaves */
  private onWritten (): void {
    this.flush()
  }

  private flush (): void {
    clearTimeout(this.flushing)
    this.flushing = undefined
    if (this.outbox.length === 0 || !this.started) return
    const entries = this.outbox
    this.outbox = []
    this.outboxBytes = 0
    this.pubsub.publish(this.topic, KnowledgeBatch.encode({ entries })).then(() => {
      this.stats.published += entries.length
    }, (err: Error) => {
      // anti-entropy delivers them later
      this.log('could not publish %d entries: %s', entries.length, err.message)
    })
  }

  /**
   * Checks every entry of a message: size, schema, author (the publisher),
   * signature, zone. One bad entry rejects the message: its publisher signed
   * all of it. Entries held already are skipped; a message of nothing new is
   * ignored.
   */
  private async validate (_from: PeerId, msg: Message): Promise<TopicValidatorResult> {
    if (msg.type !== 'signed') {
      return this.reject('malformed', 'message is not signed', undefined)
    }
    if (msg.data.byteLength > MAX_KNOWLEDGE_MESSAGE_SIZE) {
      return this.reject('oversized', `message of ${msg.data.byteLength} bytes is over the ${MAX_KNOWLEDGE_MESSAGE_SIZE} byte limit`, msg.from)
    }
    let batch: KnowledgeBatch
    try {
      batch = KnowledgeBatch.decode(msg.data, { limits: KNOWLEDGE_BATCH_LIMITS })
    } catch (err: any) {
      return this.reject(/too many/i.test(err.message) ? 'oversized' : 'malformed', `message is not a batch of entries: ${err.message}`, msg.from)
    }
    if (batch.entries.length === 0) return this.reject('malformed', 'message holds no entry', msg.from)
    // one entry is checked here; a batch on the worker threads, together
    const inline = batch.entries.length === 1
    const admissions = inline ? [await this.store.check(batch.entries[0], { publisher: msg.from, inline })] : await this.store.checkMany(batch.entries, { publisher: msg.from })
    const entries: VerifiedEntry[] = []
    for (const admission of admissions) {
      if (admission.verdict === 'reject') return this.reject(admission.reason, admission.message, msg.from)
      // gossip carries only an author's own entries: the publisher signed both
      if (admission.verdict === 'equivocation') return this.reject('equivocation', admission.message, msg.from)
      if (admission.verdict === 'accept') entries.push(admission.entry)
    }
    this.stats.duplicates += admissions.length - entries.length
    if (entries.length === 0) return TopicValidatorResult.Ignore
    accepted.set(msg, entries)
    return TopicValidatorResult.Accept
  }

  /** A message the validator accepted is delivered: its entries join the store's queue of writes */
  private onMessage (evt: CustomEvent<Message>): void {
    const entries = accepted.get(evt.detail)
    if (entries == null) return
    accepted.delete(evt.detail)
    for (const entry of entries) {
      this.stats.received++
      const outcome = this.store.accept(entry)
      if (outcome === 'duplicate') this.stats.duplicates++
      else if (outcome === 'full' || outcome === 'failed') {
        this.stats.dropped++
        this.log('could not queue %s (%s): anti-entropy will fetch it', entry.id, outcome)
      }
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
