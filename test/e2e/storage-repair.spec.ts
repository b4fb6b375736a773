import assert from 'node:assert/strict'
import { open, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ApiClient } from '@overmind/node'
import { NodeProcess, overmind, setConfig, tempDir } from '../src/cli.js'
import { waitFor } from '../src/wait.js'

const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0']
const SETTINGS = { 'heartbeat.interval': '1s', 'memory.syncInterval': '2s', 'memory.embedder': 'hash' }

async function initNode (dataDir: string, args: string[]): Promise<void> {
  const res = await overmind(['init', '--data-dir', dataDir, ...args])
  assert.equal(res.code, 0, res.stderr)
  await setConfig(dataDir, SETTINGS)
}

/** Files and sizes of a folder: what a refused start must leave as it was */
async function listing (path: string): Promise<string[]> {
  const names = (await readdir(path)).filter(name => !/^LOG/.test(name)).sort()
  return await Promise.all(names.map(async name => `${name} ${(await stat(join(path, name))).size}`))
}

async function federationChunks (node: NodeProcess): Promise<number> {
  return (await node.status()).memory?.chunks.federation ?? 0
}

async function write (node: NodeProcess, label: string, count: number): Promise<void> {
  const client = await ApiClient.forDataDir(node.dataDir)
  for (let i = 0; i < count; i += 10) {
    await Promise.all(Array.from({ length: 10 }, async (_, j) => {
      await client.post('/v1/memory/chunks', { text: `${label} ${i + j}: the deploy of service ${(i + j) % 13} needed ${(i + j) % 7} retries ${'and a long note '.repeat(20)}` })
    }))
  }
}

describe('a node whose memory files are damaged', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let peer: NodeProcess
  let node: NodeProcess | undefined
  let bootstrap: string
  let a: string
  let memory: string

  before(async () => {
    dir = await tempDir()
    a = join(dir.path, 'a')
    const b = join(dir.path, 'b')
    memory = join(a, 'memory')
    await initNode(b, ['--mesh', 'repair-e2e'])
    await initNode(a, ['--mesh', 'repair-e2e', '--mesh-key-file', join(b, 'mesh.key')])
    peer = await NodeProcess.start(b, LISTEN)
    bootstrap = (await peer.status()).addresses.find(address => address.includes('/tcp/')) as string
  })

  after(async () => {
    await node?.kill()
    await peer?.kill()
    await dir?.remove()
  })

  it('refuses to start without its CURRENT file, deleting nothing; `overmind repair` brings every chunk back', async () => {
    node = await NodeProcess.start(a, [...LISTEN, '--bootstrap', bootstrap])
    await write(node, 'first', 300)
    await waitFor(async () => await federationChunks(peer) === 300, { timeout: 60_000, message: 'the peer to hold the 300 chunks' })
    assert.equal((await node.stop()).code, 0)

    await rm(join(memory, 'CURRENT'))
    const before = await listing(memory)
    const start = await overmind(['start', '--data-dir', a, ...LISTEN])
    assert.equal(start.code, 1, start.stderr)
    assert.match(start.stderr, /memory\/CURRENT is missing/)
    assert.match(start.stderr, new RegExp(`overmind repair --data-dir ${a}`))
    assert.deepEqual(await listing(memory), before, 'the refused start changed nothing')

    const check = await overmind(['check', '--data-dir', a])
    assert.equal(check.code, 1, check.stdout + check.stderr)
    assert.match(check.stdout, /CURRENT is missing/)

    const repair = await overmind(['repair', '--data-dir', a, '--json'])
    assert.equal(repair.code, 0, repair.stderr)
    const report = JSON.parse(repair.stdout)
    assert.equal(report.chunks, 300)
    // (LevelDB's LOCK aside, which only a running store holds)
    assert.deepEqual(await listing(report.memory.repair.backup), before.filter(line => !line.startsWith('LOCK ')), 'the backup is the folder as it was')
    assert.equal((await overmind(['check', '--data-dir', a])).code, 0)

    node = await NodeProcess.start(a, [...LISTEN, '--bootstrap', bootstrap])
    assert.equal(await federationChunks(node), 300)
    const search = await overmind(['memory', 'search', '--data-dir', a, '--json', 'deploy of service 5'])
    assert.equal(search.code, 0, search.stderr)
    assert.ok(JSON.parse(search.stdout).length > 0)
  })

  it('refuses to start with a damaged log, naming it; after `overmind repair` the peer refills what was lost', async () => {
    assert.ok(node != null)
    await write(node, 'second', 300)
    await waitFor(async () => await federationChunks(peer) === 600, { timeout: 60_000, message: 'the peer to hold the 600 chunks' })
    assert.equal((await node.stop()).code, 0)

    const log = (await readdir(memory)).find(name => name.endsWith('.log')) as string
    const handle = await open(join(memory, log), 'r+')
    await handle.write(new Uint8Array(64).fill(0xab), 0, 64, 40_000)
    await handle.close()
    const before = await listing(memory)
    const start = await overmind(['start', '--data-dir', a, ...LISTEN])
    assert.equal(start.code, 1, start.stderr)
    assert.match(start.stderr, new RegExp(`memory/${log} is corrupt \\(a checksum mismatch at byte \\d+`))
    assert.deepEqual(await listing(memory), before)

    const repair = await overmind(['repair', '--data-dir', a])
    assert.equal(repair.code, 0, repair.stderr)
    assert.match(repair.stdout, /this node's federation log misses \d+ of its seqs up to 600/)
    assert.match(repair.stdout, /writes {9}taken once the node has synced with a peer/)
    const kept = Number(/memory {9}(\d+) chunks/.exec(repair.stdout)?.[1])
    assert.ok(kept > 300 && kept < 600, `${kept} chunks kept`)

    node = await NodeProcess.start(a, [...LISTEN, '--bootstrap', bootstrap])
    await waitFor(async () => await federationChunks(node as NodeProcess) === 600, { timeout: 60_000, message: 'the peer to refill the lost chunks' })
    process.stdout.write(`# a damaged log: repair kept ${kept} of 600 chunks, the peer refilled ${600 - kept}\n`)
    // writes wait for that sync, so the next seq is above every one the peer holds
    await waitFor(async () => (await (node as NodeProcess).status()).memory?.awaitingSync === false, { message: 'the repaired node to take writes' })
    const put = await overmind(['memory', 'put', '--data-dir', a, '--json', 'written after the repair'])
    assert.equal(put.code, 0, put.stderr)
    assert.equal(JSON.parse(put.stdout).seq, 601)
    const check = await overmind(['check', '--data-dir', a, '--json'])
    assert.equal(JSON.parse(check.stdout).memory.gaps.length, 0, check.stdout)
  })
})
