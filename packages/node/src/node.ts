import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { HybridLogicalClock } from '@overmind/hlc'
import { HashingEmbedder, HttpEmbedder, MemoryStore, SentenceEmbedder } from '@overmind/memory'
import { Registry } from 'prom-client'
import { createOvermindLibp2p, dhtProtocol, discoverySources, nodeName } from './create-node.js'
import { EventLoopMonitor } from './event-loop.js'
import { ReplicationLag } from './replication-lag.js'
import { connectionKind, NodeMetrics } from './metrics.js'
import { icePair } from './webrtc-links.js'
import { AGENT_VERSION } from './version.js'
import type { DiscoverySource, OvermindNodeInit, OvermindServices } from './create-node.js'
import { TypedEventEmitter } from '@libp2p/interface'
import type { IdentifyResult, Libp2p, Logger, PeerDiscoveryEvents, PeerInfo, TypedEventTarget, Connection } from '@libp2p/interface'
import type { PeerEntry, PeerStatus, PeerStatusChange } from '@overmind/heartbeat'
import type { ConnectionReport, MeshConnection, MeshEvents, NodePort, NodeStatus, OtherMeshPeer, PeerReport } from '@overmind/api'
import type { LinkKind } from '@overmind/protocols'
import type { RunAgentService } from '@overmind/agents'
import type { Delegations } from './delegation.js'
import type { MemoryQueryService } from '@overmind/replication'
import type { Datastore } from 'interface-datastore'
import type { OvermindConfig } from '@overmind/config'
import type { Embedder, MemoryStoreInit } from '@overmind/memory'

export interface OvermindNodeEvents extends MeshEvents {
  /** A peer with this mesh's key and another mesh name identified itself: neither sees the other */
  'mesh:other': CustomEvent<OtherMeshPeer>
}

export interface CreateOvermindNodeInit extends OvermindNodeInit {
  /** Closed when the node stops, after libp2p */
  datastore?: Datastore & { open?(): Promise<void>, close?(): Promise<void> }
  /** Folder of the memory store (LevelDB); the node has no memory when omitted */
  memoryPath?: string
  /** Awaited before each batch the memory store writes (a simulated slow disk) */
  beforeMemoryWrite?: MemoryStoreInit['beforeWrite']
  /** Whether a missing memory store may be created @default true */
  createMemory?: boolean
}

/** The embedder a config asks for */
export function createEmbedder (config: OvermindConfig['memory']): Embedder {
  if (config.embedder === 'http') {
    return new HttpEmbedder({ url: config.embedderUrl, model: config.embedderModel, apiKey: config.embedderKey })
  }
  if (config.embedder === 'sentence') return new SentenceEmbedder({ threads: config.embedderThreads > 0 ? config.embedderThreads : undefined })
  return new HashingEmbedder({ dimensions: config.dimensions })
}

/** Opens the memory store of a node with its identity and config */
export async function openMemoryStore (path: string, init: Pick<CreateOvermindNodeInit, 'config' | 'privateKey' | 'clock' | 'beforeMemoryWrite' | 'createMemory'>): Promise<MemoryStore> {
  const { memory } = init.config
  return await MemoryStore.open({
    path,
    privateKey: init.privateKey,
    peerId: peerIdFromPrivateKey(init.privateKey),
    clock: init.clock,
    beforeWrite: init.beforeMemoryWrite,
    create: init.createMemory,
    embedder: createEmbedder(memory),
    defaultZone: memory.defaultZone,
    replicatedZones: memory.replicateShared ? ['federation', 'shared'] : ['federation'],
    useInterval: memory.useInterval,
    rankWeights: { confidence: memory.rankConfidence, salience: memory.rankSalience },
    consolidateInterval: memory.consolidateInterval,
    duplicateSimilarity: memory.duplicateSimilarity,
    prune: { enabled: memory.prune, action: memory.pruneAction, after: memory.archiveAfter, salienceBelow: memory.archiveSalience, confidenceBelow: memory.archiveConfidence },
    signals: { agents: memory.signalAgents, nodes: memory.signalNodes, similarity: memory.signalSimilarity, window: memory.signalWindow, grace: memory.signalGrace }
  })
}

/**
 * An Overmind node: the libp2p peer with the Overmind services, the datastore
 * under it, and what operators ask of it (status, peer table).
 */
