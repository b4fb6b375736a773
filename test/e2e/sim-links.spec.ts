import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { ROOT, overmindSim, tempDir } from '../src/cli.js'
import type { SimReport } from '@overmind/sim'

const dirs: Array<Awaited<ReturnType<typeof tempDir>>> = []
afterAll(async () => { await Promise.all(dirs.map(async d => { await d.remove() })) })

describe('overmind sim: relays, slow links and threads', { concurrent: true }, () => {
  it('runs nat-homes: homes behind NAT reach each other only through the relay, and every write reaches every home', async () => {
    const res = await overmindSim([join(ROOT, 'scenarios', 'nat-homes.yaml'), '--nodes', '5', '--duration', '8s', '--json'])
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    const { links } = report
    process.stdout.write(`# nat-homes on ${report.nodes} nodes (${links.roles.relay} relay, ${links.roles.private} homes): ${report.writes.done} writes, delivery ${report.delivery.ratio} (p50 ${report.delivery.p50} ms, p99 ${report.delivery.p99} ms); ${links.direct} direct links, ${links.relayed} relayed\n`)
    assert.equal(report.delivery.ratio, 1)
    assert.ok(report.writes.done > 10 && report.writes.failed === 0)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    assert.deepEqual(links.nodes.map(n => n.role), ['relay', 'private', 'private', 'private', 'private'])
    // the NAT: a home's only direct link is to the relay; home to home goes through it
    assert.equal(links.directBetweenHomes, 0)
    assert.ok(links.nodes.filter(n => n.role === 'private').every(n => n.direct <= 1), JSON.stringify(links.nodes))
    assert.ok(links.relayed > 0, 'homes linked through the relay')
  })

  it('restarts a relay where it listened before: the homes reserve on it again and catch up', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'relay-restart.yaml')
    await writeFile(file, 'name: relay-restart\nduration: 8s\nnodes:\n  count: 4\ntopology: { kind: nat-homes }\nworkload:\n  writes:\n    rate: 4/s\n    from: private\nfaults:\n  - { at: 2s, kill: 0 }\n  - { at: 4s, restart: 0 }\nsettle: 30s\n')
    const res = await overmindSim([file, '--json'])
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# relay restart: delivery ${report.delivery.ratio}, homes caught up ${report.convergence[0]?.ms} ms after it; ${report.links.relayed} relayed links at the end\n`)
    assert.equal(report.delivery.ratio, 1)
    assert.notEqual(report.convergence[0].ms, null)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    assert.equal(report.links.directBetweenHomes, 0)
    assert.ok(report.links.relayed > 0)
  })

  it('shapes links over the in-memory transport: no write arrives sooner than the latency, a slow group holds writes up, loss and jitter lose and reorder nothing', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'slow-links.yaml')
    await writeFile(file, [
      'name: slow-links', 'duration: 8s', 'transport: memory',
      'nodes:', '  count: 4', '  heartbeat: 1s', '  syncInterval: 2s',
      'network: { latency: 60ms, jitter: 20ms, loss: 0.05 }',
      'workload:', '  writes:', '    rate: 5/s',
      'faults:', '  - { at: 2s, latency: 400ms, on: [0], for: 3s }',
      'settle: 30s', ''
    ].join('\n'))
    const res = await overmindSim([file, '--json'])
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# slow links: delivery ${report.delivery.ratio}, p50 ${report.delivery.p50} ms, p99 ${report.delivery.p99} ms, max ${report.delivery.max} ms\n`)
    assert.equal(report.transport, 'memory')
    assert.ok(report.writes.done > 20)
    assert.equal(report.delivery.ratio, 1)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    // every write crosses at least one link of 60 ± 20 ms
    assert.ok((report.delivery.p50 ?? 0) >= 40, `p50 ${report.delivery.p50}`)
    // writes to and from node 0 while its links were slow took at least their latency
    assert.ok((report.delivery.max ?? 0) >= 400, `max ${report.delivery.max}`)
    assert.deepEqual(report.faultsApplied.map(f => f.fault), ['+400 ms on links of 0 for 3 s'])
  })

  it('paces each node\'s writes at its bandwidth over the in-memory transport, and loses nothing', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'narrow.yaml')
    await writeFile(file, 'name: narrow\nduration: 6s\ntransport: memory\nnodes:\n  count: 3\n  heartbeat: 1s\n  syncInterval: 2s\nnetwork: { bandwidth: 200kbit }\nworkload:\n  writes:\n    rate: 2/s\n    size: 4000\nsettle: 30s\n')
    const res = await overmindSim([file, '--json'])
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# 200 kbit/s uplinks: delivery ${report.delivery.ratio}, p50 ${report.delivery.p50} ms, p99 ${report.delivery.p99} ms\n`)
    assert.equal(report.delivery.ratio, 1)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    // a write of 4,000 bytes is over 32 kbit: 160 ms on a 200 kbit/s uplink before its first hop
    assert.ok((report.delivery.p50 ?? 0) >= 150, `p50 ${report.delivery.p50}`)
  })

  it('spreads the nodes over worker threads: writes, runs and searches cross threads, and a partition, a heal, a restart, a hostile member and a slow link act across them', async () => {
    const dir = await tempDir()
    dirs.push(dir)
    const file = join(dir.path, 'threads.yaml')
    await writeFile(file, [
      'name: threads', 'seed: 3', 'duration: 14s', 'transport: memory', 'threads: 2',
      'nodes:', '  count: 8', '  heartbeat: 1s', '  syncInterval: 2s',
      'agents:', '  - { name: echo, on: [1], serviceTime: 20ms, outputSize: 100 }',
      'workload:',
      '  writes: { rate: 4/s, zones: { federation: 0.8, private: 0.2 } }',
      '  runs: { agent: echo, rate: 2/s, from: [0, 2, 4, 6] }',
      '  searches: { rate: 1/s, federated: 1 }',
      'faults:',
      // each group spans both threads (node i runs in thread i % 2)
      '  - { at: 2s, partition: [[0, 1, 2, 3], [4, 5, 6, 7]] }',
      '  - { at: 5s, heal: true }',
      '  - { at: 6s, kill: 3 }',
      '  - { at: 8s, restart: 3 }',
      '  - { at: 3s, hostile: 5 }',
      '  - { at: 9s, latency: 300ms, on: [0], for: 3s }',
      'settle: 60s', ''
    ].join('\n'))
    const res = await overmindSim([file, '--json'])
    assert.equal(res.code, 0, res.stderr + res.stdout)
    const report: SimReport = JSON.parse(res.stdout)
    process.stdout.write(`# 8 nodes on 2 threads: ${report.writes.done} writes, delivery ${report.delivery.ratio} (p99 ${report.delivery.p99} ms), runs ${report.runs.succeeded}/${report.runs.requested}, searches found ${report.searches.found}/${report.searches.done}, converged ${report.convergence.map(c => `${c.fault} ${c.ms} ms`).join(', ')}\n`)
    assert.equal(report.threads, 2)
    assert.equal(report.delivery.ratio, 1)
    assert.equal(report.delivery.expected, report.zones.federation * 7)
    assert.deepEqual(report.final, { converged: true, digests: 1 })
    assert.ok(report.zones.private > 0)
    assert.equal(report.zones.leaked, 0)
    assert.deepEqual(report.convergence.map(c => c.fault), ['heal', 'restart 3'])
    assert.ok(report.convergence.every(c => c.ms != null))
    // node 1 hosts the agent in the other thread than the even nodes that call it
    assert.ok(report.runs.requested > 0 && report.runs.succeeded > 0, JSON.stringify(report.runs))
    assert.deepEqual(Object.keys(report.runs.hosts), ['1'])
    assert.ok(report.searches.found > 0, JSON.stringify(report.searches))
    assert.ok(report.hostile.published > 0 && report.hostile.rejected > 0)
    assert.equal(report.hostile.stored, 0)
    // what reached node 0 while its links (to both threads) were slow took their latency
    assert.ok((report.delivery.max ?? 0) >= 300, `max ${report.delivery.max}`)
  })
})
