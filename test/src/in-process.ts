import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { generateKey } from '@libp2p/pnet'
import { defaultConfig } from '@overmind/config'
import { OvermindNode } from '@overmind/node'
import { MemoryDatastore } from 'datastore-core'
import { Uint8ArrayList } from 'uint8arraylist'
import type { OvermindConfig } from '@overmind/config'
import type { CreateOvermindNodeInit } from '@overmind/node'
import type { PeerId, PrivateKey, StreamMuxerFactory } from '@libp2p/interface'

export function meshKey (): Uint8Array {
  const psk = new Uint8Array(95)
  generateKey(psk)
  return psk
}

export interface TestNodeOptions {
  mesh?: string
  psk: Uint8Array
  bootstrap?: string[]
  config?: (config: OvermindConfig) => void
  libp2p?: CreateOvermindNodeInit['libp2p']
  datastore?: CreateOvermindNodeInit['datastore']
  /** Give the node a memory store in a temporary folder, removed when it stops */
  memory?: boolean
  /** @default a new Ed25519 key */
  privateKey?: PrivateKey
  /** Turn on libp2p's own metrics (our series are always there) */
  metrics?: boolean
  /** In-process functions for agents declared with `runner: builtin` */
  agentFunctions?: CreateOvermindNodeInit['agentFunctions']
  /** Awaited before each batch the memory store writes */
  beforeMemoryWrite?: CreateOvermindNodeInit['beforeMemoryWrite']
}

/** A started node in this process, listening on loopback, with fast timers */
export async function startTestNode (options: TestNodeOptions): Promise<OvermindNode> {
  const config = defaultConfig()
  config.mesh.name = options.mesh ?? 'test'
  config.listen = ['/ip4/127.0.0.1/tcp/0']
  config.bootstrap = options.bootstrap ?? []
  config.heartbeat.interval = 300
  config.dht.querySelfInterval = 1_000
  config.discovery.rejoinInterval = 1_000
  // these tests are about the mesh, not meaning: the fast embedder
  config.memory.embedder = 'hash'
  config.memory.syncInterval = 2_000
  config.memory.queryDeadline = 2_000
  // a relay's STUN server on any free port: test files run side by side
  config.nat.stunPort = 0
  options.config?.(config)
  const memoryPath = options.memory === true ? await mkdtemp(join(tmpdir(), 'overmind-memory-')) : undefined
  const node = await OvermindNode.create({
    config,
    privateKey: options.privateKey ?? await generateKeyPair('Ed25519'),
    psk: options.psk,
    datastore: options.datastore ?? new MemoryDatastore(),
    memoryPath,
    libp2p: options.libp2p,
    agentFunctions: options.agentFunctions,
    metrics: options.metrics,
    beforeMemoryWrite: options.beforeMemoryWrite
  })
  if (memoryPath != null) {
    const stop = node.stop.bind(node)
    node.stop = async () => {
      await stop()
      await rm(memoryPath, { recursive: true, force: true })
    }
  }
  await node.start()
  return node
}

/** Keeps a node from ever connecting to the peers `deny` names, in either direction */
export function gater (deny: (peer: PeerId) => boolean): { denyDialPeer(peer: PeerId): boolean, denyInboundEncryptedConnection(peer: PeerId): boolean } {
  return { denyDialPeer: deny, denyInboundEncryptedConnection: deny }
}

export function tcpAddress (node: OvermindNode): string {
  const addr = node.addresses().find(a => a.includes('/tcp/') && !a.includes('/ws'))
  if (addr == null) throw new Error('node has no TCP address')
  return addr
}

/**
 * Wraps a muxer so every byte it writes to a connection (after the muxer,
 * before encryption: the plaintext of every protocol) is handed to `record`
 */
export function recordingMuxer (factory: (components: any) => StreamMuxerFactory, record: (data: Uint8Array) => void): (components: any) => StreamMuxerFactory {
  return (components) => {
    const inner = factory(components)
    return {
      protocol: inner.protocol,
      createStreamMuxer (conn) {
        const send = conn.send.bind(conn)
        conn.send = (data: Uint8Array | Uint8ArrayList) => {
          record(data instanceof Uint8Array ? data.slice() : data.subarray())
          return send(data)
        }
        return inner.createStreamMuxer(conn)
      }
    }
  }
}
