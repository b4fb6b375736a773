import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ApiClient } from '@overmind/node'
import { BIN, NodeProcess, overmind, setConfig, tempDir } from '../src/cli.js'
import { waitFor } from '../src/wait.js'
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import type { Progress } from '@modelcontextprotocol/sdk/types.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'

const LISTEN = ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0']

/** Says it started, then works until it is stopped */
const SLOW = 'echo started; sleep 60; echo finished'

const TOOLS = ['memory_store', 'memory_search', 'memory_get', 'memory_forget', 'memory_feedback', 'memory_link', 'memory_signals', 'memory_consolidate', 'run_agent', 'list_agents', 'mesh_status']
const SIGNALS = 'overmind://signals'
const QUEUED = 'overmind://runs/queued'

async function httpClient (dataDir: string): Promise<Client> {
  const api = await ApiClient.forDataDir(dataDir)
  const client = new Client({ name: 'mcp-e2e', version: '1.0.0' })
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', api.url), { requestInit: { headers: api.authHeaders() } }))
  return client
}

/**
 * Progress notifications and responses in the order the client's transport
 * delivers them, from now on. The SDK's client hands a notification to
 * `onprogress` a microtask late while it settles a response at once, so a
 * notification read in the same chunk as its call's result finds the call
 * gone and is dropped as "unknown token" (modelcontextprotocol/typescript-sdk
 * issue 2580); what the server sent is read here, where nothing is dropped.
 */
function watchTransport (client: Client): Array<{ kind: 'progress', message: string } | { kind: 'response' }> {
  const arrived: Array<{ kind: 'progress', message: string } | { kind: 'response' }> = []
  const transport = client.transport as Transport
  const deliver = transport.onmessage as NonNullable<Transport['onmessage']>
  transport.onmessage = (message, extra) => {
    if ('method' in message && message.method === 'notifications/progress') arrived.push({ kind: 'progress', message: String(message.params?.message ?? '') })
    else if ('id' in message && !('method' in message)) arrived.push({ kind: 'response' })
    deliver.call(transport, message, extra)
  }
  return arrived
}

async function stdioClient (dataDir: string): Promise<{ client: Client, stderr: () => string }> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--data-dir', dataDir], stderr: 'pipe' })
  let stderr = ''
  transport.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const client = new Client({ name: 'mcp-e2e-stdio', version: '1.0.0' })
  await client.connect(transport)
  return { client, stderr: () => stderr }
}

