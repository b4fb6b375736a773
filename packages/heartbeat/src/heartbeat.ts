import { TopicValidatorResult } from '@libp2p/gossipsub'
import { TypedEventEmitter, serviceDependencies } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { HybridLogicalClock, ClockDriftError } from '@overmind/hlc'
import { Heartbeat, HEARTBEAT_LIMITS, MAX_HEARTBEAT_SIZE, MAX_PEER_BEATS, MAX_PEER_BEATS_SIZE, PEER_BEATS_LIMITS, PeerBeats, lengthPrefixed } from '@overmind/protocols'
import { lpStream } from '@libp2p/utils'
import { availableParallelism, loadavg } from 'node:os'
import {
  DEFAULT_FORGET_AFTER, DEFAULT_GONE_AFTER, DEFAULT_INTERVAL, DEFAULT_PING_TIMEOUT,
  DEFAULT_STALE_AFTER, DEFAULT_STRETCH_ABOVE, MAX_INTERVAL, heartbeatHelloProtocol, heartbeatPeersProtocol, heartbeatTopic
} from './constants.js'
import { InvalidHeartbeatError } from './errors.js'
import { PeerTable } from './peer-table.js'
import { relayedAuthor, signedBeat, verifyRelayedSignature } from './relayed.js'
import { validateHeartbeat } from './validate.js'
import type { HeartbeatComponents, HeartbeatEvents, HeartbeatInit, HeartbeatService, HeartbeatStats, LocalReport } from './index.js'
import type { PeerEntry, PeerStatus } from './peer-table.js'
import type { RejectReason } from './errors.js'
import type { SignedBeat } from './relayed.js'
import type { Message } from '@libp2p/gossipsub'
import type { RelayedBeat } from '@overmind/protocols'
import type { Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'

const P2P_CODE = 421
/** Hellos sent at once; more new subscribers wait their turn */
const HELLO_CONCURRENCY = 8
/** How long one hello may take, either way */
const HELLO_TIMEOUT = 10_000
/** Neighbours a node pulls the peer table from after it starts */
const PULLS_PER_START = 2
/** Beats of a peers pull checked between two turns of the event loop */
const PULL_SLICE = 16
/** How long one peers pull may take */
const PULL_TIMEOUT = 20_000
/**
 * Extra beats a node publishes this long (± half) after it starts, while the
 * gossip mesh around it forms, so the whole mesh lists it within seconds
 * instead of an interval; only those under half the interval are sent
 */
const JOIN_BEATS = [2_000, 8_000]

export class HeartbeatPublisher extends TypedEventEmitter<HeartbeatEvents> implements HeartbeatService, Startable {
  readonly topic: string
  /** Stream protocol of the hello: one beat sent straight to a new neighbour */
  readonly helloProtocol: string
  /** Stream protocol of the peers pull: a neighbour's latest signed beat of each member it knows */
  readonly peersProtocol: string
  readonly interval: number
  readonly stretchAbove: number
  readonly staleAfter: number
  readonly goneAfter: number

  private readonly components: HeartbeatComponents
  private readonly init: HeartbeatInit
  private readonly log: Logger
  private readonly table: PeerTable
  private readonly clock: HybridLogicalClock
  private readonly now: () => number
  private readonly startedAt: number
  private readonly pingTimeout: number
  private readonly lastStatus = new Map<string, PeerStatus>()
  private readonly stats: HeartbeatStats = { sent: 0, received: 0, pulled: 0, rejected: {} }
  private seq = 0
  private started = false
  private phaseTimer?: ReturnType<typeof setTimeout>
  private beatTimer?: ReturnType<typeof setTimeout>
  private readonly joinTimers: Array<ReturnType<typeof setTimeout>> = []
  /** The interval announced in the latest beat, and kept until the next */
  private current: number
  /** The latest beat of each peer as its author signed it on the topic, to hand on to newcomers */
  private readonly signed = new Map<string, SignedBeat>()
  private pulls = 0
  private checkTimer?: ReturnType<typeof setInterval>
  /** Neighbours owed a hello, and when each was last sent one */
  private readonly helloQueue = new Set<string>()
  private readonly helloSent = new Map<string, number>()
  private hellosInFlight = 0
  private readonly pending = new Set<string>()
  private shutdown?: AbortController

  constructor (components: HeartbeatComponents, init: HeartbeatInit) {
    super()
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('overmind:heartbeat')
    this.topic = heartbeatTopic(init.mesh)
    this.helloProtocol = heartbeatHelloProtocol(init.mesh)
    this.peersProtocol = heartbeatPeersProtocol(init.mesh)
    this.interval = init.interval ?? DEFAULT_INTERVAL
    this.stretchAbove = init.stretchAbove ?? DEFAULT_STRETCH_ABOVE
    this.current = this.interval
    this.staleAfter = init.staleAfter ?? DEFAULT_STALE_AFTER
    this.goneAfter = init.goneAfter ?? DEFAULT_GONE_AFTER
    this.pingTimeout = init.pingTimeout ?? DEFAULT_PING_TIMEOUT
    this.now = init.now ?? Date.now
    this.startedAt = this.now()
    this.clock = init.clock ?? new HybridLogicalClock()
    this.table = new PeerTable({
      staleAfter: this.staleAfter,
      goneAfter: this.goneAfter,
      forgetAfter: init.forgetAfter ?? DEFAULT_FORGET_AFTER
    })
    this.validate = this.validate.bind(this)
    this.onMessage = this.onMessage.bind(this)
    this.onSubscriptionChange = this.onSubscriptionChange.bind(this)
    this.onHello = this.onHello.bind(this)
    this.onPeers = this.onPeers.bind(this)
  }

  readonly [Symbol.toStringTag] = '@overmind/heartbeat'

  readonly [serviceDependencies]: string[] = [
    '@libp2p/pubsub',
    '@libp2p/ping'
  ]

  isStarted (): boolean {
    return this.started
  }

  async start (): Promise<void> {
    const { pubsub } = this.components
    this.shutdown = new AbortController()
    this.pulls = 0
    pubsub.topicValidators.set(this.topic, this.validate)
    pubsub.addEventListener('message', this.onMessage)
    pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
    await this.components.registrar.handle(this.helloProtocol, this.onHello, {
      maxInboundStreams: 2,
      maxOutboundStreams: 2,
      runOnLimitedConnection: true
    })
    await this.components.registrar.handle(this.peersProtocol, this.onPeers, {
      maxInboundStreams: 2,
      maxOutboundStreams: 2,
      runOnLimitedConnection: true
    })
    this.started = true
  }

  /**
   * Subscribes once pubsub runs (services start in parallel), and beats
   * start once the node listens, so the first beat carries addresses
   */
  afterStart (): void {
    this.components.pubsub.subscribe(this.topic)
    // a random phase keeps nodes started together from beating together:
    // one burst of a whole mesh's beats at once would stall every receiver
    this.phaseTimer = setTimeout(() => { this.beatAndSchedule() }, Math.floor(Math.random() * this.interval))
    for (const at of JOIN_BEATS) {
      const delay = Math.round(at * (0.5 + Math.random()))
      if (delay < this.interval / 2) {
        this.joinTimers.push(setTimeout(() => { void this.beat() }, delay))
      }
    }
    this.checkTimer = setInterval(() => { this.checkStatuses() }, Math.min(Math.max(this.interval / 4, 50), 5_000))
    this.tick()
  }

  async stop (): Promise<void> {
    const { pubsub } = this.components
    clearTimeout(this.phaseTimer)
    clearTimeout(this.beatTimer)
    this.joinTimers.forEach(timer => { clearTimeout(timer) })
    this.joinTimers.length = 0
    clearInterval(this.checkTimer)
    this.helloQueue.clear()
    this.shutdown?.abort()
    await this.components.registrar.unhandle(this.helloProtocol)
    await this.components.registrar.unhandle(this.peersProtocol)
    pubsub.removeEventListener('message', this.onMessage)
    pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
    if (pubsub.topicValidators.get(this.topic) === this.validate) {
      pubsub.topicValidators.delete(this.topic)
    }
    try {
      pubsub.unsubscribe(this.topic)
    } catch (err) {
      this.log.trace('could not unsubscribe - %e', err)
    }
    this.started = false
  }

  peers (): PeerEntry[] {
    // one pass over the connections instead of a peer id parse per row
    const connected = new Set<string>()
    for (const connection of this.components.connectionManager.getConnections()) {
      if (connection.status === 'open') {
        connected.add(connection.remotePeer.toString())
      }
    }
    return this.table.entries(this.now(), id => connected.has(id))
  }

  getPeer (peerId: PeerId | string): PeerEntry | undefined {
    return this.table.get(peerId.toString(), this.now(), id => this.isConnected(id))
  }

  getStats (): HeartbeatStats {
    return { sent: this.stats.sent, received: this.stats.received, pulled: this.stats.pulled, rejected: { ...this.stats.rejected } }
  }

  get currentInterval (): number {
    return this.current
  }

  async beat (): Promise<void> {
    if (!this.started) {
      return
    }
    const data = this.encodeBeat()
    try {
      await this.components.pubsub.publish(this.topic, data)
      this.stats.sent++
    } catch (err) {
      // no subscribed peer yet: the next beat will try again
      this.log.trace('heartbeat not published - %e', err)
    }
  }

  /** This node's beat as it is now, with the next sequence number */
  private encodeBeat (): Uint8Array {
    const report: LocalReport = { ...this.agentReport(), ...this.init.report?.() }
    const hlc = this.clock.now()
    const self = this.components.peerId
    const addresses = this.components.addressManager.getAddresses()
      .map(ma => ma.decapsulateCode(P2P_CODE))
      .slice(0, 32)
    this.seq++
    const beat: Heartbeat = {
      nodeId: self.toMultihash().bytes,
      mesh: this.init.mesh,
      addresses: addresses.map(ma => ma.bytes),
      agents: report.agents ?? [],
      load: report.load ?? defaultLoad(),
      queueDepth: report.queueDepth ?? 0,
      freeSlots: report.freeSlots ?? 0,
      version: this.init.version ?? 'overmind',
      name: this.init.name ?? '',
      links: this.links(),
      memoryChunks: BigInt(Math.max(0, Math.floor(report.memoryChunks ?? 0))),
      replicationLagMs: Math.max(0, Math.min(0xffffffff, Math.round(report.replicationLagMs ?? 0))),
      stun: (report.stun ?? []).slice(0, HEARTBEAT_LIMITS.stun).map(ma => ma.bytes),
      hlcWallTime: BigInt(hlc.wallTime),
      hlcLogical: hlc.logical,
      seq: BigInt(this.seq),
      startedAt: BigInt(this.startedAt),
      intervalMs: this.current
    }
    let bytes = Heartbeat.encode(beat)
    // a node with many described agents would send a beat receivers refuse:
    // links go first, then descriptions, then skills, then agents from the end of the list
    if (bytes.byteLength > MAX_HEARTBEAT_SIZE) {
      beat.links = []
      bytes = Heartbeat.encode(beat)
    }
    if (bytes.byteLength > MAX_HEARTBEAT_SIZE) {
      beat.agents = beat.agents.map(a => ({ ...a, description: '' }))
      bytes = Heartbeat.encode(beat)
    }
    if (bytes.byteLength > MAX_HEARTBEAT_SIZE) {
      beat.agents = beat.agents.map(a => ({ ...a, skills: [] }))
      bytes = Heartbeat.encode(beat)
    }
    while (bytes.byteLength > MAX_HEARTBEAT_SIZE && beat.agents.length > 0) {
      beat.agents = beat.agents.slice(0, Math.floor(beat.agents.length * 0.9))
      bytes = Heartbeat.encode(beat)
    }
    return bytes
  }

  /** Peers this node has an open connection to, at most 32, as multihash bytes */
  private links (): Array<Uint8Array<ArrayBuffer>> {
    const peers = new Map<string, PeerId>()
    for (const connection of this.components.connectionManager.getConnections()) {
      if (connection.status === 'open') peers.set(connection.remotePeer.toString(), connection.remotePeer)
      if (peers.size === 32) break
    }
    return [...peers.values()].map(p => new Uint8Array(p.toMultihash().bytes))
  }

  /** The agents and load of the node's run-agent service, if it runs one */
  private agentReport (): LocalReport {
    try {
      return this.components.runAgent?.report() ?? {}
    } catch {
      // libp2p's components say so by throwing when a service is absent
      return {}
    }
  }

  /**
   * The interval for the next beat: the configured one, stretched in
   * proportion to the members this node knows beyond `stretchAbove`
   */
  private nextInterval (): number {
    if (this.stretchAbove <= 0) {
      return this.interval
    }
    const members = 1 + this.table.live(this.now())
    if (members <= this.stretchAbove) {
      return this.interval
    }
    return Math.min(MAX_INTERVAL, Math.ceil(this.interval * members / this.stretchAbove))
  }

  private beatAndSchedule (): void {
    this.tick()
    this.beatTimer = setTimeout(() => { this.beatAndSchedule() }, this.current)
  }

  private tick (): void {
    this.current = this.nextInterval()
    void this.beat()
    this.collectRtts()
    for (const peerId of this.table.prune(this.now())) {
      this.lastStatus.delete(peerId)
      this.signed.delete(peerId)
    }
    for (const [peer, at] of this.helloSent) {
      if (this.now() - at >= this.interval / 4) this.helloSent.delete(peer)
    }
  }

  private validate (_from: PeerId, msg: Message): TopicValidatorResult {
    if (msg.type !== 'signed') {
      return this.reject('unsigned', 'heartbeat is not signed')
    }
    const checked = this.check(msg.data, msg.from)
    if (checked == null) {
      return TopicValidatorResult.Reject
    }
    validated.set(msg, checked)
    return TopicValidatorResult.Accept
  }

  /** Checks a beat of `author` and advances the clock by it; undefined (counted and logged) when it is refused */
  private check (data: Uint8Array, author: PeerId): { beat: Heartbeat, addresses: string[] } | undefined {
    try {
      const { beat, addresses } = validateHeartbeat(data, author, this.init.mesh)
      this.clock.update({ wallTime: Number(beat.hlcWallTime), logical: beat.hlcLogical })
      return { beat, addresses: addresses.map(ma => ma.toString()) }
    } catch (err: any) {
      this.refuse(err, author)
      return undefined
    }
  }

  /** Counts and logs why a beat of `author` was refused */
  private refuse (err: any, author?: PeerId): void {
    if (err instanceof InvalidHeartbeatError) {
      this.reject(err.reason, err.message, author)
    } else if (err.name === ClockDriftError.name) {
      this.reject('clock-drift', err.message, author)
    } else {
      this.reject('malformed', err.message, author)
    }
  }

  private reject (reason: RejectReason, message: string, author?: PeerId): TopicValidatorResult {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1
    this.log('rejected heartbeat from %s: %s', author?.toString() ?? 'unknown peer', message)
    this.safeDispatchEvent('heartbeat:rejected', { detail: { reason, message, from: author?.toString() } })
    return TopicValidatorResult.Reject
  }

  private onMessage (evt: CustomEvent<Message>): void {
    const msg = evt.detail
    if (msg.topic !== this.topic || msg.type !== 'signed') {
      return
    }
    const checked = validated.get(msg)
    if (checked == null) {
      return
    }
    const receivedAt = this.now()
    if (this.receive(msg.from, checked, receivedAt)) {
      this.signed.set(msg.from.toString(), signedBeat(msg, receivedAt))
    }
  }

  /** Records a checked beat of `from`, whichever way it came; false when it was not newer than what is recorded */
  private receive (from: PeerId, checked: { beat: Heartbeat, addresses: string[] }, receivedAt = this.now()): boolean {
    const peerId = from.toString()
    const fresh = this.table.record({ peerId, beat: checked.beat, addresses: checked.addresses, receivedAt })
    if (!fresh) {
      return false
    }
    this.stats.received++
    const entry = this.getPeer(peerId)
    if (entry != null) {
      this.safeDispatchEvent('heartbeat', { detail: entry })
      this.noteStatus(entry)
      // libp2p's ping opens its stream on a connection that is not limited, and
      // dials the peer when there is none: a peer reached only through a relay
      // would be dialled at its announced addresses on every beat, beside DCUtR,
      // in vain when they are behind a NAT. The connection monitor measures the
      // relayed link itself.
      if (entry.rtt == null && this.isConnected(peerId, true)) {
        void this.pingOnce(peerId)
      }
    }
    return true
  }

  /**
   * A neighbour that subscribes gets this node's beat at once, on a stream
   * of its own (a hello), instead of at the next interval. The beat goes to
   * that neighbour only: a beat published to the topic would cost every
   * member of the mesh a delivery for each newcomer, and a mesh that forms
   * has newcomers all the time. A neighbour gets at most one hello per
   * quarter interval.
   */
  private onSubscriptionChange (evt: CustomEvent<{ peerId: PeerId, subscriptions: Array<{ topic: string, subscribe: boolean }> }>): void {
    if (!evt.detail.subscriptions.some(s => s.topic === this.topic && s.subscribe)) {
      return
    }
    const peer = evt.detail.peerId.toString()
    if (this.pulls < PULLS_PER_START) {
      this.pulls++
      this.pullPeers(peer).catch(err => {
        this.pulls--
        this.log('peers pull from %s failed - %e', peer, err)
      })
    }
    if (this.now() - (this.helloSent.get(peer) ?? -Infinity) < this.interval / 4) {
      return
    }
    this.helloQueue.add(peer)
    this.sendHellos()
  }

  private sendHellos (): void {
    while (this.started && this.hellosInFlight < HELLO_CONCURRENCY && this.helloQueue.size > 0) {
      const peer = this.helloQueue.values().next().value as string
      this.helloQueue.delete(peer)
      this.helloSent.set(peer, this.now())
      this.hellosInFlight++
      this.sayHello(peer)
        .catch(err => { this.log.trace('hello to %s failed - %e', peer, err) })
        .finally(() => {
          this.hellosInFlight--
          this.sendHellos()
        })
    }
  }

  private async sayHello (peer: string): Promise<void> {
    const connection = this.components.connectionManager.getConnections(peerIdFromString(peer)).find(c => c.status === 'open')
    if (connection == null || this.shutdown == null) {
      return
    }
    const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(HELLO_TIMEOUT)])
    const stream = await connection.newStream(this.helloProtocol, { signal, runOnLimitedConnection: true })
    try {
      await lpStream(stream, lengthPrefixed(MAX_HEARTBEAT_SIZE)).write(this.encodeBeat(), { signal })
      await stream.close({ signal })
      this.stats.sent++
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }

  /** A neighbour's hello: its beat, vouched for by the connection itself */
  private onHello (stream: Stream, connection: Connection): void {
    void (async () => {
      const signal = AbortSignal.any([this.shutdown?.signal ?? AbortSignal.abort(), AbortSignal.timeout(HELLO_TIMEOUT)])
      try {
        const data = await lpStream(stream, lengthPrefixed(MAX_HEARTBEAT_SIZE)).read({ signal })
        await stream.close({ signal }).catch(() => {})
        const checked = this.check(data.subarray(), connection.remotePeer)
        if (checked != null) {
          this.receive(connection.remotePeer, checked)
        }
      } catch (err: any) {
        this.log('hello from %s failed - %e', connection.remotePeer.toString(), err)
        stream.abort(err)
      }
    })()
  }

  /**
   * Takes a neighbour's latest signed beat of each member it knows, so a
   * node that starts lists the mesh at once instead of over an interval.
   * Each beat is checked as if it came from the topic, its author's
   * signature included; the first one refused ends the pull.
   */
  private async pullPeers (peer: string): Promise<void> {
    const connection = this.components.connectionManager.getConnections(peerIdFromString(peer)).find(c => c.status === 'open')
    if (connection == null || this.shutdown == null) {
      throw new Error('no open connection')
    }
    const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(PULL_TIMEOUT)])
    const stream = await connection.newStream(this.peersProtocol, { signal, runOnLimitedConnection: true })
    let answer: PeerBeats
    try {
      const bytes = await lpStream(stream, lengthPrefixed(MAX_PEER_BEATS_SIZE)).read({ signal })
      await stream.close({ signal }).catch(() => {})
      answer = PeerBeats.decode(bytes, { limits: PEER_BEATS_LIMITS })
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
    const now = this.now()
    let recorded = 0
    for (const [i, relayed] of answer.beats.entries()) {
      // a signature check is ~0.1 ms: the beats of a large mesh are checked
      // in slices, with the node's timers and streams served in between
      if (i > 0 && i % PULL_SLICE === 0) await new Promise(resolve => setImmediate(resolve))
      if (signal.aborted) break
      try {
        if (await this.receiveRelayed(relayed, now)) recorded++
      } catch (err: any) {
        this.refuse(err, connection.remotePeer)
        break
      }
    }
    this.stats.pulled += recorded
    this.log('pulled %d of %d beats from %s', recorded, answer.beats.length, peer)
  }

  /** Records a beat a neighbour handed on, once checked; false when it tells nothing new */
  private async receiveRelayed (relayed: RelayedBeat, now: number): Promise<boolean> {
    const { author, key } = relayedAuthor(relayed)
    if (author.equals(this.components.peerId)) {
      return false
    }
    // the cheap checks first: a beat already known costs no signature check
    const { beat, addresses } = validateHeartbeat(relayed.data, author, this.init.mesh)
    if (!this.table.isNewer(author.toString(), beat)) {
      return false
    }
    await verifyRelayedSignature(relayed, key, this.topic)
    this.clock.update({ wallTime: Number(beat.hlcWallTime), logical: beat.hlcLogical })
    // as old as the neighbour says, and never newer than its author stamped it
    const receivedAt = Math.min(now - relayed.ageMs, Number(beat.hlcWallTime))
    const checked = { beat, addresses: addresses.map(ma => ma.toString()) }
    if (!this.receive(author, checked, receivedAt)) {
      return false
    }
    const { ageMs: _, ...signed } = relayed
    this.signed.set(author.toString(), { ...signed, receivedAt })
    return true
  }

  /** A neighbour's peers pull: the latest signed beat of each member not gone, most recent first */
  private onPeers (stream: Stream, connection: Connection): void {
    void (async () => {
      const signal = AbortSignal.any([this.shutdown?.signal ?? AbortSignal.abort(), AbortSignal.timeout(PULL_TIMEOUT)])
      try {
        const now = this.now()
        const requester = connection.remotePeer.toString()
        const beats: RelayedBeat[] = []
        let bytes = 0
        const candidates = [...this.signed.entries()].sort((a, b) => b[1].receivedAt - a[1].receivedAt)
        for (const [peerId, { receivedAt, ...signed }] of candidates) {
          if (peerId === requester || this.table.get(peerId, now, () => false)?.status === 'gone') continue
          // a field's tag, length and the beat's own fields: well over what each adds
          const size = signed.data.byteLength + signed.signature.byteLength + (signed.key?.byteLength ?? 0) + 96
          if (beats.length === MAX_PEER_BEATS || bytes + size > MAX_PEER_BEATS_SIZE) break
          beats.push({ ...signed, ageMs: Math.max(0, Math.min(now - receivedAt, 0xffffffff)) })
          bytes += size
        }
        await lpStream(stream, lengthPrefixed(MAX_PEER_BEATS_SIZE)).write(PeerBeats.encode({ beats }), { signal })
        await stream.close({ signal })
      } catch (err: any) {
        this.log('peers pull of %s failed - %e', connection.remotePeer.toString(), err)
        stream.abort(err)
      }
    })()
  }

  private checkStatuses (): void {
    for (const entry of this.peers()) {
      this.noteStatus(entry)
    }
  }

  private noteStatus (entry: PeerEntry): void {
    const previous = this.lastStatus.get(entry.peerId)
    if (previous === entry.status) {
      return
    }
    this.lastStatus.set(entry.peerId, entry.status)
    this.log('peer %s is %s', entry.peerId, entry.status)
    this.safeDispatchEvent('peer:status', { detail: { peer: entry, previous } })
  }

  /** Whether a connection to the peer is open; `unlimited`: one that is not limited (relayed) */
  private isConnected (peerId: string, unlimited = false): boolean {
    try {
      return this.components.connectionManager.getConnections(peerIdFromString(peerId)).some(c => c.status === 'open' && (!unlimited || c.limits == null))
    } catch {
      return false
    }
  }

  /**
   * Pings a newly seen peer once, so its RTT shows at once; after that the
   * RTT comes from libp2p's connection monitor, which pings every connection
   * periodically anyway, a relayed one as well (on the link itself)
   */
  private async pingOnce (peerId: string): Promise<void> {
    const signal = this.shutdown?.signal
    if (signal == null || signal.aborted || this.pending.has(peerId)) {
      return
    }
    this.pending.add(peerId)
    try {
      const rtt = await this.components.ping.ping(peerIdFromString(peerId), {
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.pingTimeout)])
      })
      this.table.recordRtt(peerId, rtt)
    } catch (err) {
      this.log.trace('ping %s failed - %e', peerId, err)
    } finally {
      this.pending.delete(peerId)
    }
  }

  /** Takes the RTTs libp2p's connection monitor measured on open connections */
  private collectRtts (): void {
    for (const connection of this.components.connectionManager.getConnections()) {
      if (connection.status === 'open' && connection.rtt != null && Number.isFinite(connection.rtt)) {
        this.table.recordRtt(connection.remotePeer.toString(), connection.rtt)
      }
    }
  }
}

const validated = new WeakMap<Message, { beat: Heartbeat, addresses: string[] }>()

function defaultLoad (): number {
  return Math.round(loadavg()[0] / availableParallelism() * 100) / 100
}
