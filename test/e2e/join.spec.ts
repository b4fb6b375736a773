import assert from 'node:assert/strict'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { NodeProcess, json, overmind, setConfig, tempDir } from '../src/cli.js'
import { delay, waitFor } from '../src/wait.js'
import type { NodeStatus, PeerReport } from '@overmind/node'

const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns']

interface Invite { id: string, ticket: string, expiresAt: number, usesLeft: number, door: string[] }

describe('joining a mesh with an invite', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let alpha: NodeProcess
  const nodes: NodeProcess[] = []

  const invite = async (...args: string[]): Promise<Invite> => await json<Invite>(['invite', '--data-dir', join(dir.path, 'alpha'), '--json', ...args])

  beforeAll(async () => {
    dir = await tempDir('overmind-join-')
    const init = await overmind(['init', '--data-dir', join(dir.path, 'alpha'), '--mesh', 'lab', '--name', 'alpha'])
    assert.equal(init.code, 0, init.stderr)
    await setConfig(join(dir.path, 'alpha'), { 'memory.embedder': 'hash' })
    alpha = await NodeProcess.start(join(dir.path, 'alpha'), LISTEN)
    nodes.push(alpha)
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
    await dir.remove()
  })

  it('prints one string; `overmind join` makes a data dir that joins on start, and both list each other by name', async () => {
    const made = await overmind(['invite', '--data-dir', join(dir.path, 'alpha'), '--expires', '10m', '--uses', '2'])
    assert.equal(made.code, 0, made.stderr)
    const ticket = made.stdout.trim()
    assert.match(ticket, /^overmind-invite-[1-9A-HJ-NP-Za-km-z]+$/, 'one line, one string')
    assert.match(made.stderr, /2 uses, until/)
    // the ticket does not carry the mesh key: a door hands it over
    const key = (await readFile(join(dir.path, 'alpha', 'mesh.key'), 'utf8')).split('\n')[2]
    assert.ok(!ticket.includes(key))

    const joined = await overmind(['join', '--data-dir', join(dir.path, 'beta'), '--name', 'beta', ticket])
    assert.equal(joined.code, 0, joined.stderr)
    assert.match(joined.stdout, /mesh\s+lab/)
    assert.equal(await readFile(join(dir.path, 'beta', 'mesh.key'), 'utf8'), await readFile(join(dir.path, 'alpha', 'mesh.key'), 'utf8'))
    assert.equal((await stat(join(dir.path, 'beta', 'mesh.key'))).mode & 0o777, 0o600)
    const config = await readFile(join(dir.path, 'beta', 'overmind.config.yaml'), 'utf8')
    assert.match(config, /bootstrap:\s*\n\s+- \/ip4\/127\.0\.0\.1\/tcp\/\d+\/p2p\/12D3KooW/)
    assert.match(config, /name: "?beta"?/)

    await setConfig(join(dir.path, 'beta'), { 'memory.embedder': 'hash' })
    // no --bootstrap: the invite's addresses are in the config
    const beta = await NodeProcess.start(join(dir.path, 'beta'), LISTEN)
    nodes.push(beta)
    const betaStatus = await beta.cliStatus()
    assert.equal(betaStatus.mesh, 'lab')
    assert.equal(betaStatus.name, 'beta')
    await waitFor(async () => {
      const fromAlpha = (await alpha.cliPeers()).find(p => p.peerId === betaStatus.peerId)
      const fromBeta = (await beta.cliPeers()).find(p => p.name === 'alpha')
      return fromAlpha?.name === 'beta' && fromAlpha.status === 'connected' && fromBeta?.status === 'connected'
    }, { timeout: 30_000, message: 'alpha and beta to list each other by name' })
    const text = await overmind(['peers', '--data-dir', join(dir.path, 'alpha')])
    assert.match(text.stdout, /NAME/)
    assert.match(text.stdout, /\bbeta\b/)
    assert.match(alpha.stderr, /invite redeemed: a node joins .*name=beta/)

    const list = await json<Array<{ id: string, usesLeft: number, redeemed: Array<{ name: string, peerId: string }> }>>(['invite', '--data-dir', join(dir.path, 'alpha'), '--list', '--json'])
    const live = list.find(i => i.usesLeft === 1)
    assert.ok(live != null, JSON.stringify(list))
    assert.deepEqual(live.redeemed.map(r => [r.name, r.peerId]), [['beta', betaStatus.peerId]])
  })

  it('refuses a used-up, revoked, expired or damaged invite with its reason, and writes nothing', async () => {
    const once = await invite('--uses', '1')
    const first = await overmind(['join', '--data-dir', join(dir.path, 'gamma'), once.ticket])
    assert.equal(first.code, 0, first.stderr)
    const again = await overmind(['join', '--data-dir', join(dir.path, 'delta'), once.ticket])
    assert.equal(again.code, 1)
    assert.match(again.stderr, /InviteRefusedError: .*(used up|door)/)

    const revoked = await invite()
    const revoke = await overmind(['invite', '--data-dir', join(dir.path, 'alpha'), '--revoke', revoked.id])
    assert.equal(revoke.code, 0, revoke.stderr)
    const afterRevoke = await overmind(['join', '--data-dir', join(dir.path, 'delta'), revoked.ticket])
    assert.equal(afterRevoke.code, 1)
    assert.match(afterRevoke.stderr, /InviteRefusedError/)
    const unknown = await overmind(['invite', '--data-dir', join(dir.path, 'alpha'), '--revoke', revoked.id])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /InviteNotFoundError/)

    const brief = await invite('--expires', '1s')
    await delay(1_200)
    const expired = await overmind(['join', '--data-dir', join(dir.path, 'delta'), brief.ticket])
    assert.equal(expired.code, 1)
    assert.match(expired.stderr, /InviteRefusedError: the invite expired at \d{4}-/)

    const damaged = await overmind(['join', '--data-dir', join(dir.path, 'delta'), brief.ticket.slice(0, -12)])
    assert.equal(damaged.code, 1)
    assert.match(damaged.stderr, /InvalidInviteError: the invite is damaged/)
    const other = await overmind(['join', '--data-dir', join(dir.path, 'delta'), 'hello'])
    assert.equal(other.code, 1)
    assert.match(other.stderr, /InvalidInviteError: not an invite/)
    await assert.rejects(stat(join(dir.path, 'delta')), { code: 'ENOENT' }, 'a refused join writes no data dir')

    const tooLong = await overmind(['invite', '--data-dir', join(dir.path, 'alpha'), '--expires', '800h'])
    assert.equal(tooLong.code, 1)
    assert.match(tooLong.stderr, /30 days/)
    // an invite into a data dir that exists is refused before the invite is used
    const kept = await invite()
    const exists = await overmind(['join', '--data-dir', join(dir.path, 'beta'), kept.ticket])
    assert.equal(exists.code, 1)
    assert.match(exists.stderr, /already initialised/)
    const still = await json<Array<{ id: string, usesLeft: number }>>(['invite', '--data-dir', join(dir.path, 'alpha'), '--list', '--json'])
    assert.equal(still.find(i => i.id === kept.id)?.usesLeft, 1)
  })

  it('keeps live invites across a restart of the inviting node', async () => {
    const kept = await invite('--uses', '1')
    await alpha.stop()
    nodes.splice(nodes.indexOf(alpha), 1)
    alpha = await NodeProcess.start(join(dir.path, 'alpha'), LISTEN)
    nodes.push(alpha)
    // the door reopens on another port: a ticket holds the door's address, so a new ticket is needed only if the port changed
    const list = await json<Array<{ id: string, usesLeft: number, door: string[] }>>(['invite', '--data-dir', join(dir.path, 'alpha'), '--list', '--json'])
    const record = list.find(i => i.id === kept.id)
    assert.ok(record != null && record.door.length > 0, JSON.stringify(list))
  })
})

