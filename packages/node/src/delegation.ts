import { setMaxListeners } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { configSchema } from '@overmind/config'
import {
  AGENT_PACKAGE_LIMITS, AgentPackage, DELEGATE_MESSAGE_LIMITS, DelegateMessage, MAX_DELEGATE_MESSAGE_SIZE, MAX_DELEGATION,
  MAX_PACKAGE_CHUNKS, MAX_RETURN_CHUNKS, MAX_RETURN_PAGE, SignedAgentPackage, lengthPrefixed, openStream
} from '@overmind/protocols'
import { Key } from 'interface-datastore'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { DelegationError } from './errors.js'
import { hostedAgent } from './hosted-agents.js'
import type { AgentFunction, RunAgentService, TaskBoard } from '@overmind/agents'
import type { AgentPackageView, DelegationPort, DelegationView } from '@overmind/api'
import type { OvermindConfig } from '@overmind/config'
import type { MemoryStore } from '@overmind/memory'
import type { AgentSpec, PackagedChunk } from '@overmind/protocols'
import type { ComponentLogger, Logger, PeerId, PrivateKey, Startable, Stream } from '@libp2p/interface'
import type { ConnectionManager, Registrar } from '@libp2p/interface-internal'
import type { Datastore } from 'interface-datastore'

export const DELEGATE_PROTOCOL = '/overmind/agent-delegate/1.0.0'
/** What a package's signature covers, before the encoded package */
const SIGNING_PREFIX = uint8ArrayFromString('overmind-agent-package:')
/** Chunks an export carries by default */
export const DEFAULT_PACKAGE_CHUNKS = 20
/** How long a stream of the protocol may take */
const STREAM_TIMEOUT = 30_000
/** How long the home waits past a delegation's end for the agent's memory before it takes the agent back anyway */
const RETURN_GRACE = 60_000
/** How often a return the home did not take is tried again */
const RETRY_INTERVAL = 30_000
const OUT_PREFIX = '/overmind/delegations/out'
const IN_PREFIX = '/overmind/delegations/in'
/** Tag of the chunks a peer stores from a package, so they do not go back as new */
const FROM_PACKAGE_TAG = 'from-package'

export interface DelegationInit {
  mesh: string
  config: OvermindConfig['delegation']
  /** The agents this node's config declares: the ones it may lend */
  agents: OvermindConfig['agents']
  memory?: MemoryStore
  dataDir?: string
  agentFunctions?: Record<string, AgentFunction>
  tasks?: TaskBoard
}

export interface DelegationComponents {
  peerId: PeerId
  privateKey: PrivateKey
  registrar: Registrar
  connectionManager: ConnectionManager
  datastore: Datastore
  logger: ComponentLogger
  runAgent: RunAgentService
}

/** An agent this node lent, as it keeps it */
interface Outgoing {
  agent: string
  peer: string
  startedAt: number
  expiresAt: number
  state: 'lent' | 'back'
  /** Chunks the peer gave back, and how many of them this node stored (the others it held already) */
  returned: number
  stored: number
  endedAt?: number
}

/** An agent this node hosts for another, as it keeps it */
interface Incoming {
  agent: string
  home: string
  startedAt: number
  expiresAt: number
  state: 'hosting' | 'returning'
  /** The signed package, base64: the agent is installed again from it after a restart */
  signed: string
  /** Ids of the chunks stored from the package: they do not go back */
  fromPackage: string[]
}

/**
 * Agent mobility: a node lends one of its agents to a peer for a time. The
 * package (the agent's config without secrets, and its top shared and
 * federation chunks) is signed by the home node; the peer checks it, and
 * hosts the agent only when its `delegation` config allows it (off by
 * default, `command` runners only when listed). While the agent is away,
 * its home offers it no more, so runs go to the peer. At the end the peer
 * removes it and gives back what it wrote there (shared and federation
 * chunks; the private zone never leaves a node); the home stores the shared
 * ones as its own and offers the agent again.
 */
