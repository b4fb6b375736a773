import { hostname } from 'node:os'
import { autoNATv2 } from '@libp2p/autonat-v2'
import { bootstrap } from '@libp2p/bootstrap'
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { gossipsub } from '@libp2p/gossipsub'
import { identify, identifyPush } from '@libp2p/identify'
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { isPrivate } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { MAX_INBOUND_RUN_STREAMS, TaskBoard, runAgent } from '@overmind/agents'
import { heartbeat, heartbeatTopic, heartbeatTopicScoreParams } from '@overmind/heartbeat'
import { knowledge, knowledgeTopic, memoryQuery, memorySync } from '@overmind/replication'
import { HybridLogicalClock } from '@overmind/hlc'
import { createLibp2p, dnsaddrResolver } from 'libp2p'
import { sha256 } from 'multiformats/hashes/sha2'
import { concat as uint8ArrayConcat } from 'uint8arrays/concat'
import { toString as uint8ArrayToString } from 'uint8arrays/to-string'
import { meshLogger } from './debug-logger.js'
import { delegation } from './delegation.js'
import { hostedAgents } from './hosted-agents.js'
import type { Delegations } from './delegation.js'
import { dnsResolver } from './dns-resolver.js'
import { meshDialer } from './mesh-dialer.js'
import { libp2pMetrics } from './metrics.js'
import { stunServer } from './stun-server.js'
import { linkTidy } from './link-tidy.js'
import { meshNoise } from './noise-keys.js'
import { webRTCLinks } from './webrtc-links.js'
import { AGENT_VERSION, VERSION } from './version.js'
import type { MeshDialer } from './mesh-dialer.js'
import type { StunServer } from './stun-server.js'
import type { WebRTCLinks } from './webrtc-links.js'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import type { RPC } from '@libp2p/gossipsub/message'
import type { Identify, IdentifyPush } from '@libp2p/identify'
import type { PrivateKey, Libp2p, PeerDiscoveryEvents, TypedEventTarget } from '@libp2p/interface'
import type { KadDHT } from '@libp2p/kad-dht'
import type { Ping } from '@libp2p/ping'
import type { AgentFunction, RunAgentService } from '@overmind/agents'
import type { OvermindConfig } from '@overmind/config'
import type { HeartbeatService, LocalReport } from '@overmind/heartbeat'
import type { MemoryStore } from '@overmind/memory'
import type { KnowledgeService, MemoryQueryService, MemorySyncService } from '@overmind/replication'
import type { Datastore } from 'interface-datastore'
import type { Libp2pOptions } from 'libp2p'
import type { Registry } from 'prom-client'
import type { DiscoverySource } from '@overmind/api'

/** Largest yamux receive window of a stream: 2 MiB */
const MAX_STREAM_WINDOW = 2 * 1024 * 1024

/**
 * Streams a peer may open on a new connection before this node has finished
 * accepting it (the muxer is up, libp2p has not taken the connection yet):
 * as many as one protocol of ours accepts at once (run-agent's limit), where
 * yamux's default of 10 resets the whole connection when a caller's burst of
 * runs reaches a host that is slow to finish (a loaded event loop)
 */
const MAX_EARLY_STREAMS = MAX_INBOUND_RUN_STREAMS

/**
 * The stream muxer of a node: yamux with receive windows of at most
 * MAX_STREAM_WINDOW, so a reader that pauses a stream (a sync exchange
 * whose pages wait to be written) holds at most that much of it in memory,
 * and room for MAX_EARLY_STREAMS streams opened while a connection is
 * still being accepted
 */
export function meshStreamMuxer (): ReturnType<typeof yamux> {
  return yamux({ maxEarlyStreams: MAX_EARLY_STREAMS, streamOptions: { maxStreamWindowSize: MAX_STREAM_WINDOW } })
}

