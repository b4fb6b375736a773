import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { pbStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { ApiClient } from '@overmind/node'
import { QueryRequest, QueryResponse } from '@overmind/protocols'
import { QUERY_PROTOCOL } from '@overmind/replication'
import { BIN, NodeProcess, collect, overmind, setConfig, tempDir } from '../src/cli.js'
import { startTestNode } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import type { NodeStatus, OvermindNode, PeerReport } from '@overmind/node'

const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0']
const SUBJECTS = ['build server', 'payroll db', 'dns resolver', 'queue', 'login service', 'backup job', 'gpu cluster', 'web frontend']
const EVENTS = ['disk full', 'failed over', 'timed out', 'upgraded', 'lost its cache', 'rejected expired certificates']
const FIXES = ['clearing the old logs fixed it', 'raising the memory limit helped', 'a retry with backoff solved it', 'rolling back the change fixed it', 'nobody has found the cause yet']

/** A short note, different for every i: what an agent jots down (the encoder's cost grows with length) */
function note (i: number): string {
  return `${SUBJECTS[i % SUBJECTS.length]} ${EVENTS[(i >> 3) % EVENTS.length]} #${i}`
}

/** A longer note: a sentence and its fix */
function longNote (i: number): string {
  return `${note(i)} in region ${i % 13}; ${FIXES[(i >> 5) % FIXES.length]}`
}

async function initNode (dataDir: string, args: string[], settings: Record<string, unknown>): Promise<void> {
  const res = await overmind(['init', '--data-dir', dataDir, ...args])
  assert.equal(res.code, 0, res.stderr)
  await setConfig(dataDir, settings)
}

/** What one peer reports of another, each time it is asked */
interface Sighting { at: number, status?: string, missedBeats?: number }

function sighting (peers: PeerReport[], peerId: string): Sighting {
  const peer = peers.find(p => p.peerId === peerId)
  return { at: Date.now(), status: peer?.status, missedBeats: peer?.missedBeats }
}

// 6,000 chunks in the suite; `./scripts/test --heavy` imports 20,000
const LINES = process.env.OVERMIND_HEAVY === '1' ? 20_000 : 6_000

describe(`a node importing ${LINES.toLocaleString('en')} chunks with the sentence embedder stays in its mesh`, () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  const nodes: NodeProcess[] = []

  beforeAll(async () => {
    dir = await tempDir()
    // the default embedder (sentence) everywhere; beats every 2 s, so one is missed when a beat is 1 s late
    const settings = { 'heartbeat.interval': '2s', 'memory.syncInterval': '5s' }
    for (let i = 1; i <= 3; i++) {
      const dataDir = join(dir.path, `n${i}`)
      await initNode(dataDir, ['--mesh', 'load-e2e', ...(i > 1 ? ['--mesh-key-file', join(dir.path, 'n1', 'mesh.key')] : [])], settings)
    }
    nodes.push(await NodeProcess.start(join(dir.path, 'n1'), LISTEN))
    const bootstrap = (await nodes[0].status()).addresses.find(a => a.includes('/tcp/'))!
    for (const i of [2, 3]) nodes.push(await NodeProcess.start(join(dir.path, `n${i}`), [...LISTEN, '--bootstrap', bootstrap]))
    // the other two bootstrap from n1, the importer: each is connected to it
    const importerId = (await nodes[0].status()).peerId
    await waitFor(async () => {
      for (const node of nodes) {
        if ((await node.peers()).filter(p => p.status === 'connected' || p.status === 'alive').length < 2) return false
      }
      for (const node of nodes.slice(1)) {
        if ((await node.peers()).find(p => p.peerId === importerId)?.status !== 'connected') return false
      }
      return true
    }, { timeout: 60_000, message: 'the three nodes to know each other, and the importer connected to both' })
    const out = createWriteStream(join(dir.path, 'notes.jsonl'))
    for (let i = 0; i < LINES; i++) {
      if (!out.write(JSON.stringify({ text: note(i) }) + '\n')) await new Promise<void>(resolve => out.once('drain', () => { resolve() }))
    }
    await new Promise<void>(resolve => out.end(() => { resolve() }))
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.kill() }))
    await dir?.remove()
  })

  it('stays connected on both other nodes, misses no heartbeat and keeps its API answering', { timeout: 600_000 }, async () => {
    const [importer, ...others] = nodes
    const importerId = (await importer.status()).peerId
    const dataDir = join(dir.path, 'n1')
    const started = Date.now()
    const child = spawn(process.execPath, [BIN, 'memory', 'import', '--data-dir', dataDir, join(dir.path, 'notes.jsonl'), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const done = collect(child, 570_000)
    // when each progress line came: the first within a small batch, then about every second
    const acks: Array<{ at: number, acknowledged: number }> = []
    let partial = ''
    child.stdout?.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) acks.push({ at: Date.now() - started, acknowledged: JSON.parse(line).acknowledged })
    })
    let finished = false
    void done.finally(() => { finished = true })

    // the other nodes watch the importer, and the importer answers its own API, the whole time
    const sightings: Sighting[][] = others.map(() => [])
    const statuses: NodeStatus[] = []
    let longestAnswer = 0
    while (!finished) {
      const asked = Date.now()
      statuses.push(await importer.status())
      longestAnswer = Math.max(longestAnswer, Date.now() - asked)
      for (const [i, node] of others.entries()) sightings[i].push(sighting(await node.peers(), importerId))
      await delay(500)
    }
    const result = await done
    const seconds = (Date.now() - started) / 1000
    assert.equal(result.code, 0, result.stderr)
    const last = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}')
    assert.deepEqual([last.done, last.acknowledged], [true, LINES])

    const status = await importer.status()
    const loop = status.eventLoop
    process.stdout.write(`# imported ${LINES} chunks with the sentence embedder in ${seconds.toFixed(1)} s (${Math.round(LINES / seconds)} chunks/s); ` +
      `the importer's event-loop delay since start: p50 ${loop.sinceStart.p50} ms, p99 ${loop.sinceStart.p99} ms, max ${loop.sinceStart.max} ms; ` +
      `its API answered ${statuses.length} status calls, the slowest in ${longestAnswer} ms; ${sightings[0].length} sightings per watching node\n`)
    const gaps = acks.slice(1).map((a, i) => a.at - acks[i].at)
    process.stdout.write(`# progress: first acknowledgement after ${acks[0]?.at} ms (${acks[0]?.acknowledged} lines), ${acks.length} progress lines, longest gap ${Math.max(...gaps)} ms, median gap ${gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)]} ms\n`)
    assert.ok(acks[0].acknowledged <= 16, `the first acknowledgement covers ${acks[0].acknowledged} lines`)
    assert.ok(sightings[0].length >= 10, 'the import ran long enough to be watched')
    for (const [i, seen] of sightings.entries()) {
      const bad = seen.filter(s => s.status !== 'connected' || s.missedBeats !== 0)
      assert.deepEqual(bad, [], `node ${i + 2} saw the importer as not connected, or missing a beat`)
    }
    assert.equal(status.memory?.chunks.federation, LINES)

    // the mesh gets all of it: by gossip, and by anti-entropy for what a full queue dropped
    await waitFor(async () => {
      for (const node of others) {
        if ((await node.status()).memory?.chunks.federation !== LINES) return false
      }
      return true
    }, { timeout: 180_000, interval: 1_000, message: 'the other nodes to hold every imported chunk' })
    const api = await ApiClient.forDataDir(join(dir.path, 'n2'))
    const { results } = await api.post<{ results: Array<{ text: string }> }>('/v1/memory/search', { query: 'which service rejected expired certificates?', k: 5 })
    assert.ok(results.some(r => /rejected expired certificates/.test(r.text)), JSON.stringify(results.map(r => r.text)))
  })
})

