import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { operationSchemas, startApiServer } from '@overmind/node'
import { NodeProcess, ROOT, json, overmind, setConfig, tempDir } from '../src/cli.js'
import { agents } from '../src/agents.js'
import { meshKey, startTestNode } from '../src/in-process.js'
import type { ApiServer, OvermindNode } from '@overmind/node'

const TOKEN = 'local-api-test-token-0123456789'

interface RpcAnswer { jsonrpc: '2.0', id: unknown, result?: any, error?: { code: number, message: string, data?: any } }

/** Every kind of route the API has: none may answer without the token */
const ROUTES = [
  ['GET', '/v1/status'],
  ['GET', '/v1/peers'],
  ['POST', '/v1/memory/search'],
  ['POST', '/v1/agents/run'],
  ['POST', '/rpc'],
  ['POST', '/mcp'],
  ['GET', '/mcp'],
  ['DELETE', '/mcp'],
  ['POST', '/a2a/jsonrpc'],
  ['GET', '/a2a/rest/v1/card'],
  ['GET', '/metrics'],
  ['GET', '/'],
  ['GET', '/v1/events'],
  ['GET', '/ui/app.js'],
  ['GET', '/no/such/route']
] as const

describe('the local API: JSON-RPC bridge and security', () => {
  let node: OvermindNode
  let api: ApiServer

  const rpcText = async (body: string, headers: Record<string, string> = {}): Promise<Response> => await fetch(`${api.url}/rpc`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body
  })
  const rpc = async (body: unknown): Promise<any> => {
    const res = await rpcText(JSON.stringify(body))
    assert.equal(res.status, 200)
    return await res.json()
  }
  const call = async (method: string, params?: unknown, id: number | string = 1): Promise<RpcAnswer> => await rpc({ jsonrpc: '2.0', id, method, params })

  beforeAll(async () => {
    node = await startTestNode({
      psk: meshKey(),
      memory: true,
      config: config => { config.agents = agents([{ name: 'echo', runner: 'builtin', builtin: 'echo' }]) }
    })
    api = await startApiServer({ node, token: TOKEN, host: '127.0.0.1', port: 0 })
  })

  afterAll(async () => {
    await api?.close()
    await node?.stop()
  })

  describe('JSON-RPC 2.0 at POST /rpc', () => {
    it('answers a single request, and a search finds what a store wrote', async () => {
      const stored = await call('memory.store', { text: 'the release train leaves on thursdays', tags: ['process'] })
      assert.equal(stored.error, undefined, JSON.stringify(stored.error))
      assert.equal(stored.id, 1)
      assert.equal(stored.result.text, 'the release train leaves on thursdays')
      const found = await call('memory.search', { query: 'when does the release train leave', k: 3 }, 'search-1')
      assert.equal(found.id, 'search-1')
      assert.equal(found.result.results[0].id, stored.result.id)
      const ping = await call('health.ping')
      assert.equal(ping.result.peerId, node.peerId)
    })

    it('answers a batch in one response, skipping notifications', async () => {
      const answers: RpcAnswer[] = await rpc([
        { jsonrpc: '2.0', id: 1, method: 'health.ping' },
        { jsonrpc: '2.0', id: 2, method: 'mesh.status' },
        { jsonrpc: '2.0', id: 3, method: 'no.such.method' },
        { jsonrpc: '2.0', method: 'memory.store', params: { text: 'written by a notification in a batch' } },
        { foo: 'bar' },
        { jsonrpc: '2.0', id: 4, method: 'agent.run', params: { agent: 'echo', input: 'batched run' } }
      ])
      assert.equal(answers.length, 5)
      const byId = new Map(answers.map(a => [a.id, a]))
      assert.equal(byId.get(1)?.result.ok, true)
      assert.equal(byId.get(2)?.result.peerId, node.peerId)
      assert.equal(byId.get(3)?.error?.code, -32601)
      assert.equal(byId.get(4)?.result.output, 'batched run')
      assert.equal(answers.find(a => a.id === null)?.error?.code, -32600)
      // the notification ran even though nobody was told
      const found = await call('memory.search', { query: 'written by a notification in a batch', k: 1 })
      assert.equal(found.result.results[0]?.text, 'written by a notification in a batch')
    })

    it('answers 204 with no body to notifications only', async () => {
      const res = await rpcText(JSON.stringify([{ jsonrpc: '2.0', method: 'health.ping' }, { jsonrpc: '2.0', method: 'health.ping' }]))
      assert.equal(res.status, 204)
      assert.equal(await res.text(), '')
    })

    it('returns -32700 for a body that is not JSON', async () => {
      const res = await rpcText('{"jsonrpc": "2.0", "method": ')
      const answer = await res.json() as RpcAnswer
      assert.equal(answer.error?.code, -32700)
      assert.equal(answer.id, null)
    })

    it('returns -32600 for requests that are not requests', async () => {
      for (const body of [[], {}, 42, { jsonrpc: '1.0', id: 1, method: 'health.ping' }, { jsonrpc: '2.0', id: 1, method: 7 }, { jsonrpc: '2.0', id: { a: 1 }, method: 'health.ping' }, { jsonrpc: '2.0', id: 1, method: 'health.ping', params: 'x' }]) {
        const answer: RpcAnswer = await rpc(body)
        assert.equal(answer.error?.code, -32600, JSON.stringify(body))
      }
      const batch: RpcAnswer[] = await rpc([1, 2])
      assert.deepEqual(batch.map(a => a.error?.code), [-32600, -32600])
      const tooMany = Array.from({ length: 101 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'health.ping' }))
      assert.equal((await rpc(tooMany) as RpcAnswer).error?.code, -32600)
    })

    it('returns -32601 for an unknown method, naming the known ones', async () => {
      const answer = await call('memory.drop_everything')
      assert.equal(answer.error?.code, -32601)
      assert.ok(answer.error?.data.methods.includes('memory.search'))
    })

    it('returns -32602 for params that do not fit, with the offending key', async () => {
      const missing = await call('memory.store', {})
      assert.equal(missing.error?.code, -32602)
      assert.equal(missing.error?.data.issues[0].path, 'text')
      const unknown = await call('memory.search', { query: 'x', bogus: true })
      assert.equal(unknown.error?.code, -32602)
      assert.match(unknown.error!.message, /bogus/)
      assert.equal((await call('memory.search', ['x'])).error?.code, -32602)
      assert.equal((await call('memory.store', { text: 'x', zone: 'galaxy' })).error?.code, -32602)
    })

    it('pages through the memory with memory.list, the operation MCP resources are listed with', async () => {
      for (let i = 0; i < 3; i++) assert.equal((await call('memory.store', { text: `listed chunk ${i}` })).error, undefined)
      const seen: string[] = []
      let cursor: string | undefined
      do {
        const page = await call('memory.list', { limit: 2, ...(cursor != null ? { cursor } : {}) })
        assert.equal(page.error, undefined, JSON.stringify(page.error))
        assert.ok(page.result.chunks.length <= 2)
        seen.push(...page.result.chunks.map((c: { id: string }) => c.id))
        cursor = page.result.nextCursor
      } while (cursor != null)
      assert.equal(new Set(seen).size, seen.length, 'no chunk twice')
      const stats = await call('memory.stats', {})
      assert.equal(seen.length, stats.result.chunks.federation + stats.result.chunks.shared)
      assert.equal((await call('memory.list', { cursor: 'page-2' })).error?.code, -32602)
    })

    it('stores up to 500 chunks in one durable memory.import, and refuses a batch with one bad chunk whole', async () => {
      const imported = await call('memory.import', { chunks: [{ text: 'bulk one' }, { text: 'bulk two', zone: 'shared', tags: ['b'] }] })
      assert.equal(imported.error, undefined, JSON.stringify(imported.error))
      assert.equal(imported.result.stored, 2)
      const got = await call('memory.get', { id: imported.result.ids[1] })
      assert.deepEqual([got.result.text, got.result.zone, got.result.tags], ['bulk two', 'shared', ['b']])
      const before = (await call('memory.stats', {})).result.chunks
      for (const [params, path] of [
        [{ chunks: [{ text: 'fine' }, { text: 'x', tags: ['t'.repeat(65)] }] }, 'chunks.1.tags.0'],
        [{ chunks: Array.from({ length: 501 }, (_, i) => ({ text: `c${i}` })) }, 'chunks'],
        [{ chunks: [] }, 'chunks']
      ] as const) {
        const refused = await call('memory.import', params)
        assert.equal(refused.error?.code, -32602)
        assert.equal(refused.error?.data.issues[0].path, path)
      }
      assert.deepEqual((await call('memory.stats', {})).result.chunks, before, 'a refused batch stores nothing')
    })

    it('refuses at the API what the wire would refuse, with the limits of protocols/src/limits.ts', async () => {
      // a tag of 65 bytes (the wire takes 64), 33 tags, a text over 32 KiB, 'é' counted as the 2 bytes it is
      for (const [params, path] of [
        [{ text: 'x', tags: ['t'.repeat(65)] }, 'tags.0'],
        [{ text: 'x', tags: ['é'.repeat(33)] }, 'tags.0'],
        [{ text: 'x', tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }, 'tags'],
        [{ text: 'x'.repeat(32 * 1024 + 1) }, 'text']
      ] as const) {
        const refused = await call('memory.store', params)
        assert.equal(refused.error?.code, -32602, JSON.stringify(params).slice(0, 80))
        assert.equal(refused.error?.data.issues[0].path, path)
      }
      assert.equal((await call('memory.store', { text: 'x', tags: ['t'.repeat(64)] })).error, undefined)
      // a federated search asks each node for at most 100 results; this node alone answers up to 1000
      const federated = await call('memory.search', { query: 'x', k: 200, federated: true })
      assert.equal(federated.error?.code, -32602)
      assert.match(federated.error!.message, /at most 100 when federated/)
      assert.equal((await call('memory.search', { query: 'x', k: 200 })).error, undefined)
    })

    it('refuses a param that should be a peer id and is not, with -32602 naming it, local or federated', async () => {
      const refusals = [
        ['memory.search', { query: 'x', authors: [node.peerId, 'not-a-peer-id'] }, 'authors.1'],
        ['memory.search', { query: 'x', authors: ['12D3KooWnotbase58!'], federated: true }, 'authors.0'],
        ['agent.run', { agent: 'echo', input: 'x', node: 'garbage' }, 'node']
      ] as const
      for (const [method, params, path] of refusals) {
        const answer = await call(method, params)
        assert.equal(answer.error?.code, -32602, `${method} ${JSON.stringify(params)}: ${JSON.stringify(answer)}`)
        assert.equal(answer.error?.data.issues[0].path, path)
        assert.ok(answer.error!.message.includes(`${path}: not a peer id`), answer.error!.message)
      }
      // the same check on the REST routes: a 400 before anything runs
      for (const [route, body] of [['/v1/memory/search', { query: 'x', authors: ['nope'] }], ['/v1/agents/run', { agent: 'echo', node: 'nope' }]] as const) {
        const res = await fetch(`${api.url}${route}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
        assert.equal(res.status, 400, route)
        assert.match((await res.json() as { error: { message: string } }).error.message, /not a peer id/)
      }
      // a real peer id still works
      const mine = await call('memory.search', { query: 'release train', authors: [node.peerId] })
      assert.equal(mine.error, undefined, JSON.stringify(mine.error))
      const here = await call('agent.run', { agent: 'echo', input: 'on this node', node: node.peerId })
      assert.equal(here.result?.output, 'on this node', JSON.stringify(here.error))
    })

    it('matches the schemas written down in protocols/local-api.schema.json', async () => {
      const file = join(ROOT, 'protocols', 'local-api.schema.json')
      const current = JSON.stringify(operationSchemas(), null, 2) + '\n'
      if (process.env.UPDATE_SCHEMAS === '1') await writeFile(file, current)
      assert.equal(await readFile(file, 'utf8'), current, 'the operations changed: run the test with UPDATE_SCHEMAS=1 and review the diff')
    })

    it('returns documented domain codes for the node\'s errors', async () => {
      const stored = await call('memory.store', { text: 'soon forgotten', zone: 'shared' })
      await call('memory.forget', { id: stored.result.id })
      const chunk = await call('memory.get', { id: stored.result.id })
      assert.equal(chunk.error?.code, -32001)
      assert.equal(chunk.error?.data.name, 'ChunkNotFoundError')
      const agent = await call('agent.run', { agent: 'no-such-agent', input: 'x' })
      assert.equal(agent.error?.code, -32002)
      assert.equal(agent.error?.data.name, 'AgentNotFoundError')
    })
  })

  describe('MCP sessions at /mcp', () => {
    const mcp = async (method: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> => await fetch(`${api.url}/mcp`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    })
    const initialize = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }

    it('starts a session with initialize, names it in Mcp-Session-Id, and ends it with DELETE', async () => {
      const init = await mcp('POST', initialize)
      assert.equal(init.status, 200)
      const session = init.headers.get('mcp-session-id')
      assert.ok(session != null && session.length > 0)
      await init.text()
      const list = await mcp('POST', { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' })
      assert.equal(list.status, 200)
      assert.match(await list.text(), /memory_search/)
      assert.equal((await mcp('DELETE', undefined, { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' })).status, 200)
      const after = await mcp('POST', { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { 'mcp-session-id': session })
      assert.equal(after.status, 404)
    })

    it('refuses what is not part of the transport with a JSON-RPC error', async () => {
      const unknown = await mcp('POST', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': 'no-such-session' })
      assert.equal(unknown.status, 404)
      const noSession = await mcp('POST', { jsonrpc: '2.0', id: 1, method: 'tools/list' })
      assert.equal(noSession.status, 400)
      assert.equal(((await noSession.json()) as RpcAnswer).error?.code, -32000)
      const notJson = await mcp('POST', '{"jsonrpc":')
      assert.equal(notJson.status, 400)
      assert.equal(((await notJson.json()) as RpcAnswer).error?.code, -32700)
      assert.equal((await mcp('PUT', {})).status, 405)
    })
  })

  describe('security', () => {
    it('answers 401 on every route without the token, or with a wrong one', async () => {
      for (const [method, path] of ROUTES) {
        for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` }]) {
          const res = await fetch(`${api.url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers } as Record<string, string>, body: method === 'POST' ? '{}' : undefined })
          assert.equal(res.status, 401, `${method} ${path} with ${JSON.stringify(headers)}`)
          assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/)
        }
      }
      // the one route that needs no token: the public A2A card, which names no agent
      const card = await fetch(`${api.url}/.well-known/agent-card.json`, { headers: { 'a2a-version': '1.0' } })
      assert.equal(card.status, 200)
      const body = await card.json() as { skills: Array<{ id: string }> }
      assert.deepEqual(body.skills.map(s => s.id), ['run-mesh-agent'])
    })

    it('signs a browser in with a cookie that reads but never writes', async () => {
      const wrong = await fetch(`${api.url}/?token=not-the-token`, { redirect: 'manual' })
      assert.equal(wrong.status, 401)
      const login = await fetch(`${api.url}/?token=${TOKEN}`, { redirect: 'manual' })
      assert.equal(login.status, 303)
      assert.equal(login.headers.get('location'), '/')
      const cookie = login.headers.get('set-cookie') ?? ''
      assert.match(cookie, /HttpOnly/)
      assert.match(cookie, /SameSite=Strict/)
      const pair = cookie.split(';')[0]
      const status = await fetch(`${api.url}/v1/status`, { headers: { cookie: pair } })
      assert.equal(status.status, 200)
      const write = await fetch(`${api.url}/rpc`, { method: 'POST', headers: { cookie: pair, 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'memory.store', params: { text: 'x' } }) })
      assert.equal(write.status, 401)
    })

    it('refuses a Host header that does not name the server (DNS rebinding)', async () => {
      const port = new URL(api.url).port
      for (const host of [`evil.example:${port}`, 'localhost:1', `127.0.0.1.nip.io:${port}`]) {
        const status = await rawStatus(api.url, '/v1/status', { host, authorization: `Bearer ${TOKEN}` })
        assert.equal(status, 421, host)
      }
      assert.equal(await rawStatus(api.url, '/v1/status', { host: `localhost:${port}`, authorization: `Bearer ${TOKEN}` }), 200)
    })

    it('refuses requests from a foreign browser origin', async () => {
      const foreign = await fetch(`${api.url}/v1/status`, { headers: { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' } })
      assert.equal(foreign.status, 403)
      const own = await fetch(`${api.url}/v1/status`, { headers: { authorization: `Bearer ${TOKEN}`, origin: api.url } })
      assert.equal(own.status, 200)
    })
  })

  describe('limits', () => {
    let limited: ApiServer

    beforeAll(async () => {
      limited = await startApiServer({ node, token: TOKEN, host: '127.0.0.1', port: 0, maxBody: 4096, rateLimit: 30 })
    })

    afterAll(async () => {
      await limited?.close()
    })

    it('refuses a body over the limit with 413, on the bridge and on MCP', async () => {
      const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'memory.store', params: { text: 'x'.repeat(5000) } })
      for (const path of ['/rpc', '/mcp', '/v1/memory/chunks']) {
        const res = await fetch(`${limited.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: big })
        assert.equal(res.status, 413, path)
      }
    })

    it('answers 429 with Retry-After past a client\'s rate', async () => {
      let refused: Response | undefined
      for (let i = 0; i < 40 && refused == null; i++) {
        const res = await fetch(`${limited.url}/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
        if (res.status === 429) refused = res
        else assert.equal(res.status, 200)
      }
      assert.ok(refused != null, 'never refused')
      assert.ok(Number(refused.headers.get('retry-after')) >= 1)
      assert.equal((await refused.json() as any).error.name, 'TooManyRequests')
    })
  })

  describe('binding beyond loopback', () => {
    it('refuses plain HTTP on a public address unless told it is intended', async () => {
      await assert.rejects(startApiServer({ node, token: TOKEN, host: '0.0.0.0', port: 0 }), { name: 'InsecureApiError' })
      const insecure = await startApiServer({ node, token: TOKEN, host: '0.0.0.0', port: 0, insecure: true })
      try {
        const res = await fetch(`${insecure.url}/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
        assert.equal(res.status, 200)
      } finally {
        await insecure.close()
      }
    })

    it('serves HTTPS with a certificate', async () => {
      const dir = await tempDir()
      try {
        const cert = join(dir.path, 'cert.pem')
        const key = join(dir.path, 'key.pem')
        selfSigned(cert, key)
        const tls = { cert: await readFile(cert), key: await readFile(key) }
        const secure = await startApiServer({ node, token: TOKEN, host: '0.0.0.0', port: 0, tls })
        try {
          assert.match(secure.url, /^https:/)
          const { status, body } = await httpsGet(`${secure.url}/v1/status`, tls.cert, { authorization: `Bearer ${TOKEN}` })
          assert.equal(status, 200)
          assert.equal(JSON.parse(body).peerId, node.peerId)
          assert.equal((await httpsGet(`${secure.url}/v1/status`, tls.cert, {})).status, 401)
        } finally {
          await secure.close()
        }
      } finally {
        await dir.remove()
      }
    })
  })
})

