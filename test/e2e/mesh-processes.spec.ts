import assert from 'node:assert/strict'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { NodeProcess, overmind, setConfig, tempDir } from '../src/cli.js'
import { waitFor } from '../src/wait.js'

const NODES = 10
const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws', '--api-port', '0']
/** Heartbeat settings of this mesh: a peer is gone after 4 missed one-second beats */
const HEARTBEAT = { 'heartbeat.interval': '1s', 'heartbeat.staleAfter': 2, 'heartbeat.goneAfter': 4 }

async function initNode (base: string, name: string, args: string[]): Promise<string> {
  const dataDir = join(base, name)
  const res = await overmind(['init', '--data-dir', dataDir, ...args])
  assert.equal(res.code, 0, res.stderr)
  await setConfig(dataDir, HEARTBEAT)
  return dataDir
}

describe(`a mesh of ${NODES} node processes, each told only node 1's address`, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  const nodes: NodeProcess[] = []
  const ids: string[] = []
  let bootstrapAddr: string
  let spawnedAt = 0

  beforeAll(async () => {
    dir = await tempDir()
    const first = await initNode(dir.path, 'n1', ['--mesh', 'e2e'])
    await Promise.all(Array.from({ length: NODES - 1 }, async (_, i) =>
      await initNode(dir.path, `n${i + 2}`, ['--mesh', 'e2e', '--mesh-key-file', join(first, 'mesh.key')])
    ))
    nodes.push(await NodeProcess.start(first, LISTEN))
    const status = await nodes[0].status()
    bootstrapAddr = status.addresses.find(a => a.includes('/tcp/') && !a.includes('/ws'))!
    spawnedAt = Date.now()
    nodes.push(...await Promise.all(Array.from({ length: NODES - 1 }, async (_, i) =>
      NodeProcess.start(join(dir.path, `n${i + 2}`), [...LISTEN, '--bootstrap', bootstrapAddr])
    )))
    for (const node of nodes) {
      ids.push((await node.status()).peerId)
    }
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => n.kill()))
    await dir?.remove()
  })

  it('reports its peer id and full addresses in `status --json`', async () => {
    const status = await nodes[1].cliStatus()
    assert.equal(status.peerId, ids[1])
    assert.ok(status.addresses.length >= 2)
    for (const addr of status.addresses) {
      assert.ok(addr.endsWith(`/p2p/${status.peerId}`), addr)
    }
  })

  it(`lists all ${NODES - 1} others on every node`, async () => {
    await waitFor(async () => {
      for (const [i, node] of nodes.entries()) {
        const peers = await node.peers()
        const others = ids.filter(id => id !== ids[i])
        if (!others.every(id => peers.some(p => p.peerId === id && (p.status === 'connected' || p.status === 'alive')))) {
          return false
        }
      }
      return true
    }, { timeout: 60_000, interval: 1_000, message: 'full peer tables' })
    // measured from the spawn of nodes 2..N, which includes starting their processes
    const elapsed = Date.now() - spawnedAt
    process.stdout.write(`# full peer tables on ${NODES} nodes ${elapsed} ms after spawning nodes 2..${NODES}\n`)
    // how fast tables fill is the mesh benchmark's figure: the test only prints it
    // the same, as a script reads it from the CLI
    const peers = await nodes[4].cliPeers()
    assert.equal(peers.length, NODES - 1)
    for (const p of peers) {
      assert.ok(['connected', 'alive'].includes(p.status), p.status)
      assert.equal(typeof p.lastSeen, 'number')
      assert.ok(p.lastSeen <= Date.now())
    }
  })

  it('keeps a node with another mesh key out: its dials fail and no peer table lists it', async () => {
    const outsiderDir = await initNode(dir.path, 'outsider', ['--mesh', 'e2e'])
    const outsider = await NodeProcess.start(outsiderDir, [...LISTEN, '--bootstrap', bootstrapAddr])
    try {
      const outsiderId = (await outsider.status()).peerId
      // the operator is told why joining fails
      await waitFor(() => outsider.stderr.includes('cannot join the mesh through any bootstrap peer'), { timeout: 45_000, message: 'the bootstrap failure warning' })
      assert.match(outsider.stderr, /mesh\.key/)
      assert.deepEqual(await outsider.peers(), [])
      assert.equal((await outsider.status()).connectedPeers, 0)
      for (const node of nodes) {
        const peers = await node.peers()
        assert.ok(!peers.some(p => p.peerId === outsiderId), 'a member lists the outsider')
      }
    } finally {
      await outsider.stop()
    }
  })

  it('marks a killed node gone after the configured missed beats, and it rejoins with the same peer id when restarted', async () => {
    const victim = nodes[NODES - 1]
    const victimId = ids[NODES - 1]
    await victim.kill()
    await waitFor(async () => {
      const views = await Promise.all(nodes.slice(0, 3).map(async n => n.peers()))
      return views.every(peers => peers.find(p => p.peerId === victimId)?.status === 'gone')
    }, { timeout: 30_000, interval: 1_000, message: 'the killed node to be gone' })
    const gone = (await nodes[0].peers()).find(p => p.peerId === victimId)!
    assert.ok(Number(gone.missedBeats) >= 4)

    // restarted without --bootstrap: it knows its peers from its peer store
    const restarted = await NodeProcess.start(victim.dataDir, LISTEN)
    nodes[NODES - 1] = restarted
    assert.equal((await restarted.status()).peerId, victimId)
    await waitFor(async () => {
      const own = await restarted.peers()
      const seen = await nodes[0].peers()
      return own.length >= NODES - 1 && seen.find(p => p.peerId === victimId)?.status === 'connected'
    }, { timeout: 30_000, interval: 1_000, message: 'the restarted node to rejoin' })
    const entry = (await nodes[0].peers()).find(p => p.peerId === victimId)!
    assert.equal(entry.restarts, 1)
  })

  it('shuts down cleanly on SIGTERM', async () => {
    const node = nodes[1]
    const exit = await node.stop()
    assert.equal(exit.code, 0, node.stderr)
    assert.match(node.stderr, /stopped/)
    const res = await overmind(['status', '--data-dir', node.dataDir, '--json'])
    assert.equal(res.code, 3)
    assert.match(res.stderr, /no node is running/)
  })
})