export class OvermindNode extends TypedEventEmitter<OvermindNodeEvents> implements NodePort {
  readonly libp2p: Libp2p<OvermindServices>
  readonly mesh: string
  /** Federated memory, when the node was created with a memory path */
  readonly memory?: MemoryStore
  /** Prometheus metrics of this node: its `overmind_` series, and libp2p's when `metrics` is on */
  readonly registry: Registry
  /** Event-loop delay of this process, measured while the node runs */
  readonly eventLoop = new EventLoopMonitor()
  private readonly metrics: NodeMetrics
  private readonly datastore?: CreateOvermindNodeInit['datastore']
  private readonly discovered = new Map<string, { via: DiscoverySource, at: number }>()
  private readonly detach: Array<() => void> = []
  private startedAt = 0
  private readonly relays: string[]
  readonly name: string
  /** Connected members identified before their first beat: listed as `connected` at once */
  private readonly identified = new Map<string, { agentVersion: string, at: number }>()
  private readonly otherMeshes = new Map<string, OtherMeshPeer>()
  /** How far behind its peers' writes this node's memory is */
  private replicationLag?: ReplicationLag

  private constructor (libp2p: Libp2p<OvermindServices>, mesh: string, registry: Registry, datastore?: CreateOvermindNodeInit['datastore'], memory?: MemoryStore, relays: string[] = [], name = '') {
    super()
    this.name = name
    this.libp2p = libp2p
    this.relays = relays
    this.mesh = mesh
    this.datastore = datastore
    this.memory = memory
    this.registry = registry
    this.metrics = new NodeMetrics(this, registry)
  }

  static async create (init: CreateOvermindNodeInit): Promise<OvermindNode> {
    await init.datastore?.open?.()
    // one clock per node: memory entries and heartbeats are stamped, and advanced, by the same clock
    const clock = init.clock ?? new HybridLogicalClock()
    let memory: MemoryStore | undefined
    let lag: ReplicationLag | undefined
    try {
      memory = init.memoryPath != null ? await openMemoryStore(init.memoryPath, { ...init, clock }) : undefined
      // one registry per node: several nodes of one process never mix their series
      const registry = init.registry ?? new Registry()
      lag = memory != null ? new ReplicationLag(memory, peerIdFromPrivateKey(init.privateKey).toString()) : undefined
      const libp2p = await createOvermindLibp2p({ ...init, clock, registry, memory, replicationLag: lag, libp2p: { ...init.libp2p, start: false } })
      const node = new OvermindNode(libp2p, init.config.mesh.name, registry, init.datastore, memory, init.config.nat.relays, nodeName(init.config))
      node.replicationLag = lag
      return node
    } catch (err) {
      lag?.stop()
      await memory?.close()
      await init.datastore?.close?.()
      throw err
    }
  }

  get peerId (): string {
    return this.libp2p.peerId.toString()
  }

  /** Software name and version, as announced in heartbeats and identify */
  get version (): string {
    return AGENT_VERSION
  }

  /** Heartbeats, peer status changes and connections as they happen (the node forwards them) */
  get events (): TypedEventTarget<MeshEvents> {
    return this
  }

  get runs (): RunAgentService {
    return this.libp2p.services.runAgent
  }

  get delegation (): Delegations {
    return this.libp2p.services.delegation
  }

  get federated (): MemoryQueryService | undefined {
    return this.libp2p.services.memoryQuery
  }

  logger (component: string): Logger {
    return this.libp2p.logger.forComponent(component)
  }

  /** Open connections of this node */
  connections (): MeshConnection[] {
    return this.libp2p.getConnections().map(meshConnection)
  }

  async start (): Promise<void> {
    this.eventLoop.start()
    this.trackDiscovery()
    this.metrics.start()
    await this.libp2p.start()
    this.startedAt = Date.now()
    await this.keepRelays()
  }

  /**
   * Configured relays are dialled and tagged keep-alive, so libp2p redials
   * them when they restart and the reservation is made again
   */
  private async keepRelays (): Promise<void> {
    for (const address of this.relays) {
      const ma = multiaddr(address)
      const peer = peerIdFromString(ma.getComponents().findLast(c => c.name === 'p2p')?.value ?? '')
      await this.libp2p.peerStore.merge(peer, { multiaddrs: [ma.decapsulateCode(421)], tags: { 'keep-alive-relay': { value: 1 } } })
      this.libp2p.dial(ma).catch(() => {
        // the reconnect queue tries again
      })
    }
  }

  async stop (): Promise<void> {
    for (const undo of this.detach.splice(0)) {
      undo()
    }
    this.replicationLag?.stop()
    this.metrics.stop()
    this.eventLoop.stop()
    // every part is stopped even when one fails (a full disk fails libp2p's
    // last datastore writes): the memory store still closes its files
    const failures: Error[] = []
    for (const step of [async () => { await this.libp2p.stop() }, async () => { await this.memory?.close() }, async () => { await this.datastore?.close?.() }]) {
      try {
        await step()
      } catch (err: any) {
        failures.push(err)
      }
    }
    if (failures.length === 1) throw failures[0]
    if (failures.length > 1) throw new AggregateError(failures, failures.map(err => err.message).join('; '))
  }