export interface OvermindServices extends Record<string, unknown> {
  identify: Identify
  identifyPush: IdentifyPush
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
  heartbeat: HeartbeatService
  dialer: MeshDialer
  /** Closes the extra links to a peer once one does not go through a relay */
  linkTidy: unknown
  runAgent: RunAgentService
  /** Agents lent to and by this node */
  delegation: Delegations
  /** Present when the node has a memory store */
  knowledge?: KnowledgeService
  memorySync?: MemorySyncService
  memoryQuery?: MemoryQueryService
  /** Present when nat.webrtc is on */
  webrtcLinks?: WebRTCLinks
  /** Present on a relay node that serves STUN (nat.stunPort) */
  stun?: StunServer
}

/** How this node first learned of a peer */
/**
 * How this node first learned of a peer: a discovery mechanism, or a
 * connection (`inbound` when the peer dialled us before we heard of it)
 */
export type { DiscoverySource }

export interface OvermindNodeInit {
  config: OvermindConfig
  privateKey: PrivateKey
  /** The mesh key in the pnet file format */
  psk: Uint8Array
  /** Where the peer store and DHT records live; in memory when omitted */
  datastore?: Datastore
  /** Called before each heartbeat for the node's agents and load */
  report?(): LocalReport
  /** Median replication lag of the node's memory, announced in heartbeats */
  replicationLag?: { medianMs(): number }
  /** Federated memory served and replicated by this node; none when omitted */
  memory?: MemoryStore
  /**
   * The node's hybrid logical clock, shared by the heartbeat and the memory
   * store so every timestamp the node issues is causally ordered after
   * everything it has received
   */
  clock?: HybridLogicalClock
  /** Folder relative agent working directories are resolved against */
  dataDir?: string
  /** In-process agent functions by name, for agents declared with `runner: builtin` */
  agentFunctions?: Record<string, AgentFunction>
  /**
   * Collect libp2p's own Prometheus metrics (connections, streams, dials,
   * DHT, gossipsub, the process) in `registry`. Off when omitted: a
   * simulation of many nodes in one process has no use for them
   */
  metrics?: boolean
  /**
   * The Prometheus registry of this node, never shared with another node:
   * libp2p's metrics go there when `metrics` is on, and `OvermindNode` adds
   * its `overmind_` series
   */
  registry?: Registry
  /** Extra libp2p options merged over the defaults (connection gater, limits…) */
  libp2p?: Partial<Libp2pOptions<any>>
}

/** The name a node announces: `identity.name`, or the host name */
export function nodeName (config: OvermindConfig): string {
  return config.identity.name !== '' ? config.identity.name : hostname().slice(0, 64)
}

/** The DHT protocol of one mesh: never the public IPFS DHT */
export function dhtProtocol (mesh: string): string {
  return `/overmind/${mesh}/kad/1.0.0`
}

/** Loopback is exempt from per-address connection limits: only local processes use it */
const LOOPBACK_ALLOW = ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128']
/** How often libp2p pings each connection, and how late a ping may be before the link is judged dead */
const CONNECTION_PING_INTERVAL = 15_000
const CONNECTION_PING_TIMEOUT = 15_000

/**
 * Assembles the libp2p node of an Overmind peer: TCP and WebSockets, the
 * mesh's pre-shared key, noise, yamux, identify, ping, a mesh-scoped
 * Kademlia DHT, gossipsub with strict signing, and the Overmind services;
 * behind NAT circuit relays, DCUtR and WebRTC links punched through a relay
 * with the STUN servers relays serve (protocols/webrtc.md).
 */
