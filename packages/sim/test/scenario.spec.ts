import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { EXPECTABLE, holds, parseScenario, schedule } from '../src/index.js'
import { issuesOf } from './issues.js'

const BASE = `name: test
seed: 3
duration: 20s
nodes:
  count: 4
workload:
  writes:
    rate: 10/s
faults:
  - at: 5s
    partition: [[0, 1], [2, 3]]
  - at: 10s
    heal: true
expect:
  delivery.ratio: ">= 1"
`

describe('scenario files', () => {
  it('reads a scenario with its defaults', () => {
    const scenario = parseScenario(BASE)
    assert.equal(scenario.duration, 20_000)
    assert.equal(scenario.topology, 'full')
    assert.equal(scenario.workload.writes?.rate, 10)
    assert.deepEqual(scenario.faults[0].partition, [[0, 1], [2, 3]])
  })

  it('names the key and line of an unknown key', () => {
    assert.deepEqual(issuesOf(BASE.replace('seed: 3', 'seed: 3\nnodez: 4')), ['scenario.yaml:3:1: nodez: unknown key'])
  })

  it('names the key and line of every fault, node and figure the scenario cannot have', () => {
    assert.deepEqual(issuesOf(BASE
      .replace('at: 10s', 'at: 25s')
      .replace('[[0, 1], [2, 3]]', '[[0, 1], [1, 7]]')
      .replace('delivery.ratio', 'delivery.speed')), [
      'scenario.yaml:11:26: faults[0].partition[1][0]: node 1 is in two groups',
      'scenario.yaml:11:29: faults[0].partition[1][1]: node 7 does not exist: the scenario has 4 nodes, 0 to 3',
      'scenario.yaml:12:5: faults[1].at: at 25000 ms, after the end of the scenario (20000 ms)',
      `scenario.yaml:15:3: expect.delivery.speed: no figure "delivery.speed" in the report; expected one of ${EXPECTABLE.join(', ')}`
    ])
  })

  it('refuses values of the wrong shape, where they are', () => {
    assert.deepEqual(issuesOf(BASE.replace('rate: 10/s', 'rate: often').replace('count: 4', 'count: 1')), [
      'scenario.yaml:5:3: nodes.count: Too small: expected number to be >=2',
      'scenario.yaml:8:5: workload.writes.rate: expected a rate such as "5/s" or "30/m", got "often"'
    ])
    assert.deepEqual(issuesOf(BASE.replace('heal: true', 'heal: true\n    kill: 1')), [
      'scenario.yaml:12:5: faults[1]: a fault is one of partition, heal, kill, restart, hostile, hang, churn, or latency / jitter / loss on links'
    ])
  })

  it('applies the flags over the file', () => {
    const scenario = parseScenario(BASE, { overrides: { nodes: 6, duration: 12_000, seed: 9, transport: 'memory' } })
    assert.deepEqual([scenario.nodes.count, scenario.duration, scenario.seed, scenario.transport], [6, 12_000, 9, 'memory'])
  })
})

const NETNS = `name: netns
duration: 12s
mode: netns
nodes:
  count: 4
network:
  latency: 40ms
  loss: 0.01
workload:
  writes:
    rate: 5/s
faults:
  - { at: 3s, partition: [[0, 1], [2, 3]] }
  - { at: 6s, heal: true }
  - { at: 7s, hang: 2, for: 1s }
  - { at: 9s, latency: 200ms, on: [0, 1], for: 2s }
`

const PROCESSES = `name: processes
duration: 12s
mode: processes
nodes:
  count: 4
workload:
  writes:
    rate: 5/s
faults:
  - at: 3s
    kill: 1
  - at: 6s
    restart: 1
  - at: 7s
    hang: 2
    for: 4s
`

