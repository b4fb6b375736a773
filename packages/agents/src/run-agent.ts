import { ProtocolError, TypedEventEmitter, setMaxListeners } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { pbStream, repeatingTask } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import {
  MAX_RUN_INPUT_SIZE, MAX_RUN_KEY_LENGTH, MAX_RUN_MESSAGE_SIZE, MAX_RUN_PROGRESS_LENGTH, MAX_RUN_REQUEST_SIZE, MAX_RUN_TIMEOUT, RUN_REQUEST_ID_LENGTH,
  RunCancel, RunMessage, RunRequest, RunStatus, lengthPrefixed, linkKind, linkTakenOver, openStream
} from '@overmind/protocols'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { equals as uint8ArrayEquals } from 'uint8arrays/equals'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import {
  CANCEL_TIMEOUT, DEFAULT_LOOKUP_TIMEOUT, DEFAULT_MAX_QUEUE, DEFAULT_MAX_QUEUE_PER_CALLER, DEFAULT_PROVIDE_INTERVAL, PROVIDE_TIMEOUT,
  FIRST_PROVIDE_DELAYS, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, MAX_PROVIDERS, REQUEST_READ_TIMEOUT, RUN_PROTOCOL
} from './constants.js'
import { HostFailedError, InvalidRunError, RunCancelledError, reasonText } from './errors.js'
import { AgentHost } from './host.js'
import { RunQueue } from './queue.js'
import { TaskBoard } from './tasks.js'
import { AgentRouter } from './router.js'
import type { RunAgentComponents, RunAgentEvents, RunAgentInit, RunAgentService, MeshAgent, RunRecord } from './index.js'
import type { HostAdmission, HostedAgent, RunEnd } from './host.js'
import type { QueuedRun } from './queue.js'
import type { CallOutcome, CallRequest, Candidate, RouteOptions, RunOutcome, RunTarget } from './router.js'
import type { Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import type { RepeatingTask } from '@libp2p/utils'
import type { HeartbeatService, LocalReport } from '@overmind/heartbeat'

const REASONS = new Set(['unknown-agent', 'not-exposed', 'bad-request', 'shutting-down'])

/** Requests of one run to one host: a second when the link of the first closed before the host answered */
const LINK_ATTEMPTS = 2

/**
 * The one message a caller may send once its request is read: a RunCancel,
 * which has field 1 only. A RunRequest shares that field, so a message with
 * any other one (a second request) is out of order.
 */
const CancelOnly = {
  decode (data: Parameters<typeof RunCancel.decode>[0]): RunCancel {
    const bytes = data instanceof Uint8Array ? data : data.subarray()
    const cancel = RunCancel.decode(bytes)
    if (!uint8ArrayEquals(RunCancel.encode(cancel), bytes)) throw new ProtocolError('the caller sent a message other than RunCancel after its request')
    return cancel
  }
}

/**
 * Hosts this node's agents on `/overmind/run-agent/1.0.0`, advertises them
 * (heartbeat report, DHT provider records) and routes runs to the agents of
 * the mesh.
 */
export class RunAgent extends TypedEventEmitter<RunAgentEvents> implements RunAgentService, Startable {
  readonly protocol = RUN_PROTOCOL
  readonly host: AgentHost
  readonly tasks: TaskBoard
  readonly router: AgentRouter
  private readonly queue: RunQueue
  private readonly components: RunAgentComponents
  private readonly init: RunAgentInit
  private readonly log: Logger
  private shutdown = new AbortController()
  private readonly active = new Map<string, RunRecord>()
  private readonly recent: RunRecord[] = []
  private readonly firstProvides: Array<ReturnType<typeof setTimeout>> = []
  private readonly reprovide: RepeatingTask
  private started = false

  constructor (components: RunAgentComponents, init: RunAgentInit) {
    super()
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('overmind:run-agent')
    this.reprovide = repeatingTask(async options => { await this.provide(options) }, init.provideInterval ?? DEFAULT_PROVIDE_INTERVAL, { timeout: PROVIDE_TIMEOUT })
    this.tasks = init.tasks ?? new TaskBoard({ log: components.logger.forComponent('overmind:run-agent:tasks') })
    this.host = new AgentHost(init.agents ?? [], {
      maxQueue: init.maxQueue ?? DEFAULT_MAX_QUEUE,
      maxQueuePerCaller: init.maxQueuePerCaller ?? DEFAULT_MAX_QUEUE_PER_CALLER
    })
    this.router = new AgentRouter({
      self: components.peerId.toString(),
      known: target => this.known(target),
      lookup: async (target, signal) => await this.lookup(target, signal),
      call: async (peer, request) => await this.call(peer, request)
    }, { deadline: init.deadline, retries: init.retries, breaker: init.breaker })
    this.queue = new RunQueue({
      datastore: components.datastore,
      log: this.log,
      deadline: init.deadline,
      reachable: target => this.router.known(target).length > 0,
      onChange: run => { this.safeDispatchEvent('run:queued', { detail: run }) },
      run: async (target, input, options) => {
        const decoder = new TextDecoder()
        let output = ''
        const outcome = await this.run(target, input, { ...options, onOutput: data => { output += decoder.decode(data, { stream: true }) } })
        return { ...outcome, output: output + decoder.decode() }
      }
    })
  }

  readonly [Symbol.toStringTag] = '@overmind/run-agent'

  async start (): Promise<void> {
    this.shutdown = new AbortController()
    setMaxListeners(Infinity, this.shutdown.signal)
    this.host.start()
    await this.tasks.start(this.components.datastore)
    await this.components.registrar.handle(this.protocol, (stream, connection) => {
      this.serve(stream, connection).catch(err => {
        this.log('serving a run for %s failed - %e', connection.remotePeer.toString(), err)
        stream.abort(err)
      })
    }, {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      maxOutboundStreams: MAX_OUTBOUND_STREAMS,
      runOnLimitedConnection: true
    })
    this.started = true
  }

  afterStart (): void {
    this.queue.start().catch(err => { this.log.error('could not read the runs kept for absent hosts - %e', err) })
    if (this.exposed().length === 0) return
    for (const delay of FIRST_PROVIDE_DELAYS) {
      this.firstProvides.push(setTimeout(() => { void this.provide() }, delay))
    }
    this.reprovide.start()
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    for (const timer of this.firstProvides.splice(0)) clearTimeout(timer)
    this.reprovide.stop()
    this.queue.stop()
    this.host.stop()
    this.tasks.stop()
    this.shutdown.abort(new RunCancelledError('the node is stopping'))
    await this.components.registrar.unhandle(this.protocol)
  }

  isStarted (): boolean {
    return this.started
  }

  async run (target: string | RunTarget, input: Uint8Array, options: RouteOptions = {}): Promise<RunOutcome> {
    checkInput(input)
    if (typeof target !== 'string' && target.skill != null) checkName('skill', target.skill)
    const signal = options.signal == null ? this.shutdown.signal : AbortSignal.any([options.signal, this.shutdown.signal])
    return await this.router.run(target, input, { ...options, signal })
  }

  async enqueue (target: string | RunTarget, input: Uint8Array, options: { ttl: number, callerAgent?: string }): Promise<QueuedRun> {
    checkInput(input)
    const wanted = typeof target === 'string' ? { agent: target } : target
    if (wanted.skill != null) checkName('skill', wanted.skill)
    return await this.queue.enqueue(wanted, input, options)
  }

  queued (): QueuedRun[]
  queued (id: string): QueuedRun | undefined
  queued (id?: string): QueuedRun[] | QueuedRun | undefined {
    return id == null ? this.queue.list() : this.queue.get(id)
  }

  /** What this node tells the mesh in its heartbeat */
  report (): LocalReport {
    let queueDepth = 0
    let freeSlots = 0
    const agents = this.exposed().map(agent => {
      const queued = this.host.load(agent.name)?.queued ?? 0
      const free = this.host.freeSlots(agent.name)
      queueDepth += queued
      freeSlots += free
      return {
        name: agent.name,
        version: agent.version ?? '',
        capabilities: agent.capabilities ?? [],
        description: truncateUtf8(agent.description ?? '', 256),
        skills: agent.skills ?? [],
        concurrency: agent.concurrency,
        freeSlots: free,
        queueDepth: queued
      }
    })
    return { agents, queueDepth, freeSlots }
  }

  /** Every agent this node knows of: its own and those in peers' heartbeats */
  agents (): MeshAgent[] {
    const self = this.components.peerId.toString()
    const list: MeshAgent[] = this.host.list().map(agent => {
      return {
        name: agent.name,
        host: self,
        self: true,
        expose: agent.expose,
        version: agent.version ?? '',
        capabilities: agent.capabilities ?? [],
        description: agent.description ?? '',
        skills: agent.skills ?? [],
        concurrency: agent.concurrency,
        freeSlots: this.host.freeSlots(agent.name),
        queueDepth: this.host.load(agent.name)?.queued ?? 0,
        status: 'self'
      }
    })
    for (const peer of this.heartbeat()?.peers() ?? []) {
      for (const advert of peer.agents) {
        list.push({
          name: advert.name,
          host: peer.peerId,
          self: false,
          expose: 'mesh',
          version: advert.version,
          capabilities: advert.capabilities,
          description: advert.description,
          skills: advert.skills,
          concurrency: advert.concurrency,
          freeSlots: advert.freeSlots,
          queueDepth: advert.queueDepth,
          load: peer.load,
          rtt: peer.rtt,
          status: peer.status
        })
      }
    }
    return list.sort((a, b) => a.name.localeCompare(b.name) || Number(b.self) - Number(a.self) || a.host.localeCompare(b.host))
  }

  /** Runs in progress on this node, as host or caller, and the latest finished ones */
  runs (): { active: RunRecord[], recent: RunRecord[] } {
    return { active: [...this.active.values()], recent: [...this.recent] }
  }

  /** Hosts of `agent` found in DHT provider records */
  async providers (agent: string, options: { signal?: AbortSignal } = {}): Promise<string[]> {
    return (await this.lookup({ agent }, options.signal ?? this.shutdown.signal)).map(c => c.peer)
  }

  /** Publishes a provider record for each agent this node offers the mesh, and for each of their skills */
  async provide (options: { signal?: AbortSignal } = {}): Promise<void> {
    const signal = AbortSignal.any([this.shutdown.signal, options.signal ?? AbortSignal.timeout(PROVIDE_TIMEOUT)])
    const exposed = this.exposed()
    const keys = [
      ...exposed.map(agent => ({ what: agent.name, cid: agentCid(this.init.mesh, agent.name) })),
      ...[...new Set(exposed.flatMap(agent => agent.skills ?? []))].map(skill => ({ what: `skill ${skill}`, cid: skillCid(this.init.mesh, skill) }))
    ]
    for (const { what, cid } of keys) {
      try {
        await this.components.contentRouting.provide(await cid, { signal })
        this.log.trace('provided %s', what)
      } catch (err: any) {
        this.log('could not publish a provider record for %s - %s', what, err.message)
      }
    }
  }

  /** This node's agent with a skill (for other nodes: offered to the mesh): the one with the most free slots, then the first by name */
  private withSkill (skill: string, remote: boolean): HostedAgent | undefined {
    return (remote ? this.exposed() : this.host.list())
      .filter(agent => agent.skills?.includes(skill) === true)
      .sort((a, b) => this.host.freeSlots(b.name) - this.host.freeSlots(a.name) || a.name.localeCompare(b.name))[0]
  }

  private exposed (): HostedAgent[] {
    return this.host.list().filter(agent => agent.expose === 'mesh')
  }

  private heartbeat (): HeartbeatService | undefined {
    try {
      return this.components.heartbeat
    } catch {
      return undefined
    }
  }

  /** Hosts of the agent, or of every agent with the skill: this node's (any of its agents), and peers' from their heartbeats */
  private known (target: RunTarget): Candidate[] {
    const found: Candidate[] = []
    const serves = (name: string, skills: string[] | undefined): boolean => target.agent != null ? name === target.agent : skills?.includes(target.skill) === true
    for (const agent of this.host.list()) {
      if (!serves(agent.name, agent.skills)) continue
      found.push({ peer: this.components.peerId.toString(), agent: agent.name, source: 'local', freeSlots: this.host.freeSlots(agent.name), queueDepth: this.host.load(agent.name)?.queued ?? 0 })
    }
    for (const peer of this.heartbeat()?.peers() ?? []) {
      if (peer.status !== 'connected' && peer.status !== 'alive') continue
      for (const advert of peer.agents) {
        if (!serves(advert.name, advert.skills)) continue
        found.push({ peer: peer.peerId, agent: advert.name, source: 'heartbeat', freeSlots: advert.freeSlots, queueDepth: advert.queueDepth, rtt: peer.rtt })
      }
    }
    return found
  }

  private async lookup (target: RunTarget, signal: AbortSignal): Promise<Candidate[]> {
    const what = target.agent ?? `skill ${target.skill}`
    const timeout = AbortSignal.timeout(this.init.lookupTimeout ?? DEFAULT_LOOKUP_TIMEOUT)
    const lookupSignal = AbortSignal.any([signal, timeout])
    const self = this.components.peerId
    const found: Candidate[] = []
    try {
      // libp2p's content routing stores the providers' addresses and yields each once
      const cid = target.agent != null ? agentCid(this.init.mesh, target.agent) : skillCid(this.init.mesh, target.skill)
      for await (const provider of this.components.contentRouting.findProviders(await cid, { signal: lookupSignal })) {
        if (provider.id.equals(self)) continue
        found.push({ peer: provider.id.toString(), source: 'dht', ...(target.agent != null ? { agent: target.agent } : {}) })
        if (found.length >= MAX_PROVIDERS) break
      }
    } catch (err: any) {
      // what was found before the lookup ended is still worth trying
      if (signal.aborted) throw err
      this.log('provider lookup for %s ended - %s', what, err.message)
    }
    return found
  }

  /** One run on one host: this node through the scheduler, or a peer over a stream */
  private async call (peer: string, request: CallRequest): Promise<CallOutcome> {
    if (peer === this.components.peerId.toString()) {
      const admission = this.host.admit({
        agent: request.agent !== '' ? request.agent : this.withSkill(request.skill ?? '', false)?.name ?? '',
        input: request.input,
        caller: `${peer}/${request.callerAgent}`,
        callerAgent: request.callerAgent,
        remote: false,
        timeout: request.timeout,
        signal: request.signal,
        key: request.key == null || request.key === '' ? undefined : `${peer}\n${request.key}`,
        onProgress: request.onProgress
      })
      return await this.track(peer, request, async record => await this.drain(admission, request, record))
    }
    return await this.track(peer, request, async record => await this.callRemote(peerIdFromString(peer), request, record))
  }

  private async drain (admission: HostAdmission, request: CallRequest, record: RunRecord): Promise<CallOutcome> {
    if (admission.status !== 'accepted') return admission.status === 'busy' ? admission : { status: 'refused', reason: admission.reason, message: admission.message }
    record.state = 'accepted'
    for (;;) {
      const next = await admission.frames.next()
      if (next.done === true) return { status: 'done', end: next.value }
      record.frames++
      await request.onOutput(next.value)
    }
  }

  /**
   * A run on a peer. When the link the request went on closes before the
   * host answered, the request is sent once more on the link open then: a
   * relayed link that DCUtR replaces by a direct one is closed by the side
   * that upgraded it, with the streams it carries. Without an answer the
   * host has not taken the run, or dropped it with the stream.
   */
  private async callRemote (peer: PeerId, request: CallRequest, record: RunRecord): Promise<CallOutcome> {
    for (let attempt = 1; ; attempt++) {
      const used: { link?: Connection } = {}
      try {
        return await this.callOnce(peer, request, record, used)
      } catch (err: any) {
        if (attempt >= LINK_ATTEMPTS || record.state !== 'asked' || request.signal.aborted || used.link == null) throw err
        if (!(await linkTakenOver(() => this.components.connectionManager.getConnections(peer), used.link, err, request.signal))) throw err
        this.log('the link to %p (%s) closed before the host answered - %s; asking again on the link open now', peer, linkKind(used.link), err.message)
      }
    }
  }

  private async callOnce (peer: PeerId, request: CallRequest, record: RunRecord, used: { link?: Connection }): Promise<CallOutcome> {
    const { signal } = request
    const known = this.heartbeat()?.getPeer(peer)
    if (known != null && this.components.connectionManager.getConnections(peer).length === 0 && known.addresses.length > 0) {
      // a host known from gossip only: its heartbeat says where to dial it
      await this.components.peerStore.merge(peer, { multiaddrs: known.addresses.map(a => multiaddr(a)) }).catch(() => {})
    }
    // on the best open connection (direct, hole-punched, relayed): a run moves to a direct link once there is one
    const stream = await openStream(this.components.connectionManager, peer, this.protocol, { signal })
    used.link = this.components.connectionManager.getConnections(peer).find(c => c.streams.includes(stream))
    const pb = pbStream(stream, lengthPrefixed(MAX_RUN_MESSAGE_SIZE))
    let finished = false
    const giveUp = (): void => {
      if (finished) return
      // tell the host, then end the stream; a host that does not read it sees the reset
      pb.write({ reason: reasonText(signal.reason, 'cancelled') }, RunCancel, { signal: AbortSignal.timeout(CANCEL_TIMEOUT) })
        .then(async () => { await stream.close({ signal: AbortSignal.timeout(CANCEL_TIMEOUT) }) })
        .catch(() => { stream.abort(new RunCancelledError('run cancelled')) })
    }
    signal.addEventListener('abort', giveUp, { once: true })
    try {
      await pb.write({
        requestId: crypto.getRandomValues(new Uint8Array(RUN_REQUEST_ID_LENGTH)),
        agent: request.agent,
        input: request.input as Uint8Array<ArrayBuffer>,
        timeoutMs: Math.min(request.timeout, MAX_RUN_TIMEOUT),
        callerAgent: request.callerAgent,
        skill: request.agent === '' ? request.skill ?? '' : '',
        key: request.key ?? '',
        progress: request.onProgress != null
      }, RunRequest, { signal })
      const first = await pb.read(RunMessage, { signal })
      const answer = first.answer
      if (answer == null) throw new HostFailedError('the host did not answer the request first')
      if (answer.status === RunStatus.BUSY || answer.status === RunStatus.REFUSED) {
        finished = true
        await stream.close({ signal }).catch(() => { stream.abort(new Error('closing')) })
        return answer.status === RunStatus.BUSY
          ? { status: 'busy' }
          : { status: 'refused', reason: REASONS.has(answer.reason) ? answer.reason : 'bad-request', message: answer.reason }
      }
      if (answer.status !== RunStatus.ACCEPTED) throw new HostFailedError(`the host sent an unknown answer (${String(answer.status)})`)
      record.state = 'accepted'
      let seq = 0
      for (;;) {
        const msg = await pb.read(RunMessage, { signal })
        if (msg.progress != null && request.onProgress != null) {
          if (Buffer.byteLength(msg.progress.message) > MAX_RUN_PROGRESS_LENGTH) throw new HostFailedError('the host sent a progress message over its limit')
          request.onProgress(msg.progress.message)
          continue
        }
        if (msg.output != null) {
          if (msg.output.seq !== seq) throw new HostFailedError(`output frame ${msg.output.seq} arrived where ${seq} was expected`)
          seq++
          record.frames++
          await request.onOutput(msg.output.data)
          continue
        }
        if (msg.result == null) throw new HostFailedError('the host sent a message that is neither output nor result')
        const r = msg.result
        finished = true
        if (r.frames !== seq) throw new HostFailedError(`the host sent ${r.frames} frames but ${seq} arrived`)
        await stream.close({ signal }).catch(() => {})
        const end: RunEnd = { ok: r.ok, message: r.message, frames: r.frames, durationMs: r.durationMs, exitCode: r.exitCode }
        if (!r.ok) end.error = (['agent-failed', 'timeout', 'cancelled'].includes(r.error) ? r.error : 'host-error') as RunEnd['error']
        return { status: 'done', end }
      }
    } catch (err) {
      if (!signal.aborted) stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    } finally {
      signal.removeEventListener('abort', giveUp)
    }
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const caller = connection.remotePeer.toString()
    const pb = pbStream(stream, lengthPrefixed(MAX_RUN_REQUEST_SIZE))
    const request = await pb.read(RunRequest, { signal: AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(REQUEST_READ_TIMEOUT)]) })
    const answer = async (status: RunStatus, reason = '', queuePosition = 0): Promise<void> => {
      await pb.write({ answer: { status, reason, queuePosition } }, RunMessage, { signal: AbortSignal.timeout(REQUEST_READ_TIMEOUT) })
    }
    const problem = checkRequest(request)
    const key = `${caller}/${uint8ArrayToString(request.requestId, 'base16')}`
    if (problem != null || this.active.has(key)) {
      this.log('refused a run from %s: %s', caller, problem ?? 'duplicate request id')
      await answer(RunStatus.REFUSED, 'bad-request')
      await stream.close({ signal: AbortSignal.timeout(REQUEST_READ_TIMEOUT) })
      return
    }
    // a request by skill runs this node's agent with it that has the most room
    if (request.agent === '') request.agent = this.withSkill(request.skill, true)?.name ?? ''
    if (request.agent === '') {
      await answer(RunStatus.REFUSED, 'unknown-agent')
      this.safeDispatchEvent('run:answered', { detail: { caller, agent: `skill ${request.skill}`, status: 'refused', running: 0, queued: this.host.queueDepth } })
      await stream.close({ signal: AbortSignal.timeout(REQUEST_READ_TIMEOUT) })
      return
    }
    const cancel = new AbortController()
    // one message at a time on the stream: output, progress, result
    let writing = Promise.resolve()
    let ended = false
    const write = async (message: Partial<RunMessage> | (() => Partial<RunMessage> | undefined)): Promise<void> => {
      const prior = writing
      let release = (): void => {}
      writing = new Promise(resolve => { release = resolve })
      try {
        await prior
        const msg = typeof message === 'function' ? message() : message
        if (msg == null || (ended && msg.result == null)) return
        await pb.write(msg, RunMessage, { signal: msg.result != null ? AbortSignal.timeout(REQUEST_READ_TIMEOUT) : cancel.signal })
      } finally {
        release()
      }
    }
    // progress is coalesced: while earlier messages are written, only the latest waits
    let latest: string | undefined
    const onProgress = (message: string): void => {
      const waiting = latest != null
      latest = truncateUtf8(message, MAX_RUN_PROGRESS_LENGTH)
      if (waiting) return
      write(() => {
        const text = latest
        latest = undefined
        return text == null ? undefined : { progress: { message: text } }
      }).catch(() => {})
    }
    const admission = this.host.admit({
      agent: request.agent,
      input: request.input,
      caller,
      callerAgent: request.callerAgent,
      remote: true,
      timeout: request.timeoutMs,
      signal: cancel.signal,
      key: request.key === '' ? undefined : `${caller}\n${request.key}`,
      onProgress: request.progress ? onProgress : undefined
    })
    const load = { running: this.host.load(request.agent)?.running ?? 0, queued: this.host.queueDepth }
    if (admission.status !== 'accepted') {
      await answer(admission.status === 'busy' ? RunStatus.BUSY : RunStatus.REFUSED, admission.status === 'refused' ? admission.reason : '')
      this.safeDispatchEvent('run:answered', { detail: { caller, agent: request.agent, status: admission.status, ...load } })
      await stream.close({ signal: AbortSignal.timeout(REQUEST_READ_TIMEOUT) })
      return
    }
    const record = this.open(key, { role: 'host', agent: request.agent, peer: caller, callerAgent: request.callerAgent })
    record.state = 'accepted'
    // the caller keeps its side open while it waits: a cancel, its end or a reset stops the run;
    // anything else it sends (a second request) resets the stream
    void pb.read(CancelOnly, { signal: cancel.signal }).then(
      msg => { cancel.abort(new RunCancelledError(msg.reason === '' ? 'cancelled by the caller' : msg.reason)) },
      (err: Error) => {
        if (err.name === 'ProtocolError') {
          this.log('reset a run stream of %s: %s', caller, err.message)
          stream.abort(err)
        }
        cancel.abort(new RunCancelledError('the caller went away'))
      }
    )
    let end: RunEnd | undefined
    try {
      await answer(RunStatus.ACCEPTED, '', admission.position)
      this.safeDispatchEvent('run:answered', { detail: { caller, agent: request.agent, status: 'accepted', ...load } })
      let seq = 0
      for (;;) {
        const next = await admission.frames.next()
        if (next.done === true) {
          end = next.value
          break
        }
        record.frames++
        await write({ output: { seq: seq++, data: next.value as Uint8Array<ArrayBuffer> } })
      }
      ended = true
      if (stream.writeStatus !== 'writable') return
      await write({
        result: { ok: end.ok, error: end.error ?? '', message: end.message.slice(0, 1024), exitCode: end.exitCode ?? 0, frames: end.frames, durationMs: end.durationMs }
      })
      await stream.close({ signal: AbortSignal.timeout(REQUEST_READ_TIMEOUT) })
    } finally {
      ended = true
      if (end == null && cancel.signal.aborted) {
        // the caller cancelled or went away before the run ended
        record.state = 'cancelled'
        record.error = 'RunCancelledError'
        record.reason = String(cancel.signal.reason?.message ?? 'cancelled by the caller').slice(0, 1024)
      }
      if (!cancel.signal.aborted) cancel.abort(new RunCancelledError('the run ended'))
      // let the run finish its cleanup (process group killed, slot released)
      if (end == null) await admission.frames.return(undefined as any).catch(() => {})
      this.close(key, record, end)
    }
  }

  private async track (peer: string, request: CallRequest, fn: (record: RunRecord) => Promise<CallOutcome>): Promise<CallOutcome> {
    const key = `caller/${peer}/${Math.random().toString(36).slice(2)}`
    const record = this.open(key, { role: 'caller', agent: request.agent, peer, callerAgent: request.callerAgent })
    let end: RunEnd | undefined
    try {
      const outcome = await fn(record)
      if (outcome.status === 'done') end = outcome.end
      else record.state = outcome.status
      return outcome
    } catch (err: any) {
      // stopped by the caller or by the run's deadline: not a failure of the host
      const stop = request.signal.aborted ? request.signal.reason : undefined
      if (stop != null || err?.name === 'RunCancelledError' || err?.name === 'DeadlineExceededError') {
        const deadline = stop?.name === 'TimeoutError' || err?.name === 'DeadlineExceededError'
        record.state = deadline ? 'deadline' : 'cancelled'
        record.error = deadline ? 'DeadlineExceededError' : 'RunCancelledError'
        record.reason = reasonText(stop ?? err, deadline ? 'the deadline passed' : 'cancelled by the caller').slice(0, 1024)
      } else {
        record.state = 'failed'
        record.error = err?.name ?? 'Error'
        record.reason = reasonText(err, 'the call failed').slice(0, 1024)
      }
      throw err
    } finally {
      this.close(key, record, end)
    }
  }

  private open (key: string, init: Pick<RunRecord, 'role' | 'agent' | 'peer' | 'callerAgent'>): RunRecord {
    const record: RunRecord = { ...init, state: 'asked', frames: 0, startedAt: Date.now() }
    this.active.set(key, record)
    this.safeDispatchEvent('run:start', { detail: record })
    return record
  }

  private close (key: string, record: RunRecord, end?: RunEnd): void {
    this.active.delete(key)
    record.endedAt = Date.now()
    if (end != null) {
      record.state = end.ok ? 'ok' : end.error === 'cancelled' ? 'cancelled' : end.error === 'timeout' ? 'deadline' : 'failed'
      if (!end.ok) {
        record.error = end.error
        record.reason = end.message.slice(0, 1024)
      }
    } else if (record.state === 'asked' || record.state === 'accepted') {
      record.state = 'failed'
    }
    this.recent.push(record)
    if (this.recent.length > 100) this.recent.shift()
    this.safeDispatchEvent('run:end', { detail: record })
  }
}

