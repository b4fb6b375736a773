import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { ApiClient } from '@overmind/node'
import { BIN, NodeProcess, collect, json, overmind, setConfig, tempDir } from '../src/cli.js'
import { waitFor } from '../src/wait.js'
import type { SearchResult } from '@overmind/memory'

const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0']
const SETTINGS = { 'heartbeat.interval': '1s', 'memory.syncInterval': '5s', 'memory.queryDeadline': '2s' }

interface Result { id: string, text: string, score: number, author: string, agent: string, node?: string }

async function initNode (dataDir: string, args: string[]): Promise<void> {
  const res = await overmind(['init', '--data-dir', dataDir, ...args])
  assert.equal(res.code, 0, res.stderr)
  await setConfig(dataDir, SETTINGS)
}

async function search (dataDir: string, query: string, args: string[] = []): Promise<Result[]> {
  return await json<Result[]>(['memory', 'search', '--data-dir', dataDir, query, '--json', ...args])
}

describe('memory through the CLI on a mesh of 5 node processes', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  const nodes: NodeProcess[] = []
  const dirs: string[] = []
  const ids: string[] = []

  beforeAll(async () => {
    dir = await tempDir()
    for (let i = 1; i <= 5; i++) dirs.push(join(dir.path, `n${i}`))
    await initNode(dirs[0], ['--mesh', 'memory-e2e'])
    await Promise.all(dirs.slice(1).map(async d => await initNode(d, ['--mesh', 'memory-e2e', '--mesh-key-file', join(dirs[0], 'mesh.key')])))
    nodes.push(await NodeProcess.start(dirs[0], LISTEN))
    const first = await nodes[0].status()
    const bootstrap = first.addresses.find(a => a.includes('/tcp/'))!
    nodes.push(...await Promise.all(dirs.slice(1).map(async d => await NodeProcess.start(d, [...LISTEN, '--bootstrap', bootstrap]))))
    for (const node of nodes) ids.push((await node.status()).peerId)
    await waitFor(async () => {
      for (const node of nodes) {
        if ((await node.peers()).filter(p => p.status === 'connected' || p.status === 'alive').length < 4) return false
      }
      return true
    }, { timeout: 30_000, message: 'every node to know the 4 others' })
  })

  afterAll(async () => {
    for (const node of nodes) {
      node.child.kill('SIGCONT')
      await node.kill()
    }
    await dir?.remove()
  })

  let federated: string

  it('stores a federation chunk on one node and finds it by search on every node', async () => {
    const put = await json<{ id: string }>(['memory', 'put', '--data-dir', dirs[0], '--tags', 'ops,dns', 'the', 'resolver', 'in', 'rack', '7', 'caches', 'negative', 'answers', 'for', 'an', 'hour', '--json'])
    federated = put.id
    assert.match(federated, /^b[a-z2-7]+$/)
    for (const [i, dataDir] of dirs.entries()) {
      const found = await waitFor(async () => (await search(dataDir, 'resolver negative answers')).find(r => r.id === federated), { timeout: 30_000, message: `node ${i + 1} to find the chunk` })
      assert.equal(found.author, ids[0])
      assert.equal(found.agent, 'default')
      assert.equal(found.text, 'the resolver in rack 7 caches negative answers for an hour')
      assert.ok(found.score > 0)
    }
    const got = await json<{ id: string, tags: string[] }>(['memory', 'get', '--data-dir', dirs[3], federated, '--json'])
    assert.deepEqual(got.tags, ['ops', 'dns'])
  })

  it('links two chunks on one node; a search with --spread on another node brings the linked one through the link', async () => {
    const put = async (text: string): Promise<string> => (await json<{ id: string }>(['memory', 'put', '--data-dir', dirs[1], text, '--json'])).id
    const symptom = await put('the build agents run out of disk every friday')
    const cause = await put('docker keeps every image layer it ever pulled')
    const linked = await json<{ relation: string, weight: number }>(['memory', 'link', '--data-dir', dirs[1], symptom, cause, '--relation', 'caused-by', '--weight', '0.8', '--json'])
    assert.deepEqual(linked, { from: symptom, to: cause, relation: 'caused-by', weight: 0.8 })
    const bad = await overmind(['memory', 'link', '--data-dir', dirs[1], symptom, cause, '--weight', '2'])
    assert.notEqual(bad.code, 0)
    assert.match(bad.stderr, /not a weight above 0 and at most 1/)
    // the link event reaches node 3 with the chunks
    const through = await waitFor(async () => (await search(dirs[2], 'build agents out of disk friday', ['--spread', '1', '-k', '3'])).find(r => r.id === cause && (r as any).via != null), { timeout: 30_000, message: 'node 3 to reach the linked chunk through the link' })
    assert.deepEqual((through as any).via, { from: symptom, relation: 'caused-by', weight: 0.8, hops: 1 })
    const table = await overmind(['memory', 'search', '--data-dir', dirs[2], 'build agents out of disk friday', '--spread', '1', '-k', '3'])
    assert.match(table.stdout, /↳ caused-by of /)
  })

  it('raises exactly one convergence signal on every node when agents on three nodes write one fact in their own words, and none for unrelated facts', async () => {
    const put = async (node: number, agent: string, text: string): Promise<string> => (await json<{ id: string }>(['memory', 'put', '--data-dir', dirs[node], '--agent', agent, text, '--json'])).id
    const unrelated = [
      await put(2, 'builds', 'The build server times out when the artifact cache is cold.'),
      await put(3, 'net', 'Our DNS resolver returns stale records after a failover.'),
      await put(4, 'web', 'Customers prefer the blue checkout button in the A/B test.')
    ]
    const paraphrases = [
      await put(0, 'ops', 'The payroll database runs out of disk every Monday because the nightly log rotation is broken.'),
      await put(1, 'sre', 'Every Monday the payroll DB fills its disk: log rotation stopped working overnight.'),
      await put(2, 'dba', 'Payroll database disk gets full weekly on Mondays since the nightly logs are no longer rotated.')
    ]
    interface Listed { id: string, topic: string, chunks: string[], agents: Array<{ node: string, agent: string }>, nodes: string[], score: number }
    const signalsOf = async (dataDir: string): Promise<Listed[]> => await json<Listed[]>(['memory', 'signals', '--data-dir', dataDir, '--json'])
    const seen: Listed[][] = []
    for (const [i, dataDir] of dirs.entries()) {
      seen.push(await waitFor(async () => { const list = await signalsOf(dataDir); return list.length > 0 ? list : undefined }, { timeout: 30_000, message: `node ${i + 1} to hold the signal` }))
    }
    // every node holds every chunk by now; still one signal each, the same one
    for (const dataDir of dirs) {
      const api = await ApiClient.forDataDir(dataDir)
      for (const id of [...unrelated, ...paraphrases]) await waitFor(async () => await api.get(`/v1/memory/chunks/${id}`).then(() => true, () => false), { timeout: 30_000, message: `${id} on ${dataDir}` })
    }
    for (const [i, dataDir] of dirs.entries()) {
      const list = await signalsOf(dataDir)
      assert.equal(list.length, 1, `node ${i + 1}: ${JSON.stringify(list)}`)
      assert.deepEqual(list, seen[0])
    }
    const [signal] = seen[0]
    assert.deepEqual(signal.chunks, [...paraphrases].sort())
    assert.deepEqual(signal.agents.map(a => a.agent).sort(), ['dba', 'ops', 'sre'])
    assert.deepEqual(signal.nodes, [ids[0], ids[1], ids[2]].sort())
    assert.match(signal.topic, /payroll/i)
    const table = await overmind(['memory', 'signals', '--data-dir', dirs[4]])
    assert.match(table.stdout, /payroll/i)
    assert.match(table.stdout, /3 +[0-9.]+ +[0-9.]+ +3\n/)
    // the consolidation pass, asked through the running node: no near-duplicates among the paraphrases
    const report = await json<{ strengthened: number, duplicates: number, pruned: number, scanned: number }>(['memory', 'consolidate', '--data-dir', dirs[2], '--json'])
    assert.equal(report.duplicates, 0)
    assert.equal(report.pruned, 0)
    assert.ok(report.scanned >= 2, JSON.stringify(report))
  })

  it('keeps a private chunk to the agent that wrote it, on its own node', async () => {
    const secret = 'alice keeps the staging database password in the vault under ops-7731'
    const put = await json<{ id: string }>(['memory', 'put', '--data-dir', dirs[0], '--zone', 'private', '--agent', 'alice', secret, '--json'])
    // a federation chunk written after it: once every node has that, the private one had every chance to travel
    const marker = await json<{ id: string }>(['memory', 'put', '--data-dir', dirs[0], 'staging database moved to the new vault cluster', '--json'])
    for (const dataDir of dirs.slice(1)) {
      await waitFor(async () => (await search(dataDir, 'staging database vault')).some(r => r.id === marker.id), { timeout: 30_000, message: 'the marker chunk to replicate' })
    }

    const asAlice = await search(dirs[0], 'staging database password vault', ['--agent', 'alice'])
    assert.ok(asAlice.some(r => r.id === put.id), 'alice finds her private chunk')
    assert.ok(!(await search(dirs[0], 'staging database password vault', ['--agent', 'bob'])).some(r => r.id === put.id), 'bob does not')
    assert.ok(!(await search(dirs[0], 'staging database password vault')).some(r => r.id === put.id), 'the default agent does not')
    const asBob = await overmind(['memory', 'get', '--data-dir', dirs[0], put.id, '--agent', 'bob', '--json'])
    assert.notEqual(asBob.code, 0)
    assert.match(asBob.stderr, /ChunkNotFound/)

    for (const dataDir of dirs.slice(1)) {
      const elsewhere = await search(dataDir, 'staging database password vault', ['--agent', 'alice', '--federated'])
      assert.ok(elsewhere.some(r => r.id === marker.id))
      assert.ok(!elsewhere.some(r => r.id === put.id || r.text === secret), `another node found the private chunk: ${JSON.stringify(elsewhere)}`)
    }
  })

  it('answers a federated search when one node is killed and another hangs', async () => {
    await nodes[4].kill()
    // SIGSTOP: its connections stay open and nothing answers on them
    nodes[3].child.kill('SIGSTOP')
    const started = Date.now()
    // the deadline plus the start of a CLI process on a loaded machine bounds the answer
    const res = await overmind(['memory', 'search', '--data-dir', dirs[0], 'resolver negative answers', '--federated', '--deadline', '2s', '--json'], { timeout: 10_000 })
    const took = Date.now() - started
    process.stdout.write(`# federated search with a killed and a stopped node: the CLI answered in ${took} ms (deadline 2000 ms)\n`)
    assert.equal(res.code, 0, res.stderr)
    const results: Result[] = JSON.parse(res.stdout)
    assert.ok(results.some(r => r.id === federated))
    nodes[3].child.kill('SIGCONT')
  })

  it('imports with a progress line from the start (count, rate, time left) and acknowledges its first lines within one small batch', async () => {
    const file = join(dir.path, 'progress.jsonl')
    const lines = 200
    const out = createWriteStream(file)
    for (let i = 0; i < lines; i++) out.write(JSON.stringify({ text: `progress note ${i}: the queue in zone ${i % 7} drains in ${i} ms` }) + '\n')
    await new Promise<void>(resolve => out.end(() => { resolve() }))

    const text = await overmind(['memory', 'import', '--data-dir', dirs[2], file])
    assert.equal(text.code, 0, text.stderr)
    const bar = text.stderr.split('\n').filter(l => l.startsWith('importing '))
    // drawn before any line is stored, with the total known at once
    assert.match(bar[0], /^importing \[-{30}\] 0\/200 0\.0% \(0\/s, ETA --\)$/)
    assert.match(bar[bar.length - 1], /^importing \[#{30}\] 200\/200 100% \([\d,]+\/s, done\)$/)
    assert.match(text.stdout, /imported 200 chunks/)

    const steps = await overmind(['memory', 'import', '--data-dir', dirs[3], file, '--json'])
    assert.equal(steps.code, 0, steps.stderr)
    const acks: number[] = steps.stdout.trim().split('\n').map(l => JSON.parse(l)).filter(p => p.done == null).map(p => p.acknowledged)
    // the first batch is small, so a slow embedder shows progress within a second or so
    assert.ok(acks[0] <= 16, `first acknowledgement at ${acks[0]} lines`)
    assert.ok(acks.length >= 3, `${acks.length} progress steps for ${lines} lines: ${acks.join(', ')}`)
    assert.equal(acks[acks.length - 1], lines)
  })
})

describe('kill -9 of the node while `memory import` streams 50,000 chunks', () => {
  const LINES = 50_000
  let dir: Awaited<ReturnType<typeof tempDir>>
  let node: NodeProcess | undefined

  beforeAll(async () => {
    dir = await tempDir()
    await initNode(join(dir.path, 'n'), ['--mesh', 'import-e2e'])
    // durability is the point here, not meaning: the fast embedder keeps the import quick
    await setConfig(join(dir.path, 'n'), { 'memory.embedder': 'hash' })
    const out = createWriteStream(join(dir.path, 'chunks.jsonl'))
    for (let i = 0; i < LINES; i++) {
      const line = JSON.stringify({ text: `import record q${i.toString(36)}z about service ${i % 97} in region ${i % 13}`, tags: [`batch-${Math.floor(i / 500)}`] }) + '\n'
      if (!out.write(line)) await new Promise<void>(resolve => out.once('drain', () => { resolve() }))
    }
    await new Promise<void>(resolve => out.end(() => { resolve() }))
  })

  afterAll(async () => {
    await node?.kill()
    await dir?.remove()
  })

  it('keeps every acknowledged chunk and indexes all of them after a restart', async () => {
    const dataDir = join(dir.path, 'n')
    node = await NodeProcess.start(dataDir, LISTEN)
    const importer = spawn(process.execPath, [BIN, 'memory', 'import', '--data-dir', dataDir, join(dir.path, 'chunks.jsonl'), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const done = collect(importer, 120_000)
    let acknowledged = 0
    let killedAt = -1
    let buffered = ''
    importer.stdout.on('data', (d: Buffer) => {
      buffered += d.toString()
      let nl: number
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const progress = JSON.parse(buffered.slice(0, nl))
        buffered = buffered.slice(nl + 1)
        if (typeof progress.acknowledged === 'number') acknowledged = Math.max(acknowledged, progress.acknowledged)
        if (killedAt < 0 && acknowledged >= 8_000) {
          killedAt = acknowledged
          node?.child.kill('SIGKILL')
        }
      }
    })
    const result = await done
    assert.ok(killedAt > 0, `the import finished before the node was killed: ${result.stdout.slice(-200)}`)
    assert.notEqual(result.code, 0, 'the import reports that it did not finish')
    assert.ok(acknowledged < LINES)
    // --json ends with the error line its help promises, counting what the node acknowledged
    const last = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}')
    assert.deepEqual(Object.keys(last).sort(), ['acknowledged', 'error', 'line'], JSON.stringify(last))
    assert.equal(last.acknowledged, acknowledged)
    assert.equal(last.line, acknowledged + 1)
    assert.equal(last.error.name, 'NodeNotRunningError')
    // and a message that says so, not the HTTP library's "TypeError: terminated"
    assert.doesNotMatch(result.stderr, /TypeError|terminated/, result.stderr)
    assert.match(result.stderr, new RegExp(`NodeNotRunningError: .*stopped answering.*the ${acknowledged} lines before it are stored`), result.stderr)
    process.stdout.write(`# killed the node at ${killedAt} acknowledged chunks; the import saw ${acknowledged} acknowledged and said: ${result.stderr.trim()}\n`)

    node = await NodeProcess.start(dataDir, LISTEN)
    const api = await ApiClient.forDataDir(dataDir)
    const stats = await api.get<{ chunks: Record<string, number>, indexed: { vectors: number, lexical: number } }>('/v1/memory/stats')
    const stored = stats.chunks.federation
    process.stdout.write(`# after restart: ${stored} chunks stored, ${stats.indexed.vectors} in the vector index, ${stats.indexed.lexical} in the lexical index\n`)
    assert.ok(stored >= acknowledged, `${stored} stored < ${acknowledged} acknowledged`)
    assert.equal(stats.indexed.vectors, stored)
    assert.equal(stats.indexed.lexical, stored)

    // every acknowledged line, by its text, in the export
    const exported = await overmind(['memory', 'export', '--data-dir', dataDir], { timeout: 120_000 })
    assert.equal(exported.code, 0, exported.stderr)
    const texts = new Set(exported.stdout.split('\n').filter(l => l !== '').map(l => JSON.parse(l).text))
    assert.equal(texts.size, stored)
    for (let i = 0; i < acknowledged; i++) {
      const text = `import record q${i.toString(36)}z about service ${i % 97} in region ${i % 13}`
      if (!texts.has(text)) assert.fail(`acknowledged line ${i + 1} is missing`)
    }

    // the indexes answer for them: each sampled line, searched by its own text, comes first (a search
    // by its unique word alone is left to the ranking's own tests: with the 256-dimension hash embedder,
    // a one-word query's vector can resemble another line more than its own, by hash collisions)
    for (let n = 0; n < 100; n++) {
      const i = Math.floor(n * (acknowledged - 1) / 99)
      const line = `import record q${i.toString(36)}z about service ${i % 97} in region ${i % 13}`
      const { results } = await api.post<{ results: SearchResult[] }>('/v1/memory/search', { query: line, k: 3 })
      assert.equal(results[0]?.text, line, `search for line ${i + 1}`)
    }
  })
})