export async function createOvermindLibp2p (init: OvermindNodeInit): Promise<Libp2p<OvermindServices>> {
  const { config } = init
  const mesh = config.mesh.name
  const clock = init.clock ?? new HybridLogicalClock()
  /** The STUN server of a relay node, announced in its heartbeats; set once libp2p is made */
  let stun: StunServer | undefined
  /** Where the runs of session agents wait for workers (the local API's task operations) */
  const tasks = new TaskBoard({ log: meshLogger().forComponent('overmind:run-agent:tasks') })
  const services: Record<string, (components: any) => unknown> = {
    identify: identify(),
    // tells connected peers when this node's addresses change: a home's
    // /p2p-circuit address exists only once its relay reservation is made,
    // after the first identify, and peers learn it from the relay (DHT)
    identifyPush: identifyPush(),
    // heartbeat, the DHT and libp2p's connection monitor all ping
    ping: ping({ maxOutboundStreams: 4, maxInboundStreams: 8 }),
    dht: kadDHT({
      protocol: dhtProtocol(mesh),
      clientMode: config.dht.clientMode,
      peerInfoMapper: config.dht.addressFilter === 'public' ? removePrivateAddressesMapper : passthroughMapper,
      querySelfInterval: config.dht.querySelfInterval,
      initialQuerySelfInterval: Math.min(1_000, config.dht.querySelfInterval)
    }),
    pubsub: graylistPromptly(gossipsub({
      globalSignaturePolicy: 'StrictSign',
      allowPublishToZeroTopicPeers: true,
      // homes behind NAT reach each other only through a relay: their
      // relayed (limited) connections carry gossip too, within the limits
      // our relays set (nat.relayData, nat.relayDuration)
      runOnLimitedConnection: true,
      msgIdFn: contentMessageId,
      // a copy of a message already seen is dropped before its signature is
      // checked again: each message arrives from several mesh peers
      fastMsgIdFn: signatureMessageId,
      // nodes on one machine share an IP: without this, more than ten local
      // nodes score each other below the graylist and stop exchanging messages
      scoreParams: {
        IPColocationFactorWhitelist: new Set(['127.0.0.1', '::1']),
        // an invalid beat or entry costs its sender the same way
        topics: { [heartbeatTopic(mesh)]: heartbeatTopicScoreParams(), [knowledgeTopic(mesh)]: heartbeatTopicScoreParams() }
      },
      // heartbeats can be larger than the default but never huge
      maxInboundDataLength: 1024 * 1024
    })),
    heartbeat: heartbeat({
      mesh,
      interval: config.heartbeat.interval,
      stretchAbove: config.heartbeat.stretchAbove,
      staleAfter: config.heartbeat.staleAfter,
      goneAfter: config.heartbeat.goneAfter,
      pingTimeout: config.heartbeat.pingTimeout,
      version: AGENT_VERSION,
      name: nodeName(config),
      clock,
      // what this node's memory holds and how far behind it is, for every member's picture of the mesh
      report: () => {
        const memory = init.memory
        const own = { stun: stun?.addresses(), ...init.report?.() }
        if (memory == null) return own
        const chunks = memory.stats().chunks
        return { memoryChunks: chunks.federation + chunks.shared, replicationLagMs: init.replicationLag?.medianMs(), ...own }
      }
    }),
    runAgent: runAgent({
      mesh,
      agents: hostedAgents(config, { ...init, tasks }),
      tasks,
      maxQueue: config.runs.maxQueue,
      maxQueuePerCaller: config.runs.maxQueuePerCaller,
      deadline: config.runs.deadline,
      retries: config.runs.retries,
      lookupTimeout: config.runs.lookupTimeout,
      provideInterval: config.runs.provideInterval
    }),
    dialer: meshDialer({
      bootstrap: config.bootstrap,
      targetPeers: config.discovery.targetPeers,
      rejoinInterval: config.discovery.rejoinInterval
    }),
    linkTidy: linkTidy(),
    delegation: delegation({
      mesh,
      config: config.delegation,
      agents: config.agents,
      memory: init.memory,
      dataDir: init.dataDir,
      agentFunctions: init.agentFunctions,
      tasks
    })
  }
  if (init.memory != null) {
    services.knowledge = knowledge({ mesh, store: init.memory })
    services.memorySync = memorySync({ store: init.memory, interval: config.memory.syncInterval })
    services.memoryQuery = memoryQuery({ store: init.memory, deadline: config.memory.queryDeadline })
  }
  if (config.bootstrap.length > 0) {
    services.bootstrap = bootstrap({ list: config.bootstrap, timeout: 0 })
  }
  if (config.discovery.mdns) {
    services.mdns = mdns({ serviceTag: `overmind-${mesh}.local`, interval: 10_000 })
  }
  const role = natRole(config)
  if (role === 'relay') {
    services.relay = circuitRelayServer({
      reservations: {
        maxReservations: config.nat.maxReservations,
        // sized for real runs: the library's defaults cut a link after 2 minutes or 128 KiB
        defaultDurationLimit: config.nat.relayDuration,
        defaultDataLimit: BigInt(config.nat.relayData)
      }
    })
  }
  if (config.nat.autonat) {
    services.autoNAT = autoNATv2()
  }
  if (config.nat.holePunch) {
    services.dcutr = dcutr()
  }
  if (role === 'relay' && config.nat.stun) {
    services.stun = stunServer({ port: config.nat.stunPort })
  }
  if (config.nat.webrtc) {
    services.webrtcLinks = webRTCLinks({ timeout: config.nat.webrtcTimeout })
  }
  const listen = [...config.listen]
  if (role === 'private') {
    // one reservation on a relay of the mesh; its /p2p-circuit address is announced
    listen.push('/p2p-circuit')
    // and WebRTC links signalled through it
    if (config.nat.webrtc) listen.push('/webrtc')
  }
  /** STUN servers of the mesh's relays, from their heartbeats: ICE never asks a server outside the mesh */
  let iceServers = (): string[] => []
  const options: Libp2pOptions<any> = {
    privateKey: init.privateKey,
    // unprefixed, so DEBUG=overmind:* and DEBUG=libp2p:* select components by name
    logger: meshLogger(),
    nodeInfo: { name: 'overmind', version: VERSION, userAgent: AGENT_VERSION },
    datastore: init.datastore,
    addresses: {
      listen,
      announce: config.announce.length > 0 ? config.announce : undefined,
      // a WebRTC address is not announced: a dial by peer id would try it first and wait out a
      // failed ICE attempt, and DCUtR takes /p2p-circuit/webrtc for a public address and closes
      // relayed connections on its way; links are punched by the webrtcLinks service alone,
      // behind the relay a relayed connection came through
      announceFilter: addresses => addresses.filter(address => !address.toString().includes('/webrtc'))
    },
    transports: [
      tcp(),
      webSockets(),
      circuitRelayTransport(),
      ...(config.nat.webrtc ? [webRTC({ rtcConfiguration: () => ({ iceServers: iceServers().map(urls => ({ urls })) }) })] : [])
    ],
    connectionEncrypters: [meshNoise()],
    // a stream's window stays below what a paused reader may buffer (4 MiB),
    // so a reader that pauses (a sync page waiting for the disk) holds the
    // sender back instead of overflowing
    streamMuxers: [meshStreamMuxer()],
    connectionProtector: preSharedKey({ psk: init.psk }),
    // libp2p pings every connection and aborts it when a ping is late. Its
    // defaults (every 10 s, late after 5 s) cut the links of a node whose
    // event loop is busy for a few seconds, and the redials, handshakes and
    // resubscriptions that follow keep it busy: a crowded machine never
    // settles. A dead link is still found within 30 s.
    connectionMonitor: {
      pingInterval: CONNECTION_PING_INTERVAL,
      pingTimeout: { minTimeout: CONNECTION_PING_TIMEOUT, maxTimeout: 4 * CONNECTION_PING_TIMEOUT }
    },
    connectionManager: {
      maxConnections: config.connections.maxConnections,
      allow: [...LOOPBACK_ALLOW, ...config.connections.allow],
      // names (a relay at /dns4/relay.example/…) are dialled by their addresses; /dnsaddr as libp2p does it
      resolvers: { dnsaddr: dnsaddrResolver, dns: dnsResolver() }
    },
    services,
    metrics: init.metrics === true && init.registry != null ? await libp2pMetrics(init.registry, { statfsLocation: init.dataDir }) : undefined,
    ...init.libp2p
  }
  const libp2p = await createLibp2p(options) as unknown as Libp2p<OvermindServices>
  iceServers = () => stunServers(libp2p)
  stun = libp2p.services.stun
  return libp2p
}

