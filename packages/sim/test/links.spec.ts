import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { LinkShaper, NO_SHAPE, Uplink, combine, isLinkFault, shapesLinks } from '../src/links.js'
import { parseScenario } from '../src/scenario.js'
import { faultLabel } from '../src/timeline.js'
import { issuesOf } from './issues.js'

const SLOW = `name: slow
duration: 20s
transport: memory
nodes:
  count: 5
network:
  latency: 20ms
faults:
  - { at: 5s, latency: 300ms, loss: 0.1, on: [0, 1], for: 4s }
  - { at: 6s, latency: 50ms, jitter: 10ms, link: [2, 3] }
`

describe('link shapes', () => {
  it('add latencies, keep the wider jitter and compound losses', () => {
    assert.deepEqual(combine({ latency: 20, jitter: 5, loss: 0.1 }, { latency: 30, jitter: 2, loss: 0.5 }), { latency: 50, jitter: 5, loss: 0.55 })
    assert.deepEqual(combine(NO_SHAPE, NO_SHAPE), NO_SHAPE)
  })

  it('give every link the network\'s shape, and links a fault covers more while it lasts', () => {
    const scenario = parseScenario(SLOW)
    const shaper = new LinkShaper(scenario.network)
    shaper.apply(scenario.faults[0], 5_000)
    shaper.apply(scenario.faults[1], 6_000)
    // before the faults: the network's latency on every link
    assert.deepEqual(shaper.shape(2, 4, 4_999), { latency: 20, jitter: 0, loss: 0 })
    assert.deepEqual(shaper.shape(0, 1, 4_999), { latency: 20, jitter: 0, loss: 0 })
    // a group: every link with an end in it, both ways
    const rounded = (shape: { latency: number, jitter: number, loss: number }): typeof shape => ({ ...shape, loss: Math.round(shape.loss * 1e9) / 1e9 })
    assert.deepEqual(rounded(shaper.shape(0, 4, 5_000)), { latency: 320, jitter: 0, loss: 0.1 })
    assert.deepEqual(rounded(shaper.shape(4, 1, 8_999)), { latency: 320, jitter: 0, loss: 0.1 })
    assert.deepEqual(shaper.shape(2, 4, 7_000), { latency: 20, jitter: 0, loss: 0 })
    // it ends after `for`
    assert.deepEqual(shaper.shape(0, 4, 9_000), { latency: 20, jitter: 0, loss: 0 })
    // one link, both ways, to the end
    assert.deepEqual(shaper.shape(3, 2, 60_000), { latency: 70, jitter: 10, loss: 0 })
    assert.deepEqual(shaper.shape(2, 4, 60_000), { latency: 20, jitter: 0, loss: 0 })
    // a link to a peer that is not a node of the mesh is left alone
    assert.deepEqual(shaper.shape(0, undefined, 6_000), NO_SHAPE)
  })

  it('are scheduled, labelled and shaped only when the scenario asks for them', () => {
    const scenario = parseScenario(SLOW)
    assert.ok(scenario.faults.every(isLinkFault))
    assert.ok(shapesLinks(scenario))
    assert.equal(faultLabel(scenario.faults[0]), '+300 ms 10% loss on links of 0 1 for 4 s')
    assert.equal(faultLabel(scenario.faults[1]), '+50 ms ±10 ms on link 2-3')
    assert.ok(!shapesLinks(parseScenario('name: plain\nduration: 5s\ntransport: memory\nnodes:\n  count: 3\n')))
  })

  it('send a node\'s writes through its uplink one after the other, at its bandwidth', () => {
    const uplink = new Uplink(8_000)
    // 1,000 bytes at 8 kbit/s: a second on the wire
    assert.equal(uplink.send(1_000, 0), 1_000)
    // a write made while the first is sent waits for it
    assert.equal(uplink.send(500, 200), 1_500)
    // an idle uplink starts at once
    assert.equal(uplink.send(100, 5_000), 5_100)
  })

  it('read bandwidths in tc\'s units, and refuse others with the key', () => {
    const at = (bandwidth: string): number => parseScenario(`name: b\nduration: 5s\ntransport: memory\nnodes:\n  count: 2\nnetwork: { bandwidth: ${bandwidth} }\n`).network.bandwidth
    assert.deepEqual(['10mbit', '512kbit', '1gbit', '1.5mbit', '64000'].map(at), [10e6, 512e3, 1e9, 1.5e6, 64_000])
    assert.match(issuesOf('name: b\nduration: 5s\ntransport: memory\nnodes:\n  count: 2\nnetwork: { bandwidth: 10MB/s }\n')[0], /^scenario\.yaml:6:12: network\.bandwidth: expected a bandwidth such as "10mbit"/)
    assert.match(issuesOf('name: b\nduration: 5s\nnodes:\n  count: 2\nnetwork: { bandwidth: 10mbit }\n')[0], /network: latency, jitter, loss and bandwidth need transport: memory/)
    assert.ok(shapesLinks(parseScenario('name: b\nduration: 5s\ntransport: memory\nnodes:\n  count: 2\nnetwork: { bandwidth: 1mbit }\n')))
  })

  it('are refused over TCP, with nodes that do not exist, and with keys that belong to other faults, naming key and line', () => {
    const issues = issuesOf(SLOW
      .replace('transport: memory\n', '')
      .replace('on: [0, 1]', 'on: [0, 9]')
      .replace('link: [2, 3]', 'link: [2, 2]')
      .replace('faults:\n', 'faults:\n  - { at: 1s, kill: 1, on: [2] }\n'))
    assert.deepEqual(issues.map(line => line.split(': ').slice(0, 2).join(': ')), [
      'scenario.yaml:8:24: faults[0].on',
      'scenario.yaml:9:50: faults[1].on[1]',
      'scenario.yaml:9:15: faults[1].latency',
      'scenario.yaml:10:44: faults[2].link',
      'scenario.yaml:10:15: faults[2].latency',
      'scenario.yaml:5:1: network'
    ])
    assert.match(issues[2], /a slow link needs transport: memory/)
    assert.deepEqual(issuesOf('name: n\nduration: 5s\ntransport: memory\nnodes:\n  count: 4\ntopology: { kind: nat-homes }\n'), [
      'scenario.yaml:3:1: transport: nat-homes needs transport: tcp: libp2p dials a circuit relay only through a relay it reaches over IP (or DNS), and homes reach each other only that way'
    ])
    assert.match(issues[5], /latency, jitter, loss and bandwidth need transport: memory/)
  })
})
