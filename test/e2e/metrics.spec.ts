import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { promisify } from 'node:util'
import { OvermindNode, startApiServer } from '@overmind/node'
import { Heartbeat } from '@overmind/protocols'
import { agents } from '../src/agents.js'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { parsePrometheusText, samples, total } from '../src/prometheus.js'
import { waitFor } from '../src/wait.js'
import type { MetricFamily } from '../src/prometheus.js'
import type { ApiServer } from '@overmind/node'

const run = promisify(execFile)
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

describe('GET /metrics', () => {
  const psk = meshKey()
  const token = randomBytes(16).toString('hex')
  let a: OvermindNode
  let b: OvermindNode
  let attacker: OvermindNode | undefined
  const apis = new Map<OvermindNode, ApiServer>()

  /** One scrape of a node's API, parsed strictly */
  async function scrape (node: OvermindNode): Promise<Map<string, MetricFamily>> {
    const res = await fetch(`${apis.get(node)!.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
    return parsePrometheusText(await res.text())
  }

  beforeAll(async () => {
    // a writes chunks and calls agents; b hosts the echo agent and receives the chunks
    a = await startTestNode({ psk, memory: true, metrics: true })
    b = await startTestNode({
      psk,
      memory: true,
      metrics: true,
      bootstrap: [tcpAddress(a)],
      config: config => { config.agents = agents([{ name: 'echo', runner: 'builtin', builtin: 'echo', concurrency: 2 }]) }
    })
    for (const node of [a, b]) {
      apis.set(node, await startApiServer({ node, token, host: '127.0.0.1', port: 0, ui: false }))
    }
    await waitFor(() => a.peers().find(p => p.peerId === b.peerId)?.status === 'connected' &&
      a.libp2p.services.runAgent.agents().some(x => x.name === 'echo' && x.host === b.peerId), { message: 'a to see b and its echo agent' })
  })

  afterAll(async () => {
    await Promise.all([...apis.values()].map(async api => { await api.close() }))
    await Promise.all([a, b, attacker].map(async node => node?.stop()))
  })

  it('answers 401 without the bearer token, or with a wrong one', async () => {
    const url = `${apis.get(a)!.url}/metrics`
    assert.equal((await fetch(url)).status, 401)
    assert.equal((await fetch(url, { headers: { authorization: 'Bearer not-the-token' } })).status, 401)
  })

  it('counts chunks per zone, and times how long chunks written elsewhere took to get here', async () => {
    await a.memory!.putMany(Array.from({ length: 5 }, (_, i) => ({ text: `fact ${i} for the metrics test`, zone: 'federation' as const })))
    await a.memory!.put({ text: 'a note for this node only', zone: 'shared' })
    await waitFor(() => b.memory!.stats().chunks.federation >= 5, { message: 'b to receive the federation chunks' })

    const atA = await scrape(a)
    assert.equal(atA.get('overmind_memory_chunks')?.type, 'gauge')
    assert.ok(total(atA, 'overmind_memory_chunks', { zone: 'federation' }) >= 5)
    assert.ok(total(atA, 'overmind_memory_chunks', { zone: 'shared' }) >= 1)
    // a wrote them itself: no replication happened into a
    assert.equal(total(atA, 'overmind_replication_lag_seconds_count'), 0)

    const atB = await scrape(b)
    assert.ok(total(atB, 'overmind_memory_chunks', { zone: 'federation' }) >= 5)
    assert.equal(total(atB, 'overmind_memory_chunks', { zone: 'shared' }), 0, 'the shared zone does not leave its node')
    assert.equal(atB.get('overmind_replication_lag_seconds')?.type, 'histogram')
    assert.ok(total(atB, 'overmind_replication_lag_seconds_count', { zone: 'federation' }) >= 5)
    const lag = total(atB, 'overmind_replication_lag_seconds_sum', { zone: 'federation' })
    assert.ok(lag >= 0 && Number.isFinite(lag), `lag sum ${lag}`)
    // the work behind the writes, all done by now
    assert.equal(atB.get('overmind_memory_backlog')?.type, 'gauge')
    assert.deepEqual(['writes', 'graph', 'embedding'].map(stage => samples(atB, 'overmind_memory_backlog').filter(s => s.labels.stage === stage).length), [1, 1, 1])
    assert.equal(total(atB, 'overmind_memory_dropped_entries'), 0)
  })

  it('counts the convergence signals, the same on both nodes', async () => {
    assert.equal(total(await scrape(b), 'overmind_memory_signals'), 0)
    await a.memory!.put({ text: 'the ingest queue stalls when the schema registry restarts', agent: 'x' })
    await a.memory!.put({ text: 'when the schema registry restarts the ingest queue stalls', agent: 'y' })
    await b.memory!.put({ text: 'the ingest queue stalls whenever the schema registry restarts', agent: 'z' })
    await waitFor(async () => total(await scrape(a), 'overmind_memory_signals') === 1 && total(await scrape(b), 'overmind_memory_signals') === 1, { timeout: 20_000, message: 'one signal on each node' })
    assert.equal((await scrape(b)).get('overmind_memory_signals')?.type, 'gauge')
  })

  it('reports how long the event loop made due work wait, over the last window and since start', async () => {
    const scraped = await scrape(a)
    assert.equal(scraped.get('overmind_event_loop_delay_p99_seconds')?.type, 'gauge')
    for (const window of ['recent', 'start']) {
      const p50 = total(scraped, 'overmind_event_loop_delay_p50_seconds', { window })
      const p99 = total(scraped, 'overmind_event_loop_delay_p99_seconds', { window })
      const max = total(scraped, 'overmind_event_loop_delay_max_seconds', { window })
      assert.ok(p50 >= 0 && p50 <= p99 && p99 <= max && max < 60, `${window}: ${p50} ${p99} ${max}`)
    }
    const status = a.status().eventLoop
    assert.ok(status.sinceStart.max >= status.sinceStart.p99 && status.recent.windowMs === 10_000)
  })

  it('times runs by agent, role and outcome, on the caller and on the host', async () => {
    const out: string[] = []
    const outcome = await a.libp2p.services.runAgent.run('echo', bytes('ping'), { onOutput: data => { out.push(new TextDecoder().decode(data)) } })
    assert.equal(outcome.host, b.peerId)
    assert.equal(out.join(''), 'ping')

    const atA = await scrape(a)
    assert.equal(atA.get('overmind_run_duration_seconds')?.type, 'histogram')
    assert.ok(total(atA, 'overmind_run_duration_seconds_count', { agent: 'echo', role: 'caller', outcome: 'ok' }) >= 1)
    assert.equal(total(atA, 'overmind_run_duration_seconds_count', { role: 'host' }), 0)
    // the host closes its record after the caller has its result
    const atB = await waitFor(async () => {
      const scraped = await scrape(b)
      return total(scraped, 'overmind_run_duration_seconds_count', { agent: 'echo', role: 'host', outcome: 'ok' }) >= 1 ? scraped : undefined
    }, { message: 'b to count the run it hosted' })
    assert.equal(total(atB, 'overmind_run_duration_seconds_count', { role: 'caller' }), 0)
    assert.ok(total(atB, 'overmind_run_requests_total', { status: 'accepted' }) >= 1)
    assert.equal(samples(atB, 'overmind_run_queue_depth').length, 1)
    assert.equal(total(atB, 'overmind_run_queue_depth'), 0)
    assert.equal(atB.get('overmind_runs_active')?.type, 'gauge')
    assert.equal(total(atB, 'overmind_agent_free_slots', { agent: 'echo' }), 2)
  })

  it('counts a forged heartbeat among the rejected messages, by kind and reason', async () => {
    // a member without libp2p metrics that publishes a beat for another mesh
    attacker = await startTestNode({ psk, bootstrap: [tcpAddress(b)] })
    const forger = attacker
    const topic = forger.libp2p.services.heartbeat.topic
    forger.libp2p.services.pubsub.topicValidators.delete(topic)
    await waitFor(() => forger.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(b.libp2p.peerId)) &&
      b.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(forger.libp2p.peerId)), { message: 'the attacker and b to share the topic' })
    await forger.libp2p.services.pubsub.publish(topic, Heartbeat.encode({
      nodeId: forger.libp2p.peerId.toMultihash().bytes,
      mesh: 'elsewhere',
      version: 'overmind/test',
      hlcWallTime: BigInt(Date.now()),
      seq: 1_000_000n,
      startedAt: BigInt(Date.now()),
      intervalMs: 300
    }))
    const atB = await waitFor(async () => {
      const scraped = await scrape(b)
      return total(scraped, 'overmind_rejected_messages_total', { kind: 'heartbeat', reason: 'wrong-mesh', via: 'gossip' }) >= 1 ? scraped : undefined
    }, { message: 'b to count the forged heartbeat' })
    assert.equal(atB.get('overmind_rejected_messages_total')?.type, 'counter')
    assert.equal(total(atB, 'overmind_rejected_messages_total', { kind: 'entry' }), 0)

    // with libp2p's metrics off, a node still serves its own series
    const own = parsePrometheusText(await forger.registry.metrics())
    assert.ok(own.has('overmind_peers') && own.has('overmind_run_queue_depth'))
    assert.deepEqual([...own.keys()].filter(name => !name.startsWith('overmind_')), [])
  })

  it('keeps one registry per node: the peer, connection and libp2p series of each describe that node', async () => {
    assert.notEqual(a.registry, b.registry)
    for (const node of [a, b]) {
      const scraped = await waitFor(async () => {
        const s = await scrape(node)
        const now = node.libp2p.getConnections()
        const same = (direction: 'inbound' | 'outbound'): boolean => {
          const count = now.filter(c => c.direction === direction).length
          return total(s, 'overmind_connections', { direction }) === count &&
            total(s, 'libp2p_connection_manager_connections', { libp2p_connection_manager_connections: direction }) === count
        }
        return same('inbound') && same('outbound') ? s : undefined
      }, { message: 'connection gauges to match the node\'s connections' })
      assert.equal(scraped.get('libp2p_connection_manager_connections')?.type, 'gauge')
      assert.ok(total(scraped, 'overmind_connections', { kind: 'direct' }) >= 1)
      assert.equal(total(scraped, 'overmind_connections', { kind: 'relayed' }), 0)
      assert.ok(total(scraped, 'overmind_peers', { status: 'connected' }) >= 1)
      assert.equal(samples(scraped, 'overmind_peers').length, 4, 'one sample per peer status')
      assert.ok(scraped.has('libp2p_protocol_streams_total'))
      assert.ok(scraped.has('libp2p_data_transfer_bytes_total'))
      assert.ok(scraped.has('process_cpu_user_seconds_total'))
      for (const family of scraped.values()) assert.ok(family.help != null && family.help !== '', `${family.name} has HELP`)
    }
    // a dialled b: the connection is outbound on one side only
    const [atA, atB] = await Promise.all([scrape(a), scrape(b)])
    assert.ok(total(atA, 'libp2p_connection_manager_connections', { libp2p_connection_manager_connections: 'inbound' }) >= 1)
    assert.ok(total(atB, 'libp2p_connection_manager_connections', { libp2p_connection_manager_connections: 'outbound' }) >= 1)
  })

  it('serves the same text to curl with the bearer token, and refuses curl without it', async () => {
    const url = `${apis.get(b)!.url}/metrics`
    const { stdout } = await run('curl', ['-sf', '-H', `Authorization: Bearer ${token}`, url])
    const scraped = parsePrometheusText(stdout)
    assert.ok(total(scraped, 'overmind_memory_chunks', { zone: 'federation' }) >= 5)
    assert.ok(total(scraped, 'overmind_run_duration_seconds_count', { role: 'host' }) >= 1)
    assert.ok(scraped.has('libp2p_connection_manager_connections'))
    const { stdout: status } = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', url])
    assert.equal(status, '401')
  })

  it('parses with a parser that refuses what Prometheus would refuse', () => {
    const ok = '# HELP x_total A counter\n# TYPE x_total counter\nx_total{a="q\\"uote"} 1 1700000000000\n'
    assert.equal(samples(parsePrometheusText(ok), 'x_total', { a: 'q"uote' })[0].value, 1)
    const broken = [
      'x 1',
      '# TYPE x gauge\n# TYPE x gauge\nx 1\n',
      'x{a="1"} one\n',
      'x{a=1} 1\n',
      'x{1a="1"} 1\n',
      'x 1\ny 1\nx{a="b"} 2\n',
      'x 1\nx 2\n',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n',
      '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\n'
    ]
    for (const text of broken) assert.throws(() => parsePrometheusText(text), { name: 'ExpositionFormatError' }, text)
  })

  it('removes its listeners when the node stops', async () => {
    const node = await startTestNode({ psk, memory: true, metrics: true })
    const { runAgent, heartbeat } = node.libp2p.services
    const counts = (): number[] => [node.memory!.listenerCount('entry'), runAgent.listenerCount('run:end'), heartbeat.listenerCount('heartbeat:rejected')]
    assert.ok(counts().every(n => n >= 1), `listeners while running: ${counts().join(', ')}`)
    await node.stop()
    assert.deepEqual(counts(), [0, 0, 0])
  })
})
