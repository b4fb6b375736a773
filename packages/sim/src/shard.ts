import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { privateKeyFromProtobuf } from '@libp2p/crypto/keys'
import { memory } from '@libp2p/memory'
import { preSharedKey } from '@libp2p/pnet'
import { defaultConfig } from '@overmind/config'
import { OvermindNode, connectionKind, operation } from '@overmind/node'
import { entryId } from '@overmind/memory'
import { Chunk, EntryKind, KnowledgeBatch, SignedEntry, Zone } from '@overmind/protocols'
import { MemoryDatastore } from 'datastore-core'
import { mockAgents } from './agents.js'
import { FLOOR_TOPIC } from './floor.js'
import { LinkShaper, shapedProtector, shapesLinks } from './links.js'
import { random, schedule } from './schedule.js'
import { ThreadRouter, threadMemory } from './thread-transport.js'
import { RESOLUTION_MS, p99Ms } from './timeline.js'
import { applyRole, topologyGater } from './topology.js'
import type { Fault, Scenario } from './scenario.js'
import type { OpenConnection } from './topology.js'
import type { PrivateKey } from '@libp2p/interface'
import type { StoredEntryEvent } from '@overmind/memory'
import type { IntervalHistogram } from 'node:perf_hooks'
import type { MessagePort } from 'node:worker_threads'

/** The stream link jitter and loss draw from, apart from the schedule's */
const LINK_STREAM = 0x6c696e6b
/** Signing domain of protocols/memory.md */
const DOMAIN = new TextEncoder().encode('overmind/memory/1\n')
const FORGE_EVERY_MS = 200

/** What a shard needs to run its nodes; structured-cloneable, so it can go to a worker thread */
export interface ShardInit {
  shard: number
  /** Shards in the run */
  shards: number
  scenario: Scenario
  psk: Uint8Array
  /** Private keys (protobuf) of this shard's nodes, by node index; null for the nodes of other shards */
  keys: Array<Uint8Array | null>
  /** Every node's peer id, by index */
  peers: string[]
  /** Every node's memory folder, by index */
  memoryPaths: string[]
  /** The moment simulated time 0 is, as performance.timeOrigin + performance.now() */
  origin: number
  /** The process id the nodes' memory addresses are named after */
  pid: number
}

/** A write as a shard acknowledged it: the chunk id and the moment of acknowledgement */
export interface ShardWrite {
  id: string
  at: number
}

/** What a shard measured, gathered at the end */
export interface ShardFigures {
  /** Knowledge arrivals: chunk id → moments it was stored on a node of the shard (from a peer) */
  arrivals: Array<[string, number[]]>
  /** Bare gossip arrivals: text → moments */
  floorArrivals: Array<[string, number[]]>
  /** Ids of the forged entries the shard's hostile members published */
  forged: string[]
  /** Event-loop delay p99 of the shard's thread over the run, ms */
  eventLoopDelayP99Ms: number
}

/** The nodes of one shard, driven by the run; every method may cross a thread */
export interface Shard {
  /** Starts a node; its dialable addresses (a relay listens where it did before a restart) */
  start(index: number, bootstrap: string[], relays: string[]): Promise<string[]>
  stop(index: number): Promise<void>
  /** Partition groups by node index (undefined: none); connections the new groups forbid are closed */
  setGroups(groups: number[] | undefined): Promise<void>
  /** Whether every node of the shard that is up lists `others` peers as connected or alive */
  tablesFull(others: number): Promise<boolean>
  write(index: number, text: string, zone: 'shared' | 'private' | undefined): Promise<ShardWrite>
  /** Whether every node of the shard that is up holds every id */
  holdsAll(ids: string[]): Promise<boolean>
  /** For each id, the nodes of the shard that are up and hold it */
  holders(ids: string[]): Promise<number[][]>
  /** Deliveries so far (entries from peers stored on the shard's nodes), and the event-loop delay p99 since the last call */
  progress(): Promise<{ deliveries: number, eventLoopDelayP99Ms: number }>
  /** Makes a node a hostile member that publishes forged entries */
  forge(index: number): Promise<void>
  shapeLinks(fault: Fault, at: number): Promise<void>
  /** A node operation (as the local API runs it) on a node of the shard */
  rpc(index: number, method: string, params: Record<string, unknown>): Promise<unknown>
  /** Knowledge rejections by reason, summed over the nodes up but `except` */
  rejected(except: number[]): Promise<Record<string, number>>
  /** Memory digests of the nodes up */
  digests(): Promise<string[]>
  /** The open connections of each node of the shard, by node index */
  links(): Promise<Array<[number, OpenConnection[]]>>
  figures(): Promise<ShardFigures>
  /** Hostile forgeries published so far */
  published(): Promise<number>
  /** Stops every node and the shard */
  close(): Promise<void>
}