export class Delegations implements Startable, DelegationPort {
  private readonly components: DelegationComponents
  private readonly init: DelegationInit
  private readonly log: Logger
  private readonly outgoing = new Map<string, Outgoing>()
  private readonly incoming = new Map<string, Incoming>()
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>()
  private stopping = new AbortController()

  constructor (components: DelegationComponents, init: DelegationInit) {
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('overmind:delegation')
  }

  readonly [Symbol.toStringTag] = '@overmind/delegation'

  async start (): Promise<void> {
    this.stopping = new AbortController()
    setMaxListeners(Infinity, this.stopping.signal)
    await this.components.registrar.handle(DELEGATE_PROTOCOL, (stream, connection) => {
      this.serve(stream, connection.remotePeer).catch(err => {
        this.log('a delegation stream of %s failed - %e', connection.remotePeer, err)
        stream.abort(err)
      })
    }, { maxInboundStreams: 4, maxOutboundStreams: 4, runOnLimitedConnection: true })
  }

  /** Reads the delegations kept in the datastore: lent agents stay away, hosted ones come back until their end */
  async afterStart (): Promise<void> {
    try {
      for await (const { value } of this.components.datastore.query({ prefix: OUT_PREFIX })) {
        const out: Outgoing = JSON.parse(uint8ArrayToString(value))
        this.outgoing.set(out.agent, out)
        if (out.state === 'lent') this.lend(out)
      }
      for await (const { value } of this.components.datastore.query({ prefix: IN_PREFIX })) {
        const held: Incoming = JSON.parse(uint8ArrayToString(value))
        this.incoming.set(held.agent, held)
        if (held.state === 'hosting' && Date.now() < held.expiresAt) {
          const pkg = verifyPackage(SignedAgentPackage.decode(uint8ArrayFromString(held.signed, 'base64')))
          this.install(pkg.agent!)
          this.schedule(`in/${held.agent}`, held.expiresAt - Date.now(), async () => { await this.end(held.agent) })
        } else {
          this.schedule(`in/${held.agent}`, 0, async () => { await this.end(held.agent) })
        }
      }
    } catch (err: any) {
      this.log.error('could not read the delegations kept in the datastore - %e', err)
    }
  }

  async stop (): Promise<void> {
    this.stopping.abort(new Error('the node is stopping'))
    for (const timer of this.timers.values()) clearTimeout(timer)
    this.timers.clear()
    await this.components.registrar.unhandle(DELEGATE_PROTOCOL)
  }

  /** The package of one of this node's agents, signed by the node */
  async export (name: string, options: { top?: number } = {}): Promise<AgentPackageView> {
    const declared = this.init.agents.find(agent => agent.name === name)
    if (declared == null) throw new DelegationError(`this node's config declares no agent "${name}" (only its own agents can be exported)`)
    const pkg: AgentPackage = {
      version: 1,
      mesh: this.init.mesh,
      node: this.components.peerId.toString(),
      createdAt: BigInt(Date.now()),
      agent: specOf(declared),
      memory: await this.topChunks(name, Math.min(MAX_PACKAGE_CHUNKS, Math.max(0, options.top ?? DEFAULT_PACKAGE_CHUNKS)))
    }
    const bytes = AgentPackage.encode(pkg)
    const signature = await this.components.privateKey.sign(uint8ArrayConcat([SIGNING_PREFIX, bytes]))
    return packageView(pkg, SignedAgentPackage.encode({ package: bytes, signature: signature as Uint8Array<ArrayBuffer> }))
  }