describe('the local API contract of the CLI', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>

  beforeAll(async () => {
    dir = await tempDir()
  })

  afterAll(async () => {
    await dir?.remove()
  })

  it('init writes the token with mode 0600; start serves on 3099 by default and status reports api.url', async () => {
    const dataDir = join(dir.path, 'default-port')
    assert.equal((await overmind(['init', '--data-dir', dataDir])).code, 0)
    const token = await stat(join(dataDir, 'api.token'))
    assert.equal(token.mode & 0o777, 0o600)
    const node = await NodeProcess.start(dataDir, ['--listen', '/ip4/127.0.0.1/tcp/0'])
    try {
      const status = await json<{ api: { url: string, rpc: string, mcp: string, metrics: string, page: string } }>(['status', '--data-dir', dataDir, '--json'])
      assert.equal(status.api.url, 'http://127.0.0.1:3099')
      assert.equal(status.api.rpc, 'http://127.0.0.1:3099/rpc')
      assert.equal(status.api.mcp, 'http://127.0.0.1:3099/mcp')
      const text = (await readFile(join(dataDir, 'api.token'), 'utf8')).trim()
      const res = await fetch(status.api.rpc, { method: 'POST', headers: { authorization: `Bearer ${text}`, 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'health.ping' }) })
      assert.equal((await res.json() as RpcAnswer).result.ok, true)
    } finally {
      await node.stop()
    }
  })

  it('serves HTTPS when api.tlsCert and api.tlsKey are set, and the CLI trusts the node\'s certificate', async () => {
    const dataDir = join(dir.path, 'tls')
    assert.equal((await overmind(['init', '--data-dir', dataDir])).code, 0)
    selfSigned(join(dataDir, 'api-cert.pem'), join(dataDir, 'api-key.pem'))
    await setConfig(dataDir, { 'api.tlsCert': 'api-cert.pem', 'api.tlsKey': 'api-key.pem' })
    const node = await NodeProcess.start(dataDir, ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0'])
    try {
      const status = await json<{ peerId: string, api: { url: string } }>(['status', '--data-dir', dataDir, '--json'])
      assert.match(status.api.url, /^https:\/\/127\.0\.0\.1:\d+$/)
      // plain HTTP on that port gets nowhere
      await assert.rejects(fetch(status.api.url.replace('https:', 'http:') + '/v1/status'))
    } finally {
      await node.stop()
    }
    await setConfig(dataDir, { 'api.tlsKey': '' })
    const half = await overmind(['start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0'], { timeout: 30_000 })
    assert.equal(half.code, 1)
    assert.match(half.stderr, /api\.tlsCert and api\.tlsKey go together/)
  })

  it('start refuses a public API address without TLS or --insecure, and says how to fix it', async () => {
    const dataDir = join(dir.path, 'public')
    assert.equal((await overmind(['init', '--data-dir', dataDir])).code, 0)
    const res = await overmind(['start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--api-host', '0.0.0.0', '--api-port', '0'], { timeout: 30_000 })
    assert.equal(res.code, 1)
    assert.match(res.stderr, /InsecureApiError/)
    assert.match(res.stderr, /--insecure/)
  })
})

/** A certificate for localhost and 127.0.0.1, made by openssl */
function selfSigned (cert: string, key: string): void {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
}

/** Status of a request with exactly these headers (fetch would set Host itself) */
async function rawStatus (base: string, path: string, headers: Record<string, string>): Promise<number> {
  const { request } = await import('node:http')
  return await new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, res => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end()
  })
}

async function httpsGet (url: string, ca: Buffer, headers: Record<string, string>): Promise<{ status: number, body: string }> {
  return await new Promise((resolve, reject) => {
    const req = httpsRequest(url.replace('://127.0.0.1', '://localhost'), { ca, headers }, res => {
      let body = ''
      res.on('data', d => { body += d })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}
