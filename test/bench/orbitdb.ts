/**
 * OrbitDB replication benchmark: how fast a fresh OrbitDB replica catches up
 * an `events` log. OrbitDB is the peer we compare our memory replication with.
 *
 * Two OrbitDB 4 nodes (helia 6, libp2p 3 on loopback TCP) run in this process.
 * A writes one entry per text, one after the other as OrbitDB appends; then B
 * dials A, opens A's database address and we time until B holds every entry.
 * Data lives in temp dirs that are removed at the end.
 *
 *   node orbitdb.js [N=1000]     prints the result for N texts of ~200 bytes
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { pathToFileURL } from 'node:url'
import { bitswap } from '@helia/block-brokers'
import { libp2pRouting } from '@helia/routers'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
// @ts-expect-error -- @orbitdb/core 4 ships no type declarations; the part we use is typed below
import { createOrbitDB as untypedCreateOrbitDB, ComposedStorage, IPFSBlockStorage, LRUStorage } from '@orbitdb/core'
import { LevelBlockstore } from 'blockstore-level'
import { MemoryDatastore } from 'datastore-core'
import { LevelDatastore } from 'datastore-level'
import { createHelia } from 'helia'
import { createLibp2p } from 'libp2p'
import type { Helia, HeliaInit } from 'helia'

/** An OrbitDB storage (entries, heads, index): only `get` matters to us */
interface OrbitStorage { get: (hash: string) => Promise<Uint8Array | undefined> }
interface EventsDatabase {
  address: string
  log: { heads: () => Promise<Array<{ hash: string }>> }
  add: (value: string) => Promise<string>
  all: () => Promise<Array<{ hash: string, value: string }>>
}
interface OrbitDB {
  open: (address: string, options?: { type?: 'events', entryStorage?: OrbitStorage }) => Promise<EventsDatabase>
  stop: () => Promise<void>
}
const createOrbitDB: (init: { ipfs: Helia, id: string, directory: string }) => Promise<OrbitDB> = untypedCreateOrbitDB

export interface OrbitdbReplicationOptions {
  /** How long B may take to catch up, in ms (default 10 minutes) */
  timeout?: number
  /** Called with the number of entries B has fetched so far */
  onProgress?: (have: number) => void
}

export interface OrbitdbReplicationResult {
  entries: number
  writeMs: number
  replicateMs: number
  perSecond: number
}

interface OrbitPeer { dir: string, ipfs: Helia, orbitdb: OrbitDB, datastore: LevelDatastore, blockstore: LevelBlockstore }

async function startPeer (name: string): Promise<OrbitPeer> {
  const dir = await mkdtemp(join(tmpdir(), `orbitdb-bench-${name}-`))
  const datastore = new LevelDatastore(join(dir, 'datastore'))
  const blockstore = new LevelBlockstore(join(dir, 'blocks'))
  await datastore.open()
  await blockstore.open()
  const libp2p = await createLibp2p({
    // In memory: libp2p's address manager still writes ~1 s after stop(), when a level store is closed
    datastore: new MemoryDatastore(),
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      // A writes before B subscribes: publishing to an empty topic must not throw
      pubsub: gossipsub({ allowPublishToZeroTopicPeers: true })
    }
  })
  const ipfs = await createHelia({
    libp2p,
    // helia 6 types its datastore with interface-datastore 9, datastore-level 13 implements 10
    datastore: datastore as unknown as HeliaInit['datastore'],
    blockstore,
    // Only bitswap and libp2p routing: helia's defaults also ask public HTTP gateways
    blockBrokers: [bitswap()],
    routers: [libp2pRouting(libp2p)]
  })
  const orbitdb = await createOrbitDB({ ipfs, id: name, directory: join(dir, 'orbitdb') })
  return { dir, ipfs, orbitdb, datastore, blockstore }
}

async function stopPeer (peer: OrbitPeer): Promise<void> {
  await peer.orbitdb.stop() // closes its open databases
  await peer.ipfs.stop() // stops libp2p too
  await peer.blockstore.close()
  await peer.datastore.close()
  await rm(peer.dir, { recursive: true, force: true })
}

/** OrbitDB's default entry storage, counting the distinct entries fetched through it */
async function countingEntryStorage (ipfs: Helia, onFetched: (count: number) => void): Promise<OrbitStorage> {
  const storage: OrbitStorage = await ComposedStorage(await LRUStorage({ size: 1000 }), await IPFSBlockStorage({ ipfs, pin: true }))
  const fetched = new Set<string>()
  return {
    ...storage,
    get: async (hash) => {
      const bytes = await storage.get(hash)
      if (bytes != null && !fetched.has(hash)) onFetched(fetched.add(hash).size)
      return bytes
    }
  }
}

export async function orbitdbReplication (texts: string[], options: OrbitdbReplicationOptions = {}): Promise<OrbitdbReplicationResult> {
  if (texts.length === 0) throw new RangeError('orbitdbReplication needs at least one text')
  const timeout = options.timeout ?? 10 * 60_000
  const peers: OrbitPeer[] = []
  try {
    const a = await startPeer('A'); peers.push(a)
    const b = await startPeer('B'); peers.push(b)

    const dbA = await a.orbitdb.open('bench-events', { type: 'events' })
    const w0 = performance.now()
    let lastHash = ''
    for (const text of texts) lastHash = await dbA.add(text)
    const writeMs = performance.now() - w0

    await b.ipfs.libp2p.dial(a.ipfs.libp2p.getMultiaddrs())
    const r0 = performance.now()
    const entryStorage = await countingEntryStorage(b.ipfs, (have) => options.onProgress?.(have))
    const dbB = await b.orbitdb.open(dbA.address, { entryStorage })
    // A appended sequentially, so its log has one head; B adds a head only once it
    // has fetched and verified every entry under it. Heads are cheap to read, all() is not.
    while (!(await dbB.log.heads()).some((entry) => entry.hash === lastHash)) {
      if (performance.now() - r0 > timeout) throw new DOMException(`B did not catch up ${texts.length} entries within ${timeout} ms`, 'TimeoutError')
      await sleep(25)
    }
    const replicateMs = performance.now() - r0

    const entries = (await dbB.all()).length
    if (entries !== texts.length) throw new Error(`B holds ${entries} entries, A wrote ${texts.length}`)
    return {
      entries,
      writeMs: Math.round(writeMs),
      replicateMs: Math.round(replicateMs),
      perSecond: Math.round(entries / (replicateMs / 1000))
    }
  } finally {
    const stops = await Promise.allSettled(peers.map(stopPeer))
    const reasons = stops.flatMap((stop) => stop.status === 'rejected' ? [stop.reason] : [])
    if (reasons.length > 0) throw new AggregateError(reasons, 'could not stop the OrbitDB peers cleanly')
  }
}

/** `count` texts of ~200 bytes, each different */
function sampleTexts (count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    `Memory chunk ${i}: `.padEnd(200, 'lorem ipsum dolor sit amet, consectetur adipiscing elit '))
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const count = Number(process.argv[2] ?? 1000)
  if (!Number.isInteger(count) || count < 1) {
    process.stderr.write('usage: node orbitdb.js [N=1000]   (N: a positive whole number of entries)\n')
    process.exit(2)
  }
  const result = await orbitdbReplication(sampleTexts(count), {
    onProgress: (have) => { if (process.stderr.isTTY) process.stderr.write(`\rB fetched ${have} / ${count}   `) }
  })
  if (process.stderr.isTTY) process.stderr.write('\n')
  console.log(JSON.stringify(result))
}