interface HostedNode {
  index: number
  key: PrivateKey
  node?: OvermindNode
  listen?: string
}

/**
 * The nodes of one shard of a simulation, in the thread that runs them:
 * real nodes with the production protocols, a connection gater for the
 * topology and partitions, and the links shaped as the scenario says.
 */
export class ShardHost implements Shard {
  private readonly init: ShardInit
  private readonly scenario: Scenario
  private readonly nodes = new Map<number, HostedNode>()
  private readonly byPeer: Map<string, number>
  private readonly roles: ReturnType<typeof schedule>['topology']['roles']
  private readonly linked: (a: number, b: number) => boolean
  private groups?: number[]
  private readonly agents: ReturnType<typeof mockAgents>
  private readonly shaper: LinkShaper
  private readonly shaping: boolean
  private readonly linkRandom: () => number
  private readonly router?: ThreadRouter
  private readonly arrivals = new Map<string, number[]>()
  private readonly floorArrivals = new Map<string, number[]>()
  private readonly forgedIds: string[] = []
  private readonly hostileTimers: Array<ReturnType<typeof setInterval>> = []
  private forgeries = 0
  private deliveries = 0
  private readonly delay: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  private readonly delayWhole: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS })
  private readonly encoder = new TextEncoder()
  private readonly decoder = new TextDecoder()

  /**
   * @param threads - with several shards, a port to each other shard's thread
   */
  constructor (init: ShardInit, threads?: Map<number, MessagePort>) {
    this.init = init
    this.scenario = init.scenario
    this.byPeer = new Map(init.peers.map((peer, index) => [peer, index]))
    const { roles, linked } = schedule(init.scenario).topology
    this.roles = roles
    this.linked = linked
    this.agents = mockAgents(init.scenario)
    this.shaper = new LinkShaper(init.scenario.network)
    this.shaping = init.scenario.transport === 'memory' && shapesLinks(init.scenario)
    this.linkRandom = random(init.scenario.seed ^ LINK_STREAM ^ init.shard)
    if (init.shards > 1) {
      this.router = new ThreadRouter(init.shard, threads ?? new Map(), address => {
        const index = Number(/-(\d+)$/.exec(address)?.[1])
        return Number.isInteger(index) && index < init.peers.length ? index % init.shards : undefined
      })
    }
    init.keys.forEach((key, index) => {
      if (key != null) this.nodes.set(index, { index, key: privateKeyFromProtobuf(key) })
    })
    this.delay.enable()
    this.delayWhole.enable()
  }

  /** ms since simulated time 0, on the clock every shard shares */
  now (): number {
    return performance.timeOrigin + performance.now() - this.init.origin
  }

  private reachable (a: number, b: number): boolean {
    return this.linked(a, b) && (this.groups == null || this.groups[a] === this.groups[b])
  }

  private hosted (index: number): HostedNode {
    const sim = this.nodes.get(index)
    if (sim == null) throw new Error(`node ${index} is not in shard ${this.init.shard}`)
    return sim
  }

  private live (): HostedNode[] {
    return [...this.nodes.values()].filter(n => n.node != null)
  }

  async start (index: number, bootstrap: string[], relays: string[]): Promise<string[]> {
    const sim = this.hosted(index)
    const { scenario } = this
    const config = defaultConfig()
    config.mesh.name = `sim-${scenario.name.toLowerCase().replace(/[^a-z0-9._-]/g, '-')}`.slice(0, 63)
    config.listen = [sim.listen ?? (scenario.transport === 'memory' ? `/memory/overmind-sim-${this.init.pid}-${index}` : '/ip4/127.0.0.1/tcp/0')]
    config.bootstrap = bootstrap
    config.heartbeat.interval = scenario.nodes.heartbeat
    config.discovery.rejoinInterval = 2_000
    config.memory.embedder = scenario.nodes.embedder
    config.memory.syncInterval = scenario.nodes.syncInterval
    // the workload's writes are alike: convergence signals would be events of their own beside it
    config.memory.signalAgents = 0
    config.agents = this.agents.config(index)
    applyRole(config, this.roles[index], relays)
    const transports = scenario.transport !== 'memory'
      ? undefined
      : [this.router == null ? memory() : threadMemory(this.router), circuitRelayTransport()]
    const node = await OvermindNode.create({
      config,
      privateKey: sim.key,
      psk: this.init.psk,
      datastore: new MemoryDatastore(),
      memoryPath: this.init.memoryPaths[index],
      agentFunctions: this.agents.functions,
      libp2p: {
        connectionGater: topologyGater(index, this.roles, peer => this.byPeer.get(peer), (a, b) => this.reachable(a, b)),
        ...(transports != null ? { transports } : {}),
        // below the private network, each write waits for its link's latency, jitter and loss
        ...(this.shaping ? { connectionProtector: shapedProtector(preSharedKey({ psk: this.init.psk }), peer => this.shaper.shape(index, this.byPeer.get(peer ?? ''), this.now()), this.linkRandom, scenario.network.bandwidth) } : {})
      }
    })
    node.memory?.addEventListener('entry', (evt: CustomEvent<StoredEntryEvent>) => {
      if (evt.detail.origin !== 'remote') return
      const times = this.arrivals.get(evt.detail.entry.id) ?? []
      times.push(this.now())
      this.deliveries++
      this.arrivals.set(evt.detail.entry.id, times)
    })
    await node.start()
    if (scenario.workload.writes?.floor === true) this.attachFloor(node)
    sim.node = node
    if (this.roles[index] === 'relay') sim.listen ??= node.libp2p.getMultiaddrs().find(ma => !ma.toString().includes('/p2p-circuit'))?.decapsulateCode(421).toString()
    return node.addresses().filter(a => !a.includes('/p2p-circuit'))
  }

  /** The floor: the same texts on a bare gossipsub topic, timed where they arrive */
  private attachFloor (node: OvermindNode): void {
    const pubsub = node.libp2p.services.pubsub
    pubsub.subscribe(FLOOR_TOPIC)
    pubsub.addEventListener('message', evt => {
      if (evt.detail.topic !== FLOOR_TOPIC) return
      const text = this.decoder.decode(evt.detail.data)
      const times = this.floorArrivals.get(text) ?? []
      times.push(this.now())
      this.floorArrivals.set(text, times)
    })
  }

  async stop (index: number): Promise<void> {
    const sim = this.hosted(index)
    const node = sim.node
    sim.node = undefined
    await node?.stop()
  }

  async setGroups (groups: number[] | undefined): Promise<void> {
    this.groups = groups
    if (groups == null) return
    await Promise.all(this.live().map(async sim => {
      for (const connection of sim.node?.libp2p.getConnections() ?? []) {
        const other = this.byPeer.get(connection.remotePeer.toString())
        if (other != null && !this.reachable(sim.index, other)) await sim.node?.libp2p.hangUp(connection.remotePeer).catch(() => {})
      }
    }))
  }

  async tablesFull (others: number): Promise<boolean> {
    return this.live().every(sim => (sim.node?.libp2p.services.heartbeat.peers() ?? []).filter(p => p.status === 'connected' || p.status === 'alive').length >= others)
  }

  async write (index: number, text: string, zone: 'shared' | 'private' | undefined): Promise<ShardWrite> {
    const node = this.hosted(index).node
    if (node?.memory == null) throw new Error(`node ${index} is down`)
    const chunk = await node.memory.put({ text, zone })
    const at = this.now()
    // the floor leaves at the acknowledgement, where knowledge delivery is timed from
    if (zone == null && this.scenario.workload.writes?.floor === true) {
      node.libp2p.services.pubsub.publish(FLOOR_TOPIC, this.encoder.encode(text)).catch(() => {})
    }
    return { id: chunk.id, at }
  }

  async holdsAll (ids: string[]): Promise<boolean> {
    return this.live().every(sim => ids.every(id => sim.node?.memory?.holds(id) === true))
  }

  async holders (ids: string[]): Promise<number[][]> {
    const live = this.live()
    return ids.map(id => live.filter(sim => sim.node?.memory?.holds(id) === true).map(sim => sim.index))
  }

  async progress (): Promise<{ deliveries: number, eventLoopDelayP99Ms: number }> {
    const p99 = p99Ms(this.delay)
    this.delay.reset()
    return { deliveries: this.deliveries, eventLoopDelayP99Ms: p99 }
  }

  async forge (index: number): Promise<void> {
    const sim = this.hosted(index)
    if (sim.node == null) return
    this.hostileTimers.push(forge(sim.node, sim.key, this.forgedIds, () => { this.forgeries++ }))
  }

  async shapeLinks (fault: Fault, at: number): Promise<void> {
    this.shaper.apply(fault, at)
  }

  async rpc (index: number, method: string, params: Record<string, unknown>): Promise<unknown> {
    const node = this.hosted(index).node
    const op = operation(method)
    if (node == null) throw new Error(`node ${index} is down`)
    if (op == null) throw new Error(`the node has no ${method} operation`)
    return await op.run(node, params as any, {})
  }

  async rejected (except: number[]): Promise<Record<string, number>> {
    const sums: Record<string, number> = {}
    for (const sim of this.live()) {
      if (except.includes(sim.index)) continue
      for (const [reason, n] of Object.entries(sim.node?.libp2p.services.knowledge?.getStats().rejected ?? {})) sums[reason] = (sums[reason] ?? 0) + (n ?? 0)
    }
    return sums
  }

  async digests (): Promise<string[]> {
    const digests = await Promise.all(this.live().map(async sim => (await sim.node?.memory?.digest())?.digest))
    return digests.filter((d): d is string => d != null)
  }

  async links (): Promise<Array<[number, OpenConnection[]]>> {
    return [...this.nodes.values()].map(sim => [sim.index, sim.node?.libp2p.getConnections().map(c => ({ peer: this.byPeer.get(c.remotePeer.toString()), relayed: connectionKind(c) === 'relayed' })) ?? []])
  }

  async figures (): Promise<ShardFigures> {
    return {
      arrivals: [...this.arrivals.entries()],
      floorArrivals: [...this.floorArrivals.entries()],
      forged: [...this.forgedIds],
      eventLoopDelayP99Ms: p99Ms(this.delayWhole)
    }
  }

  async published (): Promise<number> {
    return this.forgeries
  }

  async close (): Promise<void> {
    for (const timer of this.hostileTimers) clearInterval(timer)
    this.delay.disable()
    this.delayWhole.disable()
    await Promise.all([...this.nodes.values()].map(async sim => {
      const node = sim.node
      sim.node = undefined
      await node?.stop().catch(() => {})
    }))
  }

  /** Whether a node of the shard is up (for the nodes the shard hosts) */
  isUp (index: number): boolean {
    return this.nodes.get(index)?.node != null
  }
}