  /** Full multiaddrs this node can be dialled on */
  addresses (): string[] {
    return this.libp2p.getMultiaddrs().map(ma => ma.toString())
  }

  status (): NodeStatus {
    const { heartbeat, dht } = this.libp2p.services
    const peers: Record<PeerStatus, number> = { connected: 0, alive: 0, stale: 0, gone: 0 }
    for (const peer of this.peers()) {
      peers[peer.status]++
    }
    const connections = this.libp2p.getConnections()
    return {
      peerId: this.peerId,
      mesh: this.mesh,
      version: AGENT_VERSION,
      addresses: this.addresses(),
      startedAt: this.startedAt,
      uptimeMs: this.startedAt > 0 ? Date.now() - this.startedAt : 0,
      connections: connections.length,
      connectedPeers: new Set(connections.map(c => c.remotePeer.toString())).size,
      links: linkCounts(connections),
      peers,
      dht: {
        protocol: dhtProtocol(this.mesh),
        mode: dht.getMode(),
        routingTable: (dht as unknown as { routingTable?: { size: number } }).routingTable?.size ?? 0
      },
      memory: this.memory?.stats(),
      heartbeat: {
        topic: heartbeat.topic,
        intervalMs: heartbeat.currentInterval,
        configuredIntervalMs: heartbeat.interval,
        staleAfter: heartbeat.staleAfter,
        goneAfter: heartbeat.goneAfter,
        ...heartbeat.getStats()
      },
      eventLoop: this.eventLoop.report(),
      name: this.name,
      otherMeshes: [...this.otherMeshes.values()],
      replicationLagMs: this.replicationLag?.medianMs() ?? 0
    }
  }

  /**
   * Every peer known from heartbeats, and every connected member not yet
   * heard from: a member is listed as `connected` as soon as identify shows
   * it speaks this mesh's protocols, and its beats fill in the rest
   */
  peers (): PeerReport[] {
    const entries = this.libp2p.services.heartbeat.peers()
    const known = new Set(entries.map(e => e.peerId))
    for (const [peerId, { agentVersion, at }] of this.identified) {
      if (known.has(peerId)) {
        // its beats speak for it from now on
        this.identified.delete(peerId)
        continue
      }
      entries.push(identifiedEntry(peerId, agentVersion, at))
    }
    const punches = this.libp2p.services.webrtcLinks?.reports()
    return entries.map(entry => {
      const found = this.discovered.get(entry.peerId)
      const holePunch = punches?.get(entry.peerId)
      return {
        ...entry,
        discoveredVia: found?.via,
        discoveredAt: found?.at,
        connections: this.libp2p.getConnections(peerIdFromString(entry.peerId)).map(reportConnection),
        ...(holePunch != null ? { holePunch } : {})
      }
    })
  }

  /** How this node first learned of each peer */
  discoveries (): Map<string, { via: DiscoverySource, at: number }> {
    return new Map(this.discovered)
  }

