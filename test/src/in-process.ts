import { generateKeyPair } from '@libp2p/crypto/keys'
import { generateKey } from '@libp2p/pnet'
import { defaultConfig } from '@overmind/config'
import { OvermindNode } from '@overmind/node'
import { MemoryDatastore } from 'datastore-core'
import type { OvermindConfig } from '@overmind/config'
import type { CreateOvermindNodeInit } from '@overmind/node'

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
  options.config?.(config)
  const node = await OvermindNode.create({
    config,
    privateKey: await generateKeyPair('Ed25519'),
    psk: options.psk,
    datastore: options.datastore ?? new MemoryDatastore(),
    libp2p: options.libp2p
  })
  await node.start()
  return node
}

export function tcpAddress (node: OvermindNode): string {
  const addr = node.addresses().find(a => a.includes('/tcp/') && !a.includes('/ws'))
  if (addr == null) throw new Error('node has no TCP address')
  return addr
}