/**
 * Makes a node a hostile member: it publishes, as itself, chunks whose
 * signature does not verify on the knowledge topic, past its own validator
 */
function forge (node: OvermindNode, key: PrivateKey, ids: string[], published: () => void): ReturnType<typeof setInterval> {
  const knowledge = node.libp2p.services.knowledge
  if (knowledge == null) throw new Error('a hostile member needs the knowledge topic')
  node.libp2p.services.pubsub.topicValidators.delete(knowledge.topic)
  let seq = 1_000_000n
  const timer = setInterval(() => {
    void (async () => {
      const body = Chunk.encode({ author: node.libp2p.peerId.toMultihash().bytes, agent: 'hostile', zone: Zone.FEDERATION, text: `a forged fact ${seq}`, tags: [], hlcWallTime: BigInt(Date.now()), hlcLogical: 0, seq: seq++ })
      const signature = await key.sign(new Uint8Array([...DOMAIN, ...body]))
      signature[0] ^= 0xff
      ids.push(entryId(body))
      await node.libp2p.services.pubsub.publish(knowledge.topic, KnowledgeBatch.encode({ entries: [SignedEntry.encode({ kind: EntryKind.CHUNK, body, signature: new Uint8Array(signature) })] }))
      published()
    })().catch(() => {})
  }, FORGE_EVERY_MS)
  return timer
}