  /** Lends an agent to `peer` for `duration` ms; its runs go there meanwhile */
  async delegate (name: string, peer: string, duration: number): Promise<DelegationView> {
    const current = this.outgoing.get(name)
    if (current?.state === 'lent') throw new DelegationError(`agent "${name}" is already lent to ${current.peer} until ${new Date(current.expiresAt).toISOString()}`)
    if (peer === this.components.peerId.toString()) throw new DelegationError('an agent cannot be lent to its own node')
    if (duration < 1_000 || duration > MAX_DELEGATION) throw new DelegationError(`a delegation lasts 1 s to ${MAX_DELEGATION / 86_400_000} days`)
    const pkg = await this.export(name)
    const answer = await this.exchange(peer, { request: { package: SignedAgentPackage.decode(uint8ArrayFromString(pkg.signed, 'base64')), durationMs: BigInt(duration) } })
    if (answer.answer == null) throw new DelegationError('the peer did not answer the delegation')
    if (!answer.answer.accepted) throw new DelegationError(`${peer} refused to host "${name}": ${answer.answer.reason}${answer.answer.message !== '' ? ` (${answer.answer.message})` : ''}`)
    const now = Date.now()
    const out: Outgoing = { agent: name, peer, startedAt: now, expiresAt: now + Math.min(duration, Number(answer.answer.durationMs)), state: 'lent', returned: 0, stored: 0 }
    this.outgoing.set(name, out)
    await this.save(OUT_PREFIX, name, out)
    this.lend(out)
    this.log('lent agent %s to %s until %d', name, peer, out.expiresAt)
    return outView(out)
  }

  /** Ends a delegation before its time: the peer gives the agent back now */
  async recall (name: string): Promise<DelegationView> {
    const out = this.outgoing.get(name)
    if (out == null || out.state !== 'lent') throw new DelegationError(`agent "${name}" is not lent to any node`)
    const answer = await this.exchange(out.peer, { recall: { agent: name } })
    if (answer.answer?.accepted !== true) throw new DelegationError(`${out.peer} did not give "${name}" back: ${answer.answer?.reason ?? 'no answer'}`)
    return outView(this.outgoing.get(name) ?? out)
  }

  list (): { outgoing: DelegationView[], incoming: DelegationView[] } {
    return {
      outgoing: [...this.outgoing.values()].map(outView),
      incoming: [...this.incoming.values()].map(held => ({ agent: held.agent, peer: held.home, direction: 'incoming' as const, state: held.state, startedAt: held.startedAt, expiresAt: held.expiresAt }))
    }
  }

  /** The agent's best chunks by salience × confidence: the ones this node wrote for it, in the zones that may leave the node */
  private async topChunks (agent: string, k: number): Promise<PackagedChunk[]> {
    const memory = this.init.memory
    if (memory == null || k === 0) return []
    const self = this.components.peerId.toString()
    const best: Array<{ score: number, chunk: PackagedChunk }> = []
    for (const zone of ['shared', 'federation'] as const) {
      for await (const chunk of memory.chunks({ zone, author: self, agent })) {
        if (chunk.agent !== agent || chunk.archived) continue
        best.push({ score: chunk.salience * chunk.confidence, chunk: packaged(chunk) })
        if (best.length > k * 4) best.sort((a, b) => b.score - a.score).splice(k)
      }
    }
    return best.sort((a, b) => b.score - a.score).slice(0, k).map(b => b.chunk)
  }

  /** The home's side while an agent is away: offered no more here, and taken back when the peer's return is overdue */
  private lend (out: Outgoing): void {
    this.components.runAgent.host.suspend(out.agent)
    this.schedule(`out/${out.agent}`, out.expiresAt + RETURN_GRACE - Date.now(), async () => {
      this.log('agent %s did not come back from %s in time: offered here again', out.agent, out.peer)
      await this.back(out)
    })
  }

  private async back (out: Outgoing): Promise<void> {
    out.state = 'back'
    out.endedAt = Date.now()
    this.clear(`out/${out.agent}`)
    this.components.runAgent.host.resume(out.agent)
    await this.save(OUT_PREFIX, out.agent, out)
    void this.components.runAgent.provide().catch(() => {})
  }