describe('peers as soon as they connect, and members of another mesh', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let node: NodeProcess

  beforeAll(async () => {
    dir = await tempDir('overmind-identify-')
    assert.equal((await overmind(['init', '--data-dir', join(dir.path, 'a'), '--mesh', 'lab'])).code, 0)
    node = await NodeProcess.start(join(dir.path, 'a'), LISTEN)
  })

  afterAll(async () => {
    await node.stop()
    await dir.remove()
  })

  /** A bare libp2p peer with the mesh key that speaks the heartbeat hello of `mesh` and never beats */
  async function bare (mesh: string): Promise<Awaited<ReturnType<typeof createLibp2p>>> {
    const peer = await createLibp2p({
      transports: [tcp()],
      connectionProtector: preSharedKey({ psk: await readFile(join(dir.path, 'a', 'mesh.key')) }),
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      services: { identify: identify() }
    })
    await peer.handle(`/overmind/${mesh}/heartbeat/hello/1.0.0`, (stream) => { stream.abort(new Error('not served')) })
    const status = await node.status()
    await peer.dial(multiaddr(status.addresses[0]))
    return peer
  }

  it('lists a connected member as `connected` once identify shows it speaks the mesh\'s protocols, before any beat', async () => {
    const peer = await bare('lab')
    try {
      const id = peer.peerId.toString()
      const listed = await waitFor(async () => (await node.cliPeers()).find(p => p.peerId === id), { timeout: 10_000, message: 'the member to be listed' })
      assert.equal(listed.status, 'connected')
      assert.equal(listed.beats, 0, 'no beat was ever sent')
      assert.equal(listed.connections.length, 1)
      assert.equal((await node.cliStatus()).peers.connected, 1)
      await peer.stop()
      await waitFor(async () => !(await node.cliPeers()).some(p => p.peerId === id), { timeout: 10_000, message: 'the member to leave the list when its connection closes' })
    } finally {
      await peer.stop()
    }
  })

  it('says so in the log and in status when a peer has the key but another mesh name', async () => {
    const peer = await bare('other')
    try {
      const id = peer.peerId.toString()
      const status = await waitFor(async () => {
        const s = await json<NodeStatus>(['status', '--data-dir', join(dir.path, 'a'), '--json'])
        return s.otherMeshes.some(o => o.peerId === id) ? s : undefined
      }, { timeout: 10_000, message: 'status to name the other mesh' })
      assert.deepEqual(status.otherMeshes.map(o => [o.peerId, o.mesh]), [[id, 'other']])
      const text = await overmind(['status', '--data-dir', join(dir.path, 'a')])
      assert.match(text.stdout, /warning: peer 12D3KooW\w+ has this mesh's key but is in mesh "other"/)
      await waitFor(() => /is in mesh "other", this node in "lab"/.test(node.stderr), { timeout: 5_000, message: 'the log to say so' })
      const peers: PeerReport[] = await node.cliPeers()
      assert.ok(!peers.some(p => p.peerId === id), 'a peer of another mesh is not listed as a member')
    } finally {
      await peer.stop()
    }
  })
})