/** The DHT key under which the hosts of an agent of a mesh are provided: a CID of `<mesh>/<agent>` */
export async function agentCid (mesh: string, agent: string): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(uint8ArrayFromString(`${mesh}/${agent}`)))
}

/** The DHT key under which the hosts of agents with a skill are provided: a CID of `<mesh>/skill/<skill>` (agent names hold no `/`) */
export async function skillCid (mesh: string, skill: string): Promise<CID> {
  return CID.createV1(raw.code, await sha256.digest(uint8ArrayFromString(`${mesh}/skill/${skill}`)))
}

function checkRequest (request: RunRequest): string | undefined {
  if (request.requestId.byteLength !== RUN_REQUEST_ID_LENGTH) return `request id of ${request.requestId.byteLength} bytes`
  if ((request.agent === '') === (request.skill === '')) return 'an agent name or a skill, not both'
  if (request.agent.length > 256 || request.skill.length > 256) return 'agent name or skill too long'
  if (request.input.byteLength > MAX_RUN_INPUT_SIZE) return 'input too large'
  if (request.timeoutMs < 1 || request.timeoutMs > MAX_RUN_TIMEOUT) return `timeout ${request.timeoutMs} ms out of range`
  if (request.callerAgent.length > 256) return 'caller agent name too long'
  if (Buffer.byteLength(request.key) > MAX_RUN_KEY_LENGTH) return 'key too long'
  return undefined
}

function checkName (what: string, name: string): void {
  if (name === '' || Buffer.byteLength(name) > 256) throw new InvalidRunError(`a ${what} is 1 to 256 bytes`)
}

/** Checks a run's input before it is sent anywhere */
export function checkInput (input: Uint8Array): void {
  if (input.byteLength > MAX_RUN_INPUT_SIZE) throw new InvalidRunError(`the input is ${input.byteLength} bytes; a run takes at most ${MAX_RUN_INPUT_SIZE}`)
}


/** `text` cut to at most `max` bytes of UTF-8, on a character boundary */
function truncateUtf8 (text: string, max: number): string {
  if (Buffer.byteLength(text) <= max) return text
  let bytes = 0
  let end = 0
  for (const char of text) {
    bytes += Buffer.byteLength(char)
    if (bytes > max) break
    end += char.length
  }
  return text.slice(0, end)
}
