import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { API_STATE_FILE, ApiClient, ApiRequestError, NodeNotRunningError, startApiServer } from '@overmind/api'
import type { ApiServer } from '@overmind/api'
import type { OvermindNode } from '../src/node.js'

const TOKEN = 'a'.repeat(32) + 'b'.repeat(32)
const STATUS = { peerId: '12D3KooWPUctyKhcmpJqp9A91yeJdhxCmXJRpkSYq5kh6iBkU4U9', mesh: 'demo', peers: 2 }
const PEERS = [{ peerId: '12D3KooWSqtLGJz4kqoD5fjGPLdJYGZxBmBfibwDrvHSzUn6m6zA', status: 'connected' }]

const fakeNode = {
  status: () => STATUS,
  peers: () => PEERS
} as unknown as OvermindNode

interface RawResponse {
  status: number
  body: any
}

/** A request with a Host header of our choosing, which fetch does not allow */
async function rawGet (url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/v1/status', url), { method: 'GET', headers, agent: false }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
        } catch (err) {
          reject(err)
        }
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

async function deadPid (): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  const pid = child.pid
  assert.ok(pid != null)
  await once(child, 'exit')
  return pid
}

describe('startApiServer', () => {
  let server: ApiServer

  beforeAll(async () => {
    server = await startApiServer({ node: fakeNode, token: TOKEN, host: '127.0.0.1', port: 0 })
  })

  afterAll(async () => {
    await server.close()
  })

  it('listens on the host it was given and reports the chosen port', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/)
  })

  it('answers 401 without an Authorization header', async () => {
    const res = await fetch(`${server.url}/v1/status`)

    assert.equal(res.status, 401)
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /)
    const body: any = await res.json()
    assert.equal(body.error.name, 'Unauthorized')
  })

  it('answers 401 to a wrong token of the same length', async () => {
    const wrong = 'c'.repeat(TOKEN.length)
    const res = await fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${wrong}` } })

    assert.equal(res.status, 401)
    await res.body?.cancel()
  })

  it('answers 401 to a token of a different length', async () => {
    for (const token of [TOKEN.slice(0, -1), TOKEN + 'x', 'x']) {
      const res = await fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${token}` } })
      assert.equal(res.status, 401, `token of length ${token.length}`)
      await res.body?.cancel()
    }
  })

  it('answers 401 to the right token in another scheme', async () => {
    const res = await fetch(`${server.url}/v1/status`, { headers: { authorization: `Basic ${TOKEN}` } })

    assert.equal(res.status, 401)
    await res.body?.cancel()
  })

  it('serves the node status as JSON with the right token', async () => {
    const res = await fetch(`${server.url}/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } })

    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
    assert.equal(res.headers.get('cache-control'), 'no-store')
    assert.deepEqual(await res.json(), STATUS)
  })

  it('serves the peer list as JSON with the right token', async () => {
    const res = await fetch(`${server.url}/v1/peers?verbose=1`, { headers: { authorization: `bearer ${TOKEN}` } })

    assert.equal(res.status, 200)
    assert.deepEqual(await res.json(), PEERS)
  })

  it('answers 404 to an unknown path', async () => {
    const res = await fetch(`${server.url}/v1/nope`, { headers: { authorization: `Bearer ${TOKEN}` } })

    assert.equal(res.status, 404)
    const body: any = await res.json()
    assert.equal(body.error.name, 'NotFound')
  })

  it('answers 405 to a wrong method on a known path', async () => {
    const res = await fetch(`${server.url}/v1/status`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } })

    assert.equal(res.status, 405)
    const body: any = await res.json()
    assert.equal(body.error.name, 'MethodNotAllowed')
  })

  it('answers 401 before 404 so unauthenticated clients cannot probe routes', async () => {
    const res = await fetch(`${server.url}/v1/nope`)

    assert.equal(res.status, 401)
    await res.body?.cancel()
  })

  it('answers 421 when the Host header names another host, even with the right token', async () => {
    const res = await rawGet(server.url, { host: 'evil.example:1234', authorization: `Bearer ${TOKEN}` })

    assert.equal(res.status, 421)
    assert.equal(res.body.error.name, 'MisdirectedRequest')
  })

  it('answers 421 when the Host header names this port on another host', async () => {
    const port = new URL(server.url).port
    const res = await rawGet(server.url, { host: `evil.example:${port}`, authorization: `Bearer ${TOKEN}` })

    assert.equal(res.status, 421)
  })

  it('accepts localhost with its port as Host', async () => {
    const port = new URL(server.url).port
    const res = await rawGet(server.url, { host: `localhost:${port}`, authorization: `Bearer ${TOKEN}` })

    assert.equal(res.status, 200)
    assert.deepEqual(res.body, STATUS)
  })

  it('answers 500 with the error message when the node fails', async () => {
    const failing = await startApiServer({
      node: { status: () => { throw new Error('boom') }, peers: () => [] } as unknown as OvermindNode,
      token: TOKEN,
      host: '127.0.0.1',
      port: 0
    })
    try {
      const res = await fetch(`${failing.url}/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
      assert.equal(res.status, 500)
      const body: any = await res.json()
      assert.equal(body.error.message, 'boom')
    } finally {
      await failing.close()
    }
  })

  it('stops accepting connections once closed', async () => {
    const other = await startApiServer({ node: fakeNode, token: TOKEN, host: '127.0.0.1', port: 0 })
    const res = await fetch(`${other.url}/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
    assert.equal(res.status, 200)
    await res.body?.cancel()

    await other.close()

    await assert.rejects(fetch(`${other.url}/v1/status`, { headers: { authorization: `Bearer ${TOKEN}` } }), (err: any) => {
      assert.equal(err.name, 'TypeError')
      assert.equal(err.cause?.code, 'ECONNREFUSED')
      return true
    })
  })
})

describe('ApiClient', () => {
  let server: ApiServer
  let root: string
  let count = 0

  async function dataDir (state?: Partial<{ url: string, pid: number, peerId: string, tokenFile: string }>, token = TOKEN): Promise<string> {
    const dir = await mkdtemp(join(root, `dir-${++count}-`))
    const tokenFile = join(dir, 'api.token')
    await writeFile(tokenFile, token + '\n', { mode: 0o600 })
    if (state != null) {
      await writeFile(join(dir, API_STATE_FILE), JSON.stringify({
        url: server.url,
        pid: process.pid,
        peerId: STATUS.peerId,
        tokenFile,
        ...state
      }))
    }
    return dir
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'overmind-api-client-'))
    server = await startApiServer({ node: fakeNode, token: TOKEN, host: '127.0.0.1', port: 0 })
  })

  afterAll(async () => {
    await server.close()
    await rm(root, { recursive: true, force: true })
  })

  it('calls the API of the node named in api.json with the token from its token file', async () => {
    const client = await ApiClient.forDataDir(await dataDir({}))

    assert.equal(client.url, server.url)
    assert.deepEqual(await client.get('/v1/status'), STATUS)
    assert.deepEqual(await client.get('/v1/peers'), PEERS)
  })

  it('throws ApiRequestError with the status when the API refuses the request', async () => {
    const client = await ApiClient.forDataDir(await dataDir({}, 'z'.repeat(64)))

    await assert.rejects(client.get('/v1/status'), (err: unknown) => {
      assert.ok(err instanceof ApiRequestError)
      assert.equal(err.status, 401)
      assert.match(err.message, /bearer token/)
      return true
    })
  })

  it('throws ApiRequestError 404 for an unknown route', async () => {
    const client = await ApiClient.forDataDir(await dataDir({}))

    await assert.rejects(client.get('/v1/nope'), { name: 'ApiRequestError', status: 404 })
  })

  it('throws NodeNotRunningError when there is no api.json', async () => {
    const dir = await dataDir()

    await assert.rejects(ApiClient.forDataDir(dir), (err: any) => {
      assert.equal(err.name, 'NodeNotRunningError')
      assert.ok(err instanceof NodeNotRunningError)
      assert.ok(err.message.includes(dir))
      return true
    })
  })

  it('throws NodeNotRunningError when api.json is not JSON', async () => {
    const dir = await dataDir()
    await writeFile(join(dir, API_STATE_FILE), '{ not json')

    await assert.rejects(ApiClient.forDataDir(dir), { name: 'NodeNotRunningError' })
  })

  it('throws NodeNotRunningError when the pid in api.json is not running', async () => {
    const pid = await deadPid()
    const dir = await dataDir({ pid })

    await assert.rejects(ApiClient.forDataDir(dir), (err: any) => {
      assert.equal(err.name, 'NodeNotRunningError')
      assert.ok(err.message.includes(`pid ${pid}`), err.message)
      return true
    })
  })

  it('throws NodeNotRunningError when the API cannot be reached', async () => {
    const gone = await startApiServer({ node: fakeNode, token: TOKEN, host: '127.0.0.1', port: 0 })
    await gone.close()
    const client = await ApiClient.forDataDir(await dataDir({ url: gone.url }))

    await assert.rejects(client.get('/v1/status'), (err: any) => {
      assert.equal(err.name, 'NodeNotRunningError')
      assert.ok(err.message.includes(gone.url), err.message)
      return true
    })
  })
})