describe('MCP over stdio and Streamable HTTP on a mesh of two node processes', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>
  let dirA: string
  let dirB: string
  const nodes: NodeProcess[] = []
  let peerB: string
  let stdio: Awaited<ReturnType<typeof stdioClient>>
  let httpA: Client
  let httpB: Client

  beforeAll(async () => {
    dir = await tempDir()
    dirA = join(dir.path, 'a')
    dirB = join(dir.path, 'b')
    for (const [d, extra] of [[dirA, []], [dirB, ['--mesh-key-file', join(dirA, 'mesh.key')]]] as const) {
      const res = await overmind(['init', '--data-dir', d, '--mesh', 'mcp-e2e', ...extra])
      assert.equal(res.code, 0, res.stderr)
    }
    await setConfig(dirA, { 'heartbeat.interval': '500ms', 'memory.embedder': 'hash' })
    await setConfig(dirB, {
      'heartbeat.interval': '500ms',
      'memory.embedder': 'hash',
      agents: [
        { name: 'echo', runner: 'builtin', builtin: 'echo', description: 'Answers with its input, unchanged.', skills: ['repeat', 'test'] },
        { name: 'slow', runner: 'command', command: ['sh', '-c', SLOW] }
      ]
    })
    nodes.push(await NodeProcess.start(dirA, LISTEN))
    const bootstrap = (await nodes[0].status()).addresses.find(a => a.includes('/tcp/') && !a.includes('/ws'))!
    nodes.push(await NodeProcess.start(dirB, [...LISTEN, '--bootstrap', bootstrap]))
    peerB = (await nodes[1].status()).peerId
    await waitFor(async () => {
      const { agents } = await (await ApiClient.forDataDir(dirA)).get<{ agents: Array<{ name: string }> }>('/v1/agents')
      return agents.some(a => a.name === 'slow') ? true : undefined
    }, { timeout: 20_000, message: 'A never saw the agents of B' })
    stdio = await stdioClient(dirA)
    httpA = await httpClient(dirA)
    httpB = await httpClient(dirB)
  })

  afterAll(async () => {
    await stdio?.client.close()
    await httpA?.close()
    await httpB?.close()
    await Promise.all(nodes.map(async n => { await n.kill() }))
    await dir?.remove()
  })

  it('lists the tools with schemas and annotations, over stdio and over HTTP', async () => {
    for (const client of [stdio.client, httpB]) {
      const { tools } = await client.listTools()
      const byName = new Map(tools.map(t => [t.name, t]))
      for (const name of TOOLS) {
        const tool = byName.get(name)
        assert.ok(tool != null, `tool ${name} is missing`)
        assert.equal(tool.inputSchema.type, 'object')
        assert.equal(tool.outputSchema?.type, 'object', `${name} has no output schema`)
      }
      assert.equal(byName.get('memory_search')?.annotations?.readOnlyHint, true)
      assert.equal(byName.get('memory_forget')?.annotations?.destructiveHint, true)
      assert.equal(byName.get('memory_store')?.annotations?.readOnlyHint, false)
      assert.deepEqual(byName.get('memory_store')?.inputSchema.required, ['text'])
    }
  })

  it('stores a chunk on A over stdio and finds it through B over HTTP', async () => {
    const stored = await stdio.client.callTool({ name: 'memory_store', arguments: { text: 'the staging database lives on port 6543', zone: 'federation', tags: ['infra'] } })
    assert.notEqual(stored.isError, true, JSON.stringify(stored.content))
    const chunk = stored.structuredContent as { id: string, zone: string, tags: string[] }
    assert.equal(chunk.zone, 'federation')
    assert.deepEqual(chunk.tags, ['infra'])

    // B finds it by asking the mesh (and, once replicated, in its own store)
    const found = await waitFor(async () => {
      const res = await httpB.callTool({ name: 'memory_search', arguments: { query: 'staging database port', federated: true, k: 5 } })
      const results = (res.structuredContent as { results: Array<{ id: string, text: string }> }).results
      return results.find(r => r.id === chunk.id)
    }, { timeout: 15_000, message: 'B never found the chunk stored on A' })
    assert.equal(found.text, 'the staging database lives on port 6543')

    const got = await stdio.client.callTool({ name: 'memory_get', arguments: { id: chunk.id } })
    assert.equal((got.structuredContent as { text: string }).text, found.text)

    const feedback = await httpA.callTool({ name: 'memory_feedback', arguments: { ids: [chunk.id], success: true } })
    assert.deepEqual(feedback.structuredContent, { ids: [chunk.id], success: true })
    const after = await httpA.callTool({ name: 'memory_get', arguments: { id: chunk.id } })
    assert.equal((after.structuredContent as { successes: number }).successes, 1)
  })

  it('exposes chunks as resources', async () => {
    const stored = await httpA.callTool({ name: 'memory_store', arguments: { text: 'resources carry chunks too' } })
    const id = (stored.structuredContent as { id: string }).id
    const { resources } = await stdio.client.listResources()
    const uri = `overmind://chunks/${id}`
    assert.ok(resources.some(r => r.uri === uri), 'the chunk is not listed')
    const read = await stdio.client.readResource({ uri })
    const content = read.contents[0] as { text: string, mimeType: string }
    assert.equal(content.mimeType, 'application/json')
    assert.equal(JSON.parse(content.text).text, 'resources carry chunks too')
  })

  it('forgets a chunk, and answers a tool error for one that does not exist', async () => {
    const stored = await httpA.callTool({ name: 'memory_store', arguments: { text: 'short-lived', zone: 'shared' } })
    const id = (stored.structuredContent as { id: string }).id
    const forgotten = await httpA.callTool({ name: 'memory_forget', arguments: { id } })
    assert.deepEqual(forgotten.structuredContent, { id, forgotten: true })
    const missing = await httpA.callTool({ name: 'memory_get', arguments: { id } })
    assert.equal(missing.isError, true)
    assert.match(JSON.stringify(missing.content), /ChunkNotFoundError/)
  })

  it('rejects arguments that do not match the input schema', async () => {
    const res = await httpA.callTool({ name: 'memory_search', arguments: { query: 42 } }).catch((err: Error) => err)
    assert.ok(res instanceof Error || res.isError === true, 'the call was not refused')
    const text = res instanceof Error ? res.message : JSON.stringify(res.content)
    assert.match(text, /query/)
    for (const args of [{ query: 'x', authors: ['not-a-node'] }, { agent: 'echo', input: 'x', node: 'not-a-node' }]) {
      const refused = await httpA.callTool({ name: 'node' in args ? 'run_agent' : 'memory_search', arguments: args }).catch((err: Error) => err)
      assert.ok(refused instanceof Error || refused.isError === true, `${JSON.stringify(args)} was not refused`)
      assert.match(refused instanceof Error ? refused.message : JSON.stringify(refused.content), /not a peer id/)
    }
  })

  it('refuses misspelt arguments, naming them, as the JSON-RPC bridge does', async () => {
    for (const [name, args, key] of [
      ['memory_search', { query: 'x', federatd: true }, 'federatd'],
      ['run_agent', { agent: 'echo', inptu: 'hello' }, 'inptu']
    ] as const) {
      const refused = await httpA.callTool({ name, arguments: args }).catch((err: Error) => err)
      assert.ok(refused instanceof Error || refused.isError === true, `${JSON.stringify(args)} was not refused`)
      assert.match(refused instanceof Error ? refused.message : JSON.stringify(refused.content), new RegExp(key))
    }
    const { tools } = await httpA.listTools()
    assert.equal((tools.find(t => t.name === 'memory_search')?.inputSchema as { additionalProperties?: boolean }).additionalProperties, false)
  })

  it('pages resources/list with a cursor through every chunk', async () => {
    const lines = Array.from({ length: 230 }, (_, i) => JSON.stringify({ text: `paged chunk ${i}` })).join('\n') + '\n'
    await writeFile(join(dir.path, 'paged.jsonl'), lines)
    const res = await overmind(['memory', 'import', '--data-dir', dirB, join(dir.path, 'paged.jsonl'), '--json'])
    assert.equal(res.code, 0, res.stderr)
    const uris: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const page = await httpB.listResources(cursor == null ? {} : { cursor })
      uris.push(...page.resources.map(r => r.uri))
      cursor = page.nextCursor
      pages++
    } while (cursor != null && pages < 20)
    assert.ok(pages >= 2, `${pages} page(s)`)
    assert.equal(new Set(uris).size, uris.length, 'no chunk twice')
    // the signals and the queued runs come first, then every chunk
    assert.deepEqual(uris.slice(0, 2), [SIGNALS, QUEUED])
    const status = await nodes[1].status()
    assert.equal(uris.length - 2, (status.memory?.chunks.federation ?? 0) + (status.memory?.chunks.shared ?? 0))
    const bad = await httpB.listResources({ cursor: 'not-a-cursor' }).catch((err: Error) => err)
    assert.ok(bad instanceof Error && /cursor/.test(bad.message))
  })

  it('runs a mesh agent hosted on B, with its output as progress, over both transports', async () => {
    for (const client of [stdio.client, httpA]) {
      const arrived = watchTransport(client)
      // the callback makes the client ask for progress; what arrives is read from the transport (see watchTransport)
      const res = await client.callTool({ name: 'run_agent', arguments: { agent: 'echo', input: 'hello through mcp' } }, undefined, { onprogress: () => {} })
      assert.notEqual(res.isError, true, JSON.stringify(res.content))
      const result = res.structuredContent as { output: string, host: string }
      assert.equal(result.output, 'hello through mcp')
      assert.equal(result.host, peerB)
      const answered = arrived.findIndex(m => m.kind === 'response')
      const progress = arrived.slice(0, answered).flatMap(m => m.kind === 'progress' ? [m.message] : [])
      assert.ok(progress.length >= 1, 'no progress notification before the result')
      assert.equal(progress.join(''), 'hello through mcp')
    }
    const { structuredContent } = await httpA.callTool({ name: 'list_agents', arguments: {} })
    const agents = (structuredContent as { agents: Array<{ name: string, host: string, description: string, skills: string[] }> }).agents
    assert.ok(agents.some(a => a.name === 'slow' && a.host === peerB))
    // what each agent does travels in B's heartbeats to A
    const echo = agents.find(a => a.name === 'echo')
    assert.deepEqual([echo?.description, echo?.skills], ['Answers with its input, unchanged.', ['repeat', 'test']])
    // by skill: the agent that declares it, wherever it is
    const bySkill = await httpA.callTool({ name: 'run_agent', arguments: { skill: 'repeat', input: 'said by skill' } })
    assert.deepEqual([(bySkill.structuredContent as { output: string }).output, (bySkill.structuredContent as { host: string }).host], ['said by skill', peerB])
    const neither = await httpA.callTool({ name: 'run_agent', arguments: { input: 'x' } })
    assert.equal(neither.isError, true)
    assert.match(JSON.stringify(neither.content), /name an agent or a skill/)
  })

  it('cancels a run through MCP, and the host stops it', async () => {
    for (const client of [httpA, stdio.client]) {
      const cancel = new AbortController()
      const progress: Progress[] = []
      const call = client.callTool({ name: 'run_agent', arguments: { agent: 'slow', input: '' } }, undefined, {
        signal: cancel.signal,
        onprogress: p => { progress.push(p) },
        timeout: 120_000
      })
      const settled = call.then(() => 'finished', (err: Error) => err)
      await waitFor(() => progress.length > 0 ? true : undefined, { timeout: 20_000, message: 'the slow agent never said it started' })
      const b = await ApiClient.forDataDir(dirB)
      assert.equal((await b.get<{ active: unknown[] }>('/v1/runs')).active.length, 1)
      cancel.abort(new Error('the user changed their mind'))
      const outcome = await settled
      assert.ok(outcome instanceof Error, 'the call finished instead of being cancelled')
      await waitFor(async () => (await b.get<{ active: unknown[] }>('/v1/runs')).active.length === 0 ? true : undefined, {
        timeout: 15_000,
        message: 'the run kept going on B after the MCP client cancelled it'
      })
      // a run the caller stopped is not a failure: it ends cancelled, with the reason, on both sides
      const recent = (await b.get<{ recent: Array<{ agent: string, state: string, reason?: string }> }>('/v1/runs')).recent
      const hosted = recent.filter(r => r.agent === 'slow').at(-1)
      assert.equal(hosted?.state, 'cancelled', JSON.stringify(hosted))
      assert.ok((hosted?.reason ?? '') !== '', 'the host says why')
      const a = await ApiClient.forDataDir(dirA)
      const called = (await a.get<{ recent: Array<{ agent: string, role: string, state: string }> }>('/v1/runs')).recent.filter(r => r.agent === 'slow' && r.role === 'caller').at(-1)
      assert.equal(called?.state, 'cancelled', JSON.stringify(called))
    }
    const metrics = await (await fetch(new URL('/metrics', (await ApiClient.forDataDir(dirB)).url), { headers: (await ApiClient.forDataDir(dirB)).authHeaders() })).text()
    assert.match(metrics, /overmind_run_duration_seconds_count\{agent="slow",role="host",outcome="cancelled"\} 2/)
    assert.doesNotMatch(metrics, /outcome="failed"/)
  })

  it('reports the mesh', async () => {
    const res = await stdio.client.callTool({ name: 'mesh_status', arguments: {} })
    const status = res.structuredContent as { mesh: string, members: Array<{ peerId: string }> }
    assert.equal(status.mesh, 'mcp-e2e')
    assert.ok(status.members.some(m => m.peerId === peerB))
    assert.doesNotMatch(stdio.stderr(), /error/i)
  })

  it('tells a subscriber of overmind://signals when agents on both nodes write the same thing, and lists the signal', async () => {
    const updates: string[] = []
    stdio.client.setNotificationHandler(ResourceUpdatedNotificationSchema, notification => { updates.push(notification.params.uri) })
    await stdio.client.subscribeResource({ uri: SIGNALS })
    const empty = JSON.parse(((await stdio.client.readResource({ uri: SIGNALS })).contents[0] as { text: string }).text) as { signals: unknown[] }
    assert.deepEqual(empty.signals, [])
    const text = 'the nightly backup of the billing database skips the audit tables'
    const ids: string[] = []
    for (const [client, agent, variant] of [[httpA, 'ops', text], [httpA, 'dev', `${text} again`], [httpB, 'dba', `as seen before ${text}`]] as const) {
      const res = await client.callTool({ name: 'memory_store', arguments: { text: variant, agent, zone: 'federation' } })
      ids.push((res.structuredContent as { id: string }).id)
    }
    await waitFor(() => updates.includes(SIGNALS) ? true : undefined, { timeout: 30_000, message: 'no notifications/resources/updated for the signals' })
    const { signals } = JSON.parse(((await stdio.client.readResource({ uri: SIGNALS })).contents[0] as { text: string }).text) as { signals: Array<{ chunks: string[], agents: Array<{ agent: string }> }> }
    assert.equal(signals.length, 1)
    assert.deepEqual(signals[0].chunks, [...ids].sort())
    assert.deepEqual(signals[0].agents.map(a => a.agent).sort(), ['dba', 'dev', 'ops'])
    const listed = await httpB.callTool({ name: 'memory_signals', arguments: {} })
    assert.deepEqual((listed.structuredContent as { signals: unknown[] }).signals, signals)
    await stdio.client.unsubscribeResource({ uri: SIGNALS })
  })

  it('tells a subscriber of overmind://runs/queued when a run kept for an absent host ends, without polling', async () => {
    const updates: string[] = []
    httpA.setNotificationHandler(ResourceUpdatedNotificationSchema, notification => { updates.push(notification.params.uri) })
    await httpA.subscribeResource({ uri: QUEUED })
    const res = await httpA.callTool({ name: 'run_agent', arguments: { agent: 'nobody-hosts-this', input: 'x', queueTtl: 1_000 } })
    const { id } = (res.structuredContent as { queued: { id: string } }).queued
    await waitFor(() => updates.length >= 2 ? true : undefined, { timeout: 15_000, message: () => `updates for the queued run: ${JSON.stringify(updates)}` })
    assert.ok(updates.every(u => u === QUEUED))
    const { runs } = JSON.parse(((await httpA.readResource({ uri: QUEUED })).contents[0] as { text: string }).text) as { runs: Array<{ id: string, state: string, error?: { name: string } }> }
    const run = runs.find(r => r.id === id)
    assert.deepEqual([run?.state, run?.error?.name], ['expired', 'QueueExpiredError'])
    const bad = await httpA.subscribeResource({ uri: 'overmind://nothing' }).catch((err: Error) => err)
    assert.ok(bad instanceof Error && /can be subscribed to/.test(bad.message))
    await httpA.unsubscribeResource({ uri: QUEUED })
  })
})