describe('a sentence node sent a 60,000-byte query and a 30 KB chunk of another model', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let sentence: NodeProcess | undefined
  let hash: OvermindNode | undefined

  beforeAll(async () => {
    dir = await tempDir()
    await initNode(join(dir.path, 's'), ['--mesh', 'stall-e2e'], { 'heartbeat.interval': '1s' })
    sentence = await NodeProcess.start(join(dir.path, 's'), LISTEN)
    const bootstrap = (await sentence.status()).addresses.find(a => a.includes('/tcp/'))!
    // a member on the hashing embedder, in this process: it speaks the wire protocols directly
    hash = await startTestNode({
      psk: new Uint8Array(await readFile(join(dir.path, 's', 'mesh.key'))),
      mesh: 'stall-e2e',
      memory: true,
      bootstrap: [bootstrap],
      config: c => { c.heartbeat.interval = 1_000 }
    })
  })

  afterAll(async () => {
    await hash?.stop()
    await sentence?.kill()
    await dir?.remove()
  })

  it('keeps beating and answering its API while it refuses the query and embeds the chunk in the background', { timeout: 120_000 }, async () => {
    const s = sentence!
    const h = hash!
    const sentenceId = (await s.status()).peerId
    await waitFor(() => h.peers().find(p => p.peerId === sentenceId)?.status === 'connected', { timeout: 30_000, message: 'the two nodes to meet' })
    const before = (await s.status()).memory!

    // watch: the sentence node's API every 100 ms, its beats as the other node sees them
    let watching = true
    let longestAnswer = 0
    let answers = 0
    const sightings: Sighting[] = []
    const watcher = (async () => {
      while (watching) {
        const asked = Date.now()
        await s.status()
        answers++
        longestAnswer = Math.max(longestAnswer, Date.now() - asked)
        sightings.push(sighting(h.peers(), sentenceId))
        await delay(100)
      }
    })()

    // a 30 KB chunk of the hashing model: the sentence node embeds it itself, behind the write
    let text = ''
    for (let i = 0; Buffer.byteLength(text) < 30_000; i++) text += `${longNote(i)}. `
    const chunk = await h.memory!.put({ text })

    // a 60,000-byte query on the wire, as any member could send it
    const query = 'x'.repeat(60_000)
    const stream = await h.libp2p.dialProtocol(multiaddr(`${(await s.status()).addresses.find(a => a.includes('/tcp/'))}`), QUERY_PROTOCOL)
    const pb = pbStream(stream, { maxDataLength: 4 * 1024 * 1024 })
    const asked = Date.now()
    await pb.write({ text: query, k: 5, tags: [], agent: '', authors: [], since: 0n, until: 0n }, QueryRequest)
    const response = await pb.read(QueryResponse)
    const queryMs = Date.now() - asked
    await stream.close()
    assert.deepEqual(response.results, [])
    assert.equal(response.error, 'text-too-long')

    // the same through the local API
    const api = await ApiClient.forDataDir(join(dir.path, 's'))
    const refused = await api.post<any>('/rpc', { jsonrpc: '2.0', id: 1, method: 'memory.search', params: { query } })
    assert.equal(refused.error?.code, -32602)

    await waitFor(async () => {
      const memory = (await s.status()).memory!
      return memory.chunks.federation === before.chunks.federation + 1 && memory.backlog.embedding === 0 && memory.indexed.vectors === before.indexed.vectors + 1
    }, { timeout: 60_000, message: 'the chunk to be stored and embedded on the sentence node' })
    const found = await api.post<{ results: Array<{ id: string }> }>('/v1/memory/search', { query: 'payroll db failed over in region 1; raising the memory limit helped', k: 3 })
    assert.ok(found.results.some(r => r.id === chunk.id), 'found by the sentence node\'s own vector of it')
    await delay(2_500)
    watching = false
    await watcher

    const loop = (await s.status()).eventLoop
    process.stdout.write(`# the 60,000-byte query was refused in ${queryMs} ms; while the 30 KB chunk was embedded, the API answered ${answers} calls, the slowest in ${longestAnswer} ms; ` +
      `the node's longest event-loop stall: ${loop.sinceStart.max} ms (p99 ${loop.sinceStart.p99} ms)\n`)
    const bad = sightings.filter(x => x.status !== 'connected' || x.missedBeats !== 0)
    assert.deepEqual(bad, [], 'the other node saw the sentence node as not connected, or missing a beat')
  })
})