/** STUN servers of up to 4 relays, the connected ones first, as `stun:` URLs */
function stunServers (libp2p: Libp2p<OvermindServices>): string[] {
  const urls: string[] = []
  const peers = libp2p.services.heartbeat.peers()
    .filter(peer => peer.stun.length > 0)
    .sort((a, b) => Number(b.status === 'connected') - Number(a.status === 'connected'))
  for (const peer of peers) {
    for (const url of peer.stun) if (!urls.includes(url)) urls.push(url)
  }
  return urls.slice(0, 4)
}

export type NatRole = 'relay' | 'public' | 'private'

/**
 * The part a node plays in reaching others. `auto` is `private` when the
 * node has no public address and knows relays to reserve on (`nat.relays`),
 * and `public` otherwise: a node without known relays does not hunt for one
 * (listening on `/p2p-circuit` with no relay in reach keeps walking the DHT).
 */
export function natRole (config: OvermindConfig): NatRole {
  if (config.nat.role !== 'auto') return config.nat.role
  const own = [...config.announce, ...config.listen].map(a => multiaddr(a))
  const reachable = own.some(ma => isPrivate(ma) === false && !ma.toString().startsWith('/ip4/0.0.0.0') && !ma.toString().startsWith('/ip6/::/'))
  return !reachable && config.nat.relays.length > 0 ? 'private' : 'public'
}