describe('modes', () => {
  it('reads a scenario of node processes with a hang', () => {
    const scenario = parseScenario(PROCESSES)
    assert.equal(scenario.mode, 'processes')
    assert.deepEqual(scenario.faults[2], { at: 7_000, hang: 2, for: 4_000 })
    // the hang is part of the schedule and of its digest
    assert.notEqual(schedule(scenario).digest, schedule(parseScenario(PROCESSES.replace('for: 4s', 'for: 5s'))).digest)
  })

  it('refuses a hang in-process, where nodes share one process, naming the key', () => {
    assert.deepEqual(issuesOf(PROCESSES.replace('mode: processes', 'mode: in-process')), [
      'scenario.yaml:15:5: faults[2].hang: hang needs mode: processes or netns: nodes that share a process cannot be paused alone'
    ])
    // in-process is the default
    assert.deepEqual(issuesOf(PROCESSES.replace('mode: processes\n', '')), [
      'scenario.yaml:14:5: faults[2].hang: hang needs mode: processes or netns: nodes that share a process cannot be paused alone'
    ])
  })

  it('needs `for` with a hang, and a hang with `for`', () => {
    assert.deepEqual(issuesOf(PROCESSES.replace('    for: 4s\n', '')), [
      'scenario.yaml:15:5: faults[2].hang: a hang needs `for`: how long the node stays paused, e.g. for: 4s'
    ])
    assert.deepEqual(issuesOf(PROCESSES.replace('kill: 1', 'kill: 1\n    for: 2s')), [
      'scenario.yaml:12:5: faults[0].for: `for` is how long a hang, a churn or a slow link lasts: it goes with hang, churn, or latency, jitter and loss'
    ])
    assert.deepEqual(issuesOf(PROCESSES.replace('hang: 2', 'hang: 9')), [
      'scenario.yaml:15:5: faults[2].hang: node 9 does not exist: the scenario has 4 nodes, 0 to 3'
    ])
  })

  it('refuses with node processes what only the in-process mesh can do, naming each key', () => {
    const issues = issuesOf(PROCESSES
      .replace('  - at: 3s\n    kill: 1', '  - at: 3s\n    partition: [[0, 1], [2, 3]]\n  - at: 4s\n    heal: true\n  - at: 5s\n    hostile: 3')
      .replace('nodes:\n', 'topology: ring\nnodes:\n')
      .replace('    rate: 5/s', '    rate: 5/s\n    floor: true'))
    assert.deepEqual(issues.map(line => line.split(': ').slice(0, 2).join(': ')), [
      'scenario.yaml:13:5: faults[0].partition',
      'scenario.yaml:15:5: faults[1].heal',
      'scenario.yaml:17:5: faults[2].hostile',
      'scenario.yaml:4:1: topology',
      'scenario.yaml:10:5: workload.writes.floor'
    ])
    assert.match(issues[0], /a partition needs mode: in-process or netns \(mode: processes cannot do it: on loopback there is no way to cut processes apart/)
  })

  it('reads a scenario of node processes in network namespaces, with partitions, hangs and slow links of groups', () => {
    const scenario = parseScenario(NETNS)
    assert.equal(scenario.mode, 'netns')
    assert.deepEqual(scenario.network, { latency: 40, jitter: 0, loss: 0.01, bandwidth: 0 })
    assert.deepEqual(scenario.faults.map(f => Object.keys(f).filter(k => k !== 'at').sort().join('+')), ['partition', 'heal', 'for+hang', 'for+latency+on'])
  })

  it('refuses in network namespaces what needs the in-process mesh, and a slow single link, naming each key', () => {
    const issues = issuesOf(NETNS
      .replace('nodes:\n', 'transport: memory\ntopology: ring\nnodes:\n')
      .replace('  - { at: 9s, latency: 200ms, on: [0, 1], for: 2s }', '  - { at: 9s, latency: 200ms, link: [0, 1] }\n  - { at: 10s, hostile: 2 }'))
    assert.deepEqual(issues.map(line => line.split(': ').slice(0, 2).join(': ')), [
      'scenario.yaml:18:31: faults[3].link',
      'scenario.yaml:4:1: transport',
      'scenario.yaml:19:16: faults[4].hostile',
      'scenario.yaml:5:1: topology'
    ])
    assert.match(issues[0], /mode: netns slows the links of nodes \(`on`\), not one link/)
  })

  it('refuses the in-memory transport with node processes, naming the key', () => {
    assert.deepEqual(issuesOf(PROCESSES.replace('nodes:\n', 'transport: memory\nnodes:\n')), [
      'scenario.yaml:4:1: transport: the memory transport needs mode: in-process: it joins nodes of one process'
    ])
    assert.equal(parseScenario('name: m\nduration: 5s\ntransport: memory\nnodes:\n  count: 3\n').transport, 'memory')
    assert.equal(parseScenario('name: m\nduration: 5s\nnodes:\n  count: 3\n').transport, 'tcp')
  })

  it('refuses mock agents and runs with node processes', () => {
    const issues = issuesOf(PROCESSES.replace('workload:\n', 'agents:\n  - name: summarize\n    on: all\n    serviceTime: 100ms\nworkload:\n  runs:\n    agent: summarize\n    rate: 1/s\n'))
    assert.deepEqual(issues, [
      'scenario.yaml:6:1: agents: mock agents need mode: in-process: they are functions of the simulator\'s process',
      'scenario.yaml:11:3: workload.runs: runs need mock agents, and mock agents need mode: in-process'
    ])
  })
})

describe('schedules', () => {
  it('draw each write\'s zone from the mix, from a stream of their own, and refuse a mix that does not add up to 1', () => {
    const mixed = BASE.replace(/( +)rate: (.+)\n/, '$1rate: $2\n$1zones: { federation: 0.5, shared: 0.2, private: 0.3 }\n')
    assert.notEqual(mixed, BASE)
    const plain = schedule(parseScenario(BASE))
    const plan = schedule(parseScenario(mixed))
    const writes = plan.events.filter(e => e.kind === 'write')
    // the same writes at the same times, with zones drawn at about the mix's shares
    assert.deepEqual(writes.map(w => [w.at, w.node, w.text]), plain.events.filter(e => e.kind === 'write').map(w => [w.at, w.node, w.text]))
    const share = (zone?: string): number => writes.filter(w => w.kind === 'write' && w.zone === zone).length / writes.length
    assert.ok(writes.length >= 40, `${writes.length} writes`)
    assert.ok(share('private') > 0.1 && share('private') < 0.5, `private ${share('private')}`)
    assert.ok(share('shared') > 0.03 && share('shared') < 0.4, `shared ${share('shared')}`)
    assert.ok(share(undefined) > 0.3, `federation ${share(undefined)}`)
    assert.deepEqual(schedule(parseScenario(mixed)).digest, plan.digest)
    assert.notEqual(plan.digest, plain.digest)
    assert.match(issuesOf(mixed.replace('private: 0.3', 'private: 0.4'))[0], /workload\.writes\.zones: the shares of the zones add up to 1/)
  })

  it('are the same for the same seed and scenario, and differ for another seed', () => {
    const a = schedule(parseScenario(BASE))
    const b = schedule(parseScenario(BASE))
    const c = schedule(parseScenario(BASE, { overrides: { seed: 4 } }))
    assert.equal(a.digest, b.digest)
    assert.deepEqual(a.events, b.events)
    assert.notEqual(a.digest, c.digest)
    const writes = a.events.filter(e => e.kind === 'write')
    // a Poisson process of 10/s over 20 s
    assert.ok(writes.length > 150 && writes.length < 250, `${writes.length} writes`)
    assert.ok(writes.every(w => w.kind === 'write' && w.node >= 0 && w.node < 4 && w.at < 20_000))
    assert.deepEqual(a.events.filter(e => e.kind === 'fault').map(e => e.at), [5_000, 10_000])
  })

  it('compare figures with numbers and durations', () => {
    assert.equal(holds(1, '>= 1'), true)
    assert.equal(holds(0.99, '>= 1'), false)
    assert.equal(holds(2_232, '< 10s'), true)
    assert.equal(holds(12_000, '< 10s'), false)
    assert.equal(holds(0, '== 0'), true)
  })
})

describe('churn', () => {
  const CHURN = `name: churn
seed: 5
duration: 60s
nodes:
  count: 6
topology: { kind: nat-homes, relays: 1 }
faults:
  - { at: 5s, churn: 30/m, for: 40s, down: 4s }
`
  const kills = (text: string): Array<{ at: number, node: number }> => schedule(parseScenario(text)).events.flatMap(e => e.kind === 'fault' && e.fault.kill != null ? [{ at: e.at, node: e.fault.kill }] : [])
  const restarts = (text: string): Array<{ at: number, node: number }> => schedule(parseScenario(text)).events.flatMap(e => e.kind === 'fault' && e.fault.restart != null ? [{ at: e.at, node: e.fault.restart }] : [])

  it('takes nodes away at its rate and brings each back after `down`, never a relay, never one that is away', () => {
    const k = kills(CHURN)
    const r = restarts(CHURN)
    // 30 a minute for 40 s: about 20, fewer when every node is resting
    assert.ok(k.length >= 5 && k.length <= 30, `${k.length} kills`)
    assert.equal(r.length, k.length)
    for (const kill of k) {
      assert.ok(kill.at >= 5_000 && kill.at < 45_000)
      assert.notEqual(kill.node, 0, 'the relay stays')
      assert.ok(r.some(restart => restart.node === kill.node && restart.at === kill.at + 4_000), `node ${kill.node} comes back 4 s after ${kill.at}`)
      // nobody is taken away while away, or right after coming back
      assert.ok(!k.some(other => other !== kill && other.node === kill.node && other.at >= kill.at && other.at < kill.at + 8_000))
    }
  })

  it('is the same for the same seed, another for another seed, and leaves the writes as they were', () => {
    assert.deepEqual(kills(CHURN), kills(CHURN))
    assert.notDeepEqual(kills(CHURN), kills(CHURN.replace('seed: 5', 'seed: 6')))
    const writes = (text: string): unknown[] => schedule(parseScenario(text)).events.filter(e => e.kind === 'write')
    const withWrites = CHURN.replace('faults:', 'workload:\n  writes:\n    rate: 2/s\nfaults:')
    assert.deepEqual(writes(withWrites), writes(withWrites.replace(/faults:\n {2}- \{ at: 5s, churn.*\n/, '')))
  })

  it('needs `for`, and a last return before the end, naming the key and line', () => {
    assert.deepEqual(issuesOf(CHURN.replace(', for: 40s', '')), [
      'scenario.yaml:8:15: faults[0].churn: a churn needs `for`: how long nodes keep leaving and coming back, e.g. for: 20s'
    ])
    assert.deepEqual(issuesOf(CHURN.replace('for: 40s', 'for: 55s')), [
      'scenario.yaml:8:28: faults[0].for: the churn\'s last node comes back at 64000 ms, after the end of the scenario (60000 ms)'
    ])
    assert.deepEqual(issuesOf(CHURN.replace('churn: 30/m, for: 40s, down: 4s', 'kill: 2, down: 4s')), [
      'scenario.yaml:8:24: faults[0].down: `down` is how long a node that churn takes away stays away: it goes with churn'
    ])
  })
})