  /** Opens a stream to `peer`, sends one message and reads the answer */
  private async exchange (peer: string, message: Partial<DelegateMessage>): Promise<DelegateMessage> {
    const signal = AbortSignal.any([AbortSignal.timeout(STREAM_TIMEOUT), this.stopping.signal])
    const stream = await openStream(this.components.connectionManager, peerIdFromString(peer), DELEGATE_PROTOCOL, { signal })
    try {
      const pb = messages(stream)
      await pb.write(message, { signal })
      const answer = await pb.read({ signal })
      await stream.close({ signal }).catch(() => {})
      return answer
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
  }

  private async serve (stream: Stream, remote: PeerId): Promise<void> {
    const signal = AbortSignal.any([AbortSignal.timeout(STREAM_TIMEOUT), this.stopping.signal])
    const pb = messages(stream)
    const first = await pb.read({ signal })
    const refuse = async (reason: string, message = ''): Promise<void> => {
      this.log('refused a delegation message of %s: %s %s', remote, reason, message)
      await pb.write({ answer: { accepted: false, reason, message, durationMs: 0n } }, { signal })
    }
    if (first.request != null) {
      const result = await this.host(first.request.package, Number(first.request.durationMs), remote.toString())
      if ('reason' in result) await refuse(result.reason, result.message)
      else await pb.write({ answer: { accepted: true, reason: '', message: '', durationMs: BigInt(result.duration) } }, { signal })
    } else if (first.recall != null) {
      const held = this.incoming.get(first.recall.agent)
      if (held == null || held.home !== remote.toString()) {
        await refuse('unknown-agent', `no agent "${first.recall.agent}" of this node is hosted here`)
      } else {
        await this.end(held.agent)
        await pb.write({ answer: { accepted: true, reason: '', message: '', durationMs: 0n } }, { signal })
      }
    } else if (first.returned != null) {
      // pages follow until `done`, each acknowledged once stored
      let page = first.returned
      for (;;) {
        // a return after this node took the agent back on its own (the peer was away) still brings its memory
        const out = this.outgoing.get(page.agent)
        if (out == null || out.peer !== remote.toString() || (out.state === 'back' && Date.now() - (out.endedAt ?? 0) > MAX_DELEGATION)) {
          await refuse('unknown-agent', `agent "${page.agent}" is not lent to this peer`)
          break
        }
        if (out.returned + page.memory.length > MAX_RETURN_CHUNKS) {
          await refuse('too-many', `a return brings at most ${MAX_RETURN_CHUNKS} chunks`)
          break
        }
        const stored = await this.store(out, page.memory)
        await pb.write({ ack: { stored } }, { signal })
        if (page.done) {
          this.log('agent %s is back from %s with %d chunks (%d stored)', out.agent, out.peer, out.returned, out.stored)
          if (out.state === 'lent') await this.back(out)
          break
        }
        const next = await pb.read({ signal })
        if (next.returned == null) throw new DelegationError('expected the next page of a return')
        page = next.returned
      }
    } else {
      await refuse('bad-request', 'the first message is a request, a recall or a return')
    }
    await stream.close({ signal }).catch(() => {})
  }

  /** The peer's side: checks a package against this node's rules and hosts the agent */
  private async host (signed: SignedAgentPackage | undefined, asked: number, home: string): Promise<{ duration: number } | { reason: string, message: string }> {
    const rules = this.init.config
    if (!rules.accept) return { reason: 'not-allowed', message: 'this node hosts no lent agents (delegation.accept is off)' }
    if (rules.from.length > 0 && !rules.from.includes(home)) return { reason: 'not-allowed', message: 'delegation.from does not name the lending node' }
    let pkg: AgentPackage
    try {
      if (signed == null) throw new DelegationError('no package')
      pkg = verifyPackage(signed)
    } catch (err: any) {
      return { reason: 'bad-package', message: err.message }
    }
    if (pkg.node !== home) return { reason: 'bad-package', message: 'the package is signed by another node than the one lending it' }
    if (pkg.mesh !== this.init.mesh) return { reason: 'wrong-mesh', message: `the package is for mesh "${pkg.mesh}"` }
    const spec = pkg.agent!
    if (!(rules.runners as string[]).includes(spec.runner)) return { reason: 'runner-not-allowed', message: `runner ${spec.runner} is not in delegation.runners` }
    if ([...this.incoming.values()].filter(h => h.state === 'hosting').length >= rules.maxAgents) return { reason: 'too-many', message: `this node hosts ${rules.maxAgents} lent agents already` }
    if (this.components.runAgent.host.get(spec.name) != null) return { reason: 'name-taken', message: `an agent named "${spec.name}" is hosted here already` }
    if (!(asked >= 1_000)) return { reason: 'bad-request', message: 'a delegation lasts at least 1 s' }
    if (spec.needsKey && this.keyFor(spec) == null) return { reason: 'no-key', message: noKey(spec) }
    try {
      this.install(spec)
    } catch (err: any) {
      return { reason: 'bad-package', message: err.message }
    }
    const duration = Math.min(asked, rules.maxDuration, MAX_DELEGATION)
    const now = Date.now()
    const fromPackage = await this.keepPackageMemory(spec.name, pkg.memory)
    const held: Incoming = {
      agent: spec.name,
      home,
      startedAt: now,
      expiresAt: now + duration,
      state: 'hosting',
      signed: uint8ArrayToString(SignedAgentPackage.encode(signed!), 'base64'),
      fromPackage
    }
    this.incoming.set(held.agent, held)
    await this.save(IN_PREFIX, held.agent, held)
    this.schedule(`in/${held.agent}`, duration, async () => { await this.end(held.agent) })
    void this.components.runAgent.provide().catch(() => {})
    this.log('hosting agent %s of %s for %d ms', held.agent, home, duration)
    return { duration }
  }

  /** Hosts the agent a package describes, checked as this node's own config would be */
  private install (spec: AgentSpec): void {
    const config = configOf(spec)
    if (spec.needsKey) {
      config.apiKey = this.keyFor(spec)
      if (config.apiKey == null) throw new DelegationError(noKey(spec))
    }
    const parsed = configSchema.safeParse({ agents: [config] })
    if (!parsed.success) throw new DelegationError(`the agent's config is not valid here: ${parsed.error.issues.map(i => `${i.path.join('.')}: ${i.message}`).join('; ')}`)
    const hosted = hostedAgent({ ...parsed.data.agents[0], expose: 'mesh' }, { dataDir: this.init.dataDir, agentFunctions: this.init.agentFunctions, tasks: this.init.tasks })
    this.components.runAgent.host.add(hosted)
  }

  /** This node's key for the endpoint of a lent http agent, from delegation.keys */
  private keyFor (spec: AgentSpec): string | undefined {
    const key = this.init.config.keys[originOf(spec.url)]
    return key == null || key === '' ? undefined : key
  }

  /** The package's shared chunks become this node's, for the agent to read here; federation ones are here already */
  private async keepPackageMemory (agent: string, chunks: PackagedChunk[]): Promise<string[]> {
    const memory = this.init.memory
    const shared = chunks.filter(c => c.zone === 'shared')
    if (memory == null || shared.length === 0) return []
    try {
      const stored = await memory.putMany(shared.map(c => ({ text: c.text, tags: [...c.tags.slice(0, 31), FROM_PACKAGE_TAG], zone: 'shared' as const, agent })))
      return stored.map(c => c.id)
    } catch (err: any) {
      this.log('the package memory of %s was not stored - %s', agent, err.message)
      return []
    }
  }

  /** The peer's side at the end: the agent leaves, and what it wrote here goes home */
  private async end (name: string): Promise<void> {
    const held = this.incoming.get(name)
    if (held == null) return
    this.clear(`in/${name}`)
    if (held.state === 'hosting') {
      held.state = 'returning'
      this.components.runAgent.host.remove(name, 'the agent went back to its home node')
      await this.save(IN_PREFIX, name, held)
      this.log('agent %s left: its delegation ended', name)
    }
    try {
      await this.giveBack(held)
      this.incoming.delete(name)
      await this.components.datastore.delete(new Key(`${IN_PREFIX}/${name}`))
    } catch (err: any) {
      if (this.stopping.signal.aborted) return
      // a home that says it lent no such agent, or that stays away for the longest delegation, is not asked again
      if (err instanceof ReturnRefusedError || Date.now() - held.expiresAt > MAX_DELEGATION) {
        this.log.error('the memory agent %s wrote here stays here: %s', name, err.message)
        this.incoming.delete(name)
        await Promise.resolve(this.components.datastore.delete(new Key(`${IN_PREFIX}/${name}`))).catch(() => {})
        return
      }
      this.log('agent %s could not go back to %s yet - %s', name, held.home, err.message)
      this.schedule(`in/${name}`, RETRY_INTERVAL, async () => { await this.end(name) })
    }
  }

  private async giveBack (held: Incoming): Promise<void> {
    const chunks: PackagedChunk[] = []
    const memory = this.init.memory
    if (memory != null) {
      const self = this.components.peerId.toString()
      const skip = new Set(held.fromPackage)
      for (const zone of ['shared', 'federation'] as const) {
        for await (const chunk of memory.chunks({ zone, author: self, agent: held.agent })) {
          if (chunk.agent === held.agent && chunk.createdAt >= held.startedAt && !skip.has(chunk.id)) chunks.push(packaged(chunk))
          if (chunks.length >= MAX_RETURN_CHUNKS) break
        }
      }
    }
    const signal = AbortSignal.any([AbortSignal.timeout(STREAM_TIMEOUT * 4), this.stopping.signal])
    const stream = await openStream(this.components.connectionManager, peerIdFromString(held.home), DELEGATE_PROTOCOL, { signal })
    try {
      const pb = messages(stream)
      for (let at = 0; at === 0 || at < chunks.length; at += MAX_RETURN_PAGE) {
        const page = chunks.slice(at, at + MAX_RETURN_PAGE)
        await pb.write({ returned: { agent: held.agent, memory: page, done: at + MAX_RETURN_PAGE >= chunks.length } }, { signal })
        const answer = await pb.read({ signal })
        if (answer.ack == null) throw new ReturnRefusedError(`the home node refused the return: ${answer.answer?.reason ?? 'no answer'} ${answer.answer?.message ?? ''}`)
      }
      await stream.close({ signal }).catch(() => {})
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw err
    }
    this.log('gave agent %s back to %s with %d chunks', held.agent, held.home, chunks.length)
  }

  /** The home's side of a return: shared chunks it does not hold become its own; federation ones replicate by themselves */
  private async store (out: Outgoing, chunks: PackagedChunk[]): Promise<number> {
    out.returned += chunks.length
    const memory = this.init.memory
    if (memory == null) return 0
    let stored = 0
    for (const chunk of chunks) {
      if (chunk.zone !== 'shared' || memory.holds(chunk.id)) continue
      try {
        await memory.put({ text: chunk.text, tags: chunk.tags.filter(t => t !== FROM_PACKAGE_TAG), zone: 'shared', agent: out.agent })
        stored++
      } catch (err: any) {
        this.log('a chunk agent %s gave back was not stored - %s', out.agent, err.message)
      }
    }
    out.stored += stored
    await this.save(OUT_PREFIX, out.agent, out)
    return stored
  }

  private schedule (key: string, ms: number, fn: () => Promise<void>): void {
    this.clear(key)
    const timer = setTimeout(() => {
      this.timers.delete(key)
      fn().catch(err => { this.log.error('delegation task %s failed - %e', key, err) })
    }, Math.max(0, Math.min(ms, 2 ** 31 - 1)))
    timer.unref?.()
    this.timers.set(key, timer)
  }

  private clear (key: string): void {
    clearTimeout(this.timers.get(key))
    this.timers.delete(key)
  }

  private async save (prefix: string, name: string, value: unknown): Promise<void> {
    await this.components.datastore.put(new Key(`${prefix}/${name}`), uint8ArrayFromString(JSON.stringify(value)))
  }
}

/** The home answered a return with a refusal: asking again would change nothing */
class ReturnRefusedError extends DelegationError {}

/** Length-prefixed `DelegateMessage`s on a stream, decoded within the protocol's limits */
function messages (stream: Stream): { read(options: { signal: AbortSignal }): Promise<DelegateMessage>, write(message: Partial<DelegateMessage>, options: { signal: AbortSignal }): Promise<void> } {
  const lp = lpStream(stream, lengthPrefixed(MAX_DELEGATE_MESSAGE_SIZE))
  return {
    read: async options => DelegateMessage.decode(await lp.read(options), { limits: DELEGATE_MESSAGE_LIMITS }),
    write: async (message, options) => { await lp.write(DelegateMessage.encode(message as DelegateMessage), options) }
  }
}

/** Checks a package's signature against the node it names, and decodes it */
export function verifyPackage (signed: SignedAgentPackage): AgentPackage {
  const pkg = AgentPackage.decode(signed.package, { limits: AGENT_PACKAGE_LIMITS })
  if (pkg.version !== 1) throw new DelegationError(`package format ${pkg.version} is not known here`)
  if (pkg.agent == null) throw new DelegationError('the package describes no agent')
  let key
  try {
    key = peerIdFromString(pkg.node).publicKey
  } catch {
    throw new DelegationError('the package names no node')
  }
  if (key == null) throw new DelegationError('the package\'s node id carries no key')
  const valid = key.verify(uint8ArrayConcat([SIGNING_PREFIX, signed.package]), signed.signature)
  if (valid !== true) throw new DelegationError('the package\'s signature is not its node\'s')
  return pkg
}

function specOf (agent: OvermindConfig['agents'][number]): AgentSpec {
  return {
    name: agent.name,
    runner: agent.runner,
    command: agent.command,
    input: agent.input,
    cwd: agent.cwd,
    env: Object.entries(agent.env).sort(([a], [b]) => a.localeCompare(b)).map(([name, value]) => ({ name, value })),
    url: agent.url,
    model: agent.model,
    system: agent.system,
    builtin: agent.builtin,
    concurrency: agent.concurrency,
    timeoutMs: agent.timeout,
    version: agent.version,
    capabilities: agent.capabilities,
    description: agent.description,
    skills: agent.skills,
    needsKey: agent.runner === 'http' && agent.apiKey !== ''
  }
}

function noKey (spec: AgentSpec): string {
  const origin = originOf(spec.url)
  return `agent "${spec.name}" calls ${origin} with an API key that stays on its home node: this node needs its own, in delegation.keys["${origin}"]`
}

/** The origin of an agent's endpoint, how `delegation.keys` names it */
function originOf (url: string): string {
  try {
    return new URL(url).origin
  } catch {
    return url
  }
}

/** A package's agent as an `agents[]` entry of the config */
function configOf (spec: AgentSpec): Record<string, unknown> {
  return {
    name: spec.name,
    runner: spec.runner,
    command: spec.command,
    input: spec.input === '' ? undefined : spec.input,
    cwd: spec.cwd,
    env: Object.fromEntries(spec.env.map(e => [e.name, e.value])),
    url: spec.url,
    model: spec.model,
    system: spec.system,
    builtin: spec.builtin,
    concurrency: spec.concurrency,
    timeout: spec.timeoutMs,
    version: spec.version,
    capabilities: spec.capabilities,
    description: spec.description,
    skills: spec.skills
  }
}

function packaged (chunk: { id: string, text: string, tags: string[], zone: string, createdAt: number, confidence: number, salience: number }): PackagedChunk {
  return { id: chunk.id, text: chunk.text, tags: chunk.tags, zone: chunk.zone, createdAt: BigInt(chunk.createdAt), confidence: chunk.confidence, salience: chunk.salience }
}

function packageView (pkg: AgentPackage, signed: Uint8Array): AgentPackageView {
  return {
    format: 'overmind-agent-package/1',
    mesh: pkg.mesh,
    node: pkg.node,
    createdAt: Number(pkg.createdAt),
    agent: configOf(pkg.agent!),
    memory: pkg.memory.map(c => ({ id: c.id, text: c.text, tags: c.tags, zone: c.zone, createdAt: Number(c.createdAt), confidence: c.confidence, salience: c.salience })),
    signed: uint8ArrayToString(signed, 'base64')
  }
}

function outView (out: Outgoing): DelegationView {
  return { agent: out.agent, peer: out.peer, direction: 'outgoing', state: out.state, startedAt: out.startedAt, expiresAt: out.expiresAt, returned: out.returned, stored: out.stored, endedAt: out.endedAt }
}

export function delegation (init: DelegationInit): (components: DelegationComponents) => Delegations {
  return (components) => new Delegations(components, init)
}
