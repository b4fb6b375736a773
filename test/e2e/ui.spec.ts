import assert from 'node:assert/strict'
import { getEventListeners } from 'node:events'
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { MemoryStore } from '@overmind/memory'
import { startApiServer } from '@overmind/node'
import { agents } from '../src/agents.js'
import { launchChromium } from '../src/browser.js'
import { ROOT } from '../src/cli.js'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { waitFor } from '../src/wait.js'
import type { ApiServer, OvermindNode } from '@overmind/node'
import type { Browser, Page } from 'playwright-core'

const TOKEN = 'ui-test-token-0123456789abcdef'
/** Where the screenshot goes (ignored by git) */
const OUTPUT = join(ROOT, 'test-output')
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

/** Short timers: beats every 500 ms */
const fast = (config: any): void => {
  config.heartbeat.interval = 500
}

/** Peer ids of the rows of the page's node table */
async function rowIds (page: Page): Promise<string[]> {
  return (await page.locator('#peers tr').evaluateAll(rows => rows.map(row => row.getAttribute('data-peer-id') ?? ''))).sort()
}

describe('the live mesh page', () => {
  const psk = meshKey()
  const nodes: OvermindNode[] = []
  let api: ApiServer
  let browser: Browser | undefined

  beforeAll(async () => {
    const first = await startTestNode({ psk, memory: true, config: fast })
    nodes.push(first)
    nodes.push(await startTestNode({
      psk,
      bootstrap: [tcpAddress(first)],
      config: config => {
        fast(config)
        config.agents = agents([{ name: 'echo', runner: 'builtin', builtin: 'echo' }])
      }
    }))
    nodes.push(await startTestNode({ psk, bootstrap: [tcpAddress(first)], config: fast }))
    api = await startApiServer({ node: first, token: TOKEN, host: '127.0.0.1', port: 0 })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await api?.close()
    await Promise.all(nodes.map(async n => { await n.stop() }))
  })

  it('answers 401 to the page without the token or its cookie, and to a wrong token', async () => {
    const bare = await fetch(`${api.url}/`, { redirect: 'manual' })
    assert.equal(bare.status, 401)
    assert.equal(bare.headers.get('www-authenticate'), 'Bearer realm="overmind"')
    const wrong = await fetch(`${api.url}/?token=not-the-token`, { redirect: 'manual' })
    assert.equal(wrong.status, 401)
    assert.equal(wrong.headers.get('set-cookie'), null)
    const events = await fetch(`${api.url}/v1/events`)
    assert.equal(events.status, 401)
  })

  it('serves the page with a self-only policy, and only the files of its list', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` }
    const page = await fetch(`${api.url}/`, { headers: auth })
    assert.equal(page.status, 200)
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/)
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/)
    assert.match(await page.text(), /<div id="graph"/)
    const lib = await fetch(`${api.url}/ui/cytoscape.min.js`, { headers: auth })
    assert.equal(lib.status, 200)
    assert.match(await lib.text(), /cytoscape/)
    for (const path of ['/ui/..%2Fpackage.json', '/ui/..%2F..%2Fpackage.json', '/ui/index.html', '/ui/%2Fetc%2Fpasswd', '/ui/ui-api.js']) {
      const res = await fetch(`${api.url}${path}`, { headers: auth })
      assert.equal(res.status, 404, path)
      await res.body?.cancel()
    }
  })

  it('streams a snapshot first, and removes its listeners when the client goes away', async () => {
    const [first] = nodes
    // the page's stream listens to the node's mesh events (its port), not to libp2p
    const events = first.events as unknown as EventTarget
    const listeners = (): number => getEventListeners(events, 'heartbeat').length + getEventListeners(events, 'mesh:connection').length
    const before = listeners()
    const abort = new AbortController()
    const res = await fetch(`${api.url}/v1/events`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: abort.signal })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/)
    assert.ok(res.body != null)
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    while (!text.includes('event: snapshot\ndata: ') || !text.slice(text.indexOf('event: snapshot')).includes('\n\n')) {
      const { value, done } = await reader.read()
      assert.ok(done !== true, 'the stream ended before a snapshot')
      text += value
    }
    const line = text.slice(text.indexOf('event: snapshot')).split('\n')[1]
    const snapshot = JSON.parse(line.slice('data: '.length))
    assert.equal(snapshot.self.peerId, first.peerId)
    assert.equal(snapshot.self.mesh, 'test')
    assert.ok(snapshot.memory.chunks != null, 'memory counts per zone')
    assert.ok(Array.isArray(snapshot.agents) && Array.isArray(snapshot.runs.active) && Array.isArray(snapshot.runs.recent))
    assert.deepEqual(new Set(snapshot.connections.map((c: any) => c.kind)), new Set(['direct']))
    assert.equal(listeners(), before + 2, 'the stream listens while the client reads')
    abort.abort()
    await waitFor(() => listeners() === before, { timeout: 10_000, message: 'the listeners of a closed stream to be removed' })
  })

  it('signs in through /?token=, shows the 3 nodes, and adds a 4th that joins without a reload', async () => {
    assert.ok(browser != null)
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
    const problems: string[] = []
    page.on('pageerror', err => { problems.push(`page error: ${err.message}`) })
    page.on('console', msg => { if (msg.type() === 'error') problems.push(`console: ${msg.text()}`) })
    page.on('requestfailed', req => { problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`) })
    let loads = 0
    page.on('load', () => { loads++ })

    await page.goto(`${api.url}/?token=${TOKEN}`)
    // the token went into a cookie and out of the address bar
    assert.equal(page.url(), `${api.url}/`)
    await page.locator('#graph[data-node-count="3"]').waitFor({ timeout: 30_000 })
    assert.deepEqual(await rowIds(page), nodes.map(n => n.peerId).sort())
    assert.equal(await page.locator('#stream').getAttribute('data-state'), 'live')
    assert.equal(await page.locator(`#peers tr[data-peer-id="${nodes[0].peerId}"]`).getAttribute('data-status'), 'self')

    // a 4th node joins through node 3: node 1 hears its heartbeats and the page follows
    nodes.push(await startTestNode({ psk, bootstrap: [tcpAddress(nodes[2])], config: fast }))
    await page.locator('#graph[data-node-count="4"]').waitFor({ timeout: 30_000 })
    assert.deepEqual(await rowIds(page), nodes.map(n => n.peerId).sort())
    assert.equal(loads, 1, 'the page was not reloaded')

    // connections are edges: one per peer node 1 has a connection to, and one per link between two
    // other nodes that their heartbeats announce, so the page draws the whole mesh
    await waitFor(async () => {
      const connected = new Set(nodes[0].libp2p.getConnections().map(c => c.remotePeer.toString())).size
      return Number(await page.locator('#graph').getAttribute('data-own-edge-count')) === connected && connected > 0
    }, { timeout: 15_000, message: 'the graph to have one edge per connected peer' })
    const pairs = new Set<string>()
    for (const n of nodes.slice(1)) {
      for (const c of n.libp2p.getConnections()) {
        const other = c.remotePeer.toString()
        if (other !== nodes[0].peerId) pairs.add([n.peerId, other].sort().join('-'))
      }
    }
    assert.ok(pairs.size > 0, 'the other nodes are connected to each other')
    await waitFor(async () => Number(await page.locator('#graph').getAttribute('data-mesh-edge-count')) >= pairs.size, { timeout: 15_000, message: `the graph to draw the ${pairs.size} links between the other nodes` })

    // memory writes and agent runs show as they happen
    const memory = nodes[0].memory
    assert.ok(memory != null)
    await memory.put({ text: 'release trains leave on thursdays', zone: 'federation' })
    await memory.put({ text: 'the staging database is read-only on fridays', zone: 'shared' })
    await memory.put({ text: 'draft notes of the planner agent', zone: 'private', agent: 'planner' })
    await page.locator('#memory .zone[data-zone="federation"][data-count="1"]').waitFor({ timeout: 15_000 })
    await page.locator('#memory .zone[data-zone="private"][data-count="1"]').waitFor({ timeout: 15_000 })
    // two agents here and one of another node write the same thing: a convergence signal shows
    const otherPath = await mkdtemp(join(tmpdir(), 'overmind-ui-other-'))
    const otherKey = await generateKeyPair('Ed25519')
    const other = await MemoryStore.open({ path: otherPath, privateKey: otherKey, peerId: peerIdFromPrivateKey(otherKey) })
    try {
      await other.put({ text: 'the canary deploy halts when error rates double', agent: 'sre' })
      const entries: Uint8Array[] = []
      for await (const entry of other.missing([])) entries.push(entry)
      await memory.ingest(entries)
    } finally {
      await other.close()
      await rm(otherPath, { recursive: true, force: true })
    }
    await memory.put({ text: 'the canary deploy halts when the error rates double', agent: 'ops', zone: 'federation' })
    await memory.put({ text: 'when error rates double the canary deploy halts', agent: 'dev', zone: 'federation' })
    await page.locator('#signals li .topic').filter({ hasText: /canary deploy/ }).waitFor({ timeout: 15_000 })
    assert.match(await page.locator('#signals li .who').first().innerText(), /3 agents on 2 nodes/)
    assert.equal(await page.locator('#signals-empty').isHidden(), true)
    await waitFor(() => nodes[0].libp2p.services.runAgent.agents().some(a => a.name === 'echo'), { timeout: 15_000, message: 'node 1 to hear of the echo agent' })
    await nodes[0].libp2p.services.runAgent.run('echo', new TextEncoder().encode('hello'), { deadline: 10_000 })
    await page.locator('#runs-recent li[data-state="ok"]').waitFor({ timeout: 15_000 })
    // per node: the chunks its memory holds and the runs with it, as the peers' heartbeats and the runs say
    const host = nodes[1].peerId
    await page.locator(`#peers tr[data-peer-id="${host}"] td.runs`).filter({ hasText: /^[1-9]/ }).waitFor({ timeout: 15_000 })
    await page.locator(`#peers tr[data-peer-id="${nodes[0].peerId}"] td.chunks`).filter({ hasText: /^5$/ }).waitFor({ timeout: 15_000 })
    await page.locator('#beats li').first().waitFor({ timeout: 15_000 })

    await mkdir(OUTPUT, { recursive: true })
    const file = join(OUTPUT, 'ui-mesh.png')
    await page.screenshot({ path: file })
    const png = await readFile(file)
    assert.ok(png.byteLength > PNG_SIGNATURE.byteLength, 'the screenshot is not empty')
    assert.deepEqual(png.subarray(0, PNG_SIGNATURE.byteLength), PNG_SIGNATURE, 'the screenshot is a PNG')
    assert.deepEqual(problems, [], 'no script error, refused resource or policy violation')
    await page.close()
  })

  it('paints the mesh from the snapshot it is served with, before any event arrives', async () => {
    assert.ok(browser != null)
    const context = await browser.newContext()
    const page = await context.newPage()
    const problems: string[] = []
    page.on('pageerror', err => { problems.push(`page error: ${err.message}`) })
    // the event stream never answers: whatever the page shows comes from the page itself
    await page.route('**/v1/events', () => {})
    await page.goto(`${api.url}/?token=${TOKEN}`)
    await page.locator(`#graph[data-node-count="${nodes.length}"]`).waitFor({ timeout: 10_000 })
    assert.deepEqual(await rowIds(page), nodes.map(n => n.peerId).sort())
    assert.equal(await page.locator('#stream').getAttribute('data-state'), 'snapshot')
    assert.equal(await page.locator('#mesh-name').textContent(), 'test')
    // text from peers in the snapshot cannot end the script element it travels in
    const html = await (await fetch(`${api.url}/`, { headers: { authorization: `Bearer ${TOKEN}` } })).text()
    assert.equal(html.match(/<\/script>/g)?.length, 3, 'the snapshot element closes once, with the two scripts')
    assert.deepEqual(problems, [])
    await context.close()
  })
})
