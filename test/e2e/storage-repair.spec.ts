import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { open, readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
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

  beforeAll(async () => {
    dir = await tempDir()
    a = join(dir.path, 'a')
    const b = join(dir.path, 'b')
    memory = join(a, 'memory')
    await initNode(b, ['--mesh', 'repair-e2e'])
    await initNode(a, ['--mesh', 'repair-e2e', '--mesh-key-file', join(b, 'mesh.key')])
    peer = await NodeProcess.start(b, LISTEN)
    bootstrap = (await peer.status()).addresses.find(address => address.includes('/tcp/')) as string
  })

  afterAll(async () => {
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
    assert.match(start.stderr, new RegExp(`memory/${log} is corrupt \\(.+ at byte \\d+, with intact records after it\\)`))
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

  it('refuses to start without its memory folder instead of creating an empty one; after `overmind repair` peers refill it', async () => {
    assert.ok(node != null)
    assert.equal((await node.stop()).code, 0)
    await rm(memory, { recursive: true })
    const start = await overmind(['start', '--data-dir', a, ...LISTEN])
    assert.equal(start.code, 1, start.stderr)
    assert.match(start.stderr, /memory holds no memory store; nothing was created/)
    await assert.rejects(stat(memory), 'nothing was created')

    const repair = await overmind(['repair', '--data-dir', a])
    assert.equal(repair.code, 0, repair.stderr)
    assert.match(repair.stdout, /was missing: an empty one is created/)
    node = await NodeProcess.start(a, [...LISTEN, '--bootstrap', bootstrap])
    await waitFor(async () => await federationChunks(node as NodeProcess) === 601, { timeout: 60_000, message: 'the peer to refill the memory' })
    await waitFor(async () => (await (node as NodeProcess).status()).memory?.awaitingSync === false, { message: 'the node to take writes' })
    const put = await overmind(['memory', 'put', '--data-dir', a, '--json', 'written into a memory refilled by the peer'])
    assert.equal(put.code, 0, put.stderr)
    assert.equal(JSON.parse(put.stdout).seq, 602)
  })
})

/** A tmpfs of `size` at a new folder; undefined where this process may not mount one */
function mountTmpfs (size: string): string | undefined {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined
  const path = join('/tmp', `overmind-full-node-${process.pid}`)
  try {
    execFileSync('mkdir', ['-p', path])
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'ignore' })
    return path
  } catch {
    return undefined
  }
}

const disk = mountTmpfs('32m')
// needs root on Linux to mount a small tmpfs
describe.skipIf(disk == null)('a node whose disk fills up', () => {
  afterAll(() => {
    if (disk == null) return
    execFileSync('umount', ['-l', disk])
    execFileSync('rmdir', [disk])
  })

  it('refuses writes while full, stops cleanly on SIGTERM, and keeps every write it acknowledged', async () => {
    const a = join(disk as string, 'a')
    const filler = join(disk as string, 'filler')
    await initNode(a, ['--mesh', 'full-disk-e2e'])
    let node = await NodeProcess.start(a, LISTEN)
    const acknowledged: string[] = []
    const put = async (text: string): Promise<{ code: number | null, stderr: string }> => {
      const res = await overmind(['memory', 'put', '--data-dir', a, '--json', text])
      if (res.code === 0) acknowledged.push(JSON.parse(res.stdout).id)
      return res
    }
    const client = await ApiClient.forDataDir(a)
    for (let i = 0; i < 20; i++) acknowledged.push((await client.post<{ id: string }>('/v1/memory/chunks', { text: `before the disk filled ${i}` })).id)
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' })
    } catch {}
    // the last page of the log may still take a small write; the first that needs a new one fails
    let refused: Error | undefined
    for (let i = 0; i < 200 && refused == null; i++) {
      try {
        acknowledged.push((await client.post<{ id: string }>('/v1/memory/chunks', { text: `while the disk is full ${i} ${'x'.repeat(2000)}` })).id)
      } catch (err: any) {
        refused = err
      }
    }
    assert.ok(refused != null, 'a write on a full disk is refused')
    // and the CLI says why
    const cli = await put('one more while full')
    assert.equal(cli.code, 1)
    assert.match(cli.stderr, /StorageError: .*full/)
    const status = await node.status()
    assert.equal(status.memory?.failure?.problem, 'full')

    const stopped = await node.stop(30_000)
    assert.notEqual(stopped.signal, 'SIGKILL')
    assert.doesNotMatch(node.stderr, /did not finish in time/)

    await rm(filler)
    node = await NodeProcess.start(a, LISTEN)
    assert.equal((await put('after the disk was freed')).code, 0)
    const restarted = await ApiClient.forDataDir(a)
    const seqs = new Set<number>()
    for (const id of acknowledged) seqs.add((await restarted.get<{ seq: number }>(`/v1/memory/chunks/${id}`)).seq)
    assert.equal(seqs.size, acknowledged.length, 'every acknowledged chunk is held, no seq acknowledged twice')
    await node.stop()
  })
})