  private trackDiscovery (): void {
    const note = (peerId: string, via: DiscoverySource): void => {
      if (peerId !== this.peerId && !this.discovered.has(peerId)) {
        this.discovered.set(peerId, { via, at: Date.now() })
      }
    }
    const listen = <E extends keyof PeerDiscoveryEvents>(target: TypedEventTarget<PeerDiscoveryEvents>, type: E, fn: (evt: PeerDiscoveryEvents[E]) => void): void => {
      target.addEventListener(type, fn)
      this.detach.push(() => { target.removeEventListener(type, fn) })
    }
    for (const [via, source] of discoverySources(this.libp2p)) {
      listen(source, 'peer', (evt: CustomEvent<PeerInfo>) => { note(evt.detail.id.toString(), via) })
    }
    const onConnect = (evt: CustomEvent<Connection>): void => {
      note(evt.detail.remotePeer.toString(), evt.detail.direction)
    }
    this.libp2p.addEventListener('connection:open', onConnect)
    this.detach.push(() => { this.libp2p.removeEventListener('connection:open', onConnect) })
    // the mesh's events, forwarded for the API
    const { heartbeat } = this.libp2p.services
    const onBeat = (evt: CustomEvent<PeerEntry>): void => { this.safeDispatchEvent('heartbeat', { detail: evt.detail }) }
    const onStatus = (evt: CustomEvent<PeerStatusChange>): void => { this.safeDispatchEvent('peer:status', { detail: evt.detail }) }
    const onOpen = (evt: CustomEvent<Connection>): void => { this.safeDispatchEvent('mesh:connection', { detail: { action: 'open', connection: meshConnection(evt.detail) } }) }
    const onClosed = (evt: CustomEvent<Connection>): void => { this.safeDispatchEvent('mesh:connection', { detail: { action: 'close', connection: meshConnection(evt.detail) } }) }
    heartbeat.addEventListener('heartbeat', onBeat)
    heartbeat.addEventListener('peer:status', onStatus)
    this.libp2p.addEventListener('connection:open', onOpen)
    this.libp2p.addEventListener('connection:close', onClosed)
    this.detach.push(() => {
      heartbeat.removeEventListener('heartbeat', onBeat)
      heartbeat.removeEventListener('peer:status', onStatus)
      this.libp2p.removeEventListener('connection:open', onOpen)
      this.libp2p.removeEventListener('connection:close', onClosed)
    })
    const onIdentify = (evt: CustomEvent<IdentifyResult>): void => { this.noteIdentify(evt.detail) }
    const onClose = (evt: CustomEvent<Connection>): void => {
      const peer = evt.detail.remotePeer
      if (this.libp2p.getConnections(peer).length === 0) this.identified.delete(peer.toString())
    }
    this.libp2p.addEventListener('peer:identify', onIdentify)
    this.libp2p.addEventListener('connection:close', onClose)
    this.detach.push(() => {
      this.libp2p.removeEventListener('peer:identify', onIdentify)
      this.libp2p.removeEventListener('connection:close', onClose)
    })
  }

  /** What identify says of a peer: a member of this mesh, or of another one with the same key */
  private noteIdentify (result: IdentifyResult): void {
    const peerId = result.peerId.toString()
    const meshes = new Set<string>()
    for (const protocol of result.protocols) {
      const match = MESH_PROTOCOL.exec(protocol)
      if (match != null) meshes.add(match[1])
    }
    if (meshes.has(this.mesh)) {
      this.otherMeshes.delete(peerId)
      if (this.libp2p.getConnections(result.peerId).length > 0 && !this.libp2p.services.heartbeat.peers().some(p => p.peerId === peerId)) {
        this.identified.set(peerId, { agentVersion: result.agentVersion ?? '', at: Date.now() })
      }
      return
    }
    const other = [...meshes][0]
    if (other != null && !this.otherMeshes.has(peerId)) {
      const record = { peerId, mesh: other, at: Date.now() }
      this.otherMeshes.set(peerId, record)
      this.safeDispatchEvent('mesh:other', { detail: record })
    }
  }
}

/** The mesh name in an Overmind protocol id: /overmind/<mesh>/… */
const MESH_PROTOCOL = /^\/overmind\/([a-z0-9][a-z0-9._-]{0,62})\/heartbeat\//

/** A connected member not heard from yet: what identify told of it */
function identifiedEntry (peerId: string, agentVersion: string, at: number): PeerEntry {
  return {
    peerId,
    status: 'connected',
    lastSeen: at,
    firstSeen: at,
    missedBeats: 0,
    addresses: [],
    agents: [],
    load: 0,
    queueDepth: 0,
    freeSlots: 0,
    version: agentVersion,
    name: '',
    links: [],
    memoryChunks: 0,
    replicationLagMs: 0,
    stun: [],
    hlc: { wallTime: 0, logical: 0 },
    seq: 0,
    startedAt: 0,
    intervalMs: 0,
    beats: 0,
    restarts: 0
  }
}

/** Open connections by how they reach their peer */
function linkCounts (connections: Connection[]): Record<LinkKind, number> {
  const counts: Record<LinkKind, number> = { direct: 0, 'hole-punched': 0, relayed: 0 }
  for (const connection of connections) counts[connectionKind(connection)]++
  return counts
}

/** A connection with its id, peer and round-trip time, as the API and the page show it */
export function meshConnection (c: Connection): MeshConnection {
  return {
    ...reportConnection(c),
    id: c.id,
    peerId: c.remotePeer.toString(),
    rtt: c.rtt != null && Number.isFinite(c.rtt) ? c.rtt : undefined
  }
}

/** A connection as the API reports it */
export function reportConnection (c: Connection): ConnectionReport {
  const kind = connectionKind(c)
  const ice = kind === 'hole-punched' ? icePair(c) : undefined
  return {
    remoteAddr: c.remoteAddr.toString(),
    direction: c.direction,
    kind,
    ...(ice != null ? { ice } : {}),
    openedAt: c.timeline.open
  }
}