/**
 * Makes a sender of invalid messages face its score at its next message.
 * Gossipsub reads up to 128 RPCs (or a second of them) from a peer whose
 * score was last seen at 0 or above without looking at the score again, and
 * caches scores for a second: a flood of invalid messages had some 250 of
 * them checked before its sender was graylisted. Each invalid message now
 * drops its sender's cached score and that allowance, so the few that put
 * it under the graylist threshold are the last ones read.
 */
function graylistPromptly (factory: (components: any) => GossipSub): (components: any) => GossipSub {
  return (components) => {
    const pubsub = factory(components)
    const internals = pubsub as unknown as {
      acceptFromWhitelist?: Map<string, unknown>
      score: { scoreCache?: Map<string, unknown>, markInvalidMessageDelivery(from: string, topic: string): void }
    }
    const { score, acceptFromWhitelist } = internals
    const scoreCache = score.scoreCache
    if (!(acceptFromWhitelist instanceof Map) || !(scoreCache instanceof Map)) {
      throw new Error('this version of @libp2p/gossipsub keeps no acceptFromWhitelist or scoreCache: revisit graylistPromptly')
    }
    const markInvalid = score.markInvalidMessageDelivery.bind(score)
    score.markInvalidMessageDelivery = (from, topic) => {
      markInvalid(from, topic)
      scoreCache.delete(from)
      acceptFromWhitelist.delete(from)
    }
    return pubsub
  }
}

/** Message ids come from content, so a message re-published unchanged is one message */
async function contentMessageId (msg: Message): Promise<Uint8Array> {
  const digest = await sha256.digest(msg.type === 'signed'
    ? uint8ArrayConcat([msg.from.toMultihash().bytes, msg.data])
    : msg.data)
  return digest.digest
}

/**
 * The key of a message before it is validated: its signature, which differs
 * for every signed message. Only messages that passed validation enter the
 * cache, so a forged copy reusing a signature is still checked (and refused)
 * unless the genuine message came first, in which case it is dropped as a
 * copy. Unsigned messages never pass under `StrictSign`.
 */
function signatureMessageId (msg: RPC.Message): string {
  if (msg.signature != null) {
    return uint8ArrayToString(msg.signature, 'base64')
  }
  return `unsigned:${uint8ArrayToString(uint8ArrayConcat([msg.seqno ?? new Uint8Array(0), msg.data ?? new Uint8Array(0)]), 'base64')}`
}

/** Event targets of the discovery mechanisms, by source name */
export function discoverySources (node: Libp2p<OvermindServices>): Array<[DiscoverySource, TypedEventTarget<PeerDiscoveryEvents>]> {
  const sources: Array<[DiscoverySource, TypedEventTarget<PeerDiscoveryEvents>]> = []
  const services = node.services as Record<string, unknown>
  for (const [name, source] of [['dht', 'dht'], ['bootstrap', 'bootstrap'], ['mdns', 'mdns']] as const) {
    const service = services[name] as Partial<TypedEventTarget<PeerDiscoveryEvents>> | undefined
    if (service?.addEventListener != null) {
      sources.push([source, service as TypedEventTarget<PeerDiscoveryEvents>])
    }
  }
  return sources
}