/** A call to a shard in a worker thread, and its answer */
export interface ShardCall { id: number, method: keyof Shard, args: unknown[] }
export type ShardAnswer = { id: number, result: unknown } | { id: number, error: { name: string, message: string } }

/**
 * A shard in a worker thread of this process: each method is a message to
 * the worker's `ShardHost` and its answer. Errors keep their name, which is
 * what a report counts failed runs by.
 */
export class WorkerShard implements Shard {
  private readonly worker: Worker
  private readonly pending = new Map<number, PromiseWithResolvers<unknown>>()
  private next = 0
  private failure?: Error

  constructor (init: ShardInit, threads: Map<number, MessagePort>) {
    this.worker = new Worker(new URL('./shard-worker.js', import.meta.url), {
      workerData: { init, threads },
      transferList: [...threads.values()]
    })
    this.worker.on('message', (answer: ShardAnswer) => {
      const call = this.pending.get(answer.id)
      if (call == null) return
      this.pending.delete(answer.id)
      if ('error' in answer) {
        const err = new Error(answer.error.message)
        err.name = answer.error.name
        call.reject(err)
      } else {
        call.resolve(answer.result)
      }
    })
    const fail = (err: Error): void => {
      this.failure = err
      for (const call of this.pending.values()) call.reject(err)
      this.pending.clear()
    }
    this.worker.on('error', fail)
    this.worker.on('exit', code => { fail(new Error(`the worker of shard ${init.shard} exited with code ${code}`)) })
  }

