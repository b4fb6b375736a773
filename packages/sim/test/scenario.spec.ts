import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
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
      'scenario.yaml:12:5: faults[1]: a fault is one of partition, heal, kill, restart or hostile'
    ])
  })

  it('applies the flags over the file', () => {
    const scenario = parseScenario(BASE, { overrides: { nodes: 6, duration: 12_000, seed: 9 } })
    assert.deepEqual([scenario.nodes.count, scenario.duration, scenario.seed], [6, 12_000, 9])
  })
})

describe('schedules', () => {
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