  private async call (method: keyof Shard, ...args: unknown[]): Promise<any> {
    if (this.failure != null) throw this.failure
    const id = this.next++
    const call = Promise.withResolvers<unknown>()
    this.pending.set(id, call)
    this.worker.postMessage({ id, method, args } satisfies ShardCall)
    return await call.promise
  }

  async start (index: number, bootstrap: string[], relays: string[]): Promise<string[]> { return await this.call('start', index, bootstrap, relays) }
  async stop (index: number): Promise<void> { await this.call('stop', index) }
  async setGroups (groups: number[] | undefined): Promise<void> { await this.call('setGroups', groups) }
  async tablesFull (others: number): Promise<boolean> { return await this.call('tablesFull', others) }
  async write (index: number, text: string, zone: 'shared' | 'private' | undefined): Promise<ShardWrite> { return await this.call('write', index, text, zone) }
  async holdsAll (ids: string[]): Promise<boolean> { return await this.call('holdsAll', ids) }
  async holders (ids: string[]): Promise<number[][]> { return await this.call('holders', ids) }
  async progress (): Promise<{ deliveries: number, eventLoopDelayP99Ms: number }> { return await this.call('progress') }
  async forge (index: number): Promise<void> { await this.call('forge', index) }
  async shapeLinks (fault: Fault, at: number): Promise<void> { await this.call('shapeLinks', fault, at) }
  async rpc (index: number, method: string, params: Record<string, unknown>): Promise<unknown> { return await this.call('rpc', index, method, params) }
  async rejected (except: number[]): Promise<Record<string, number>> { return await this.call('rejected', except) }
  async digests (): Promise<string[]> { return await this.call('digests') }
  async links (): Promise<Array<[number, OpenConnection[]]>> { return await this.call('links') }
  async figures (): Promise<ShardFigures> { return await this.call('figures') }
  async published (): Promise<number> { return await this.call('published') }

  async close (): Promise<void> {
    if (this.failure == null) await this.call('close').catch(() => {})
    await this.worker.terminate()
  }
}
