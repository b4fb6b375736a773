import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { linkReport, meshTopology, parseScenario, random, schedule, topologyGater } from '../src/index.js'
import { issuesOf } from './issues.js'
import type { MeshTopology, NodeRole, TopologySpec } from '../src/index.js'

const scenario = (topology: string, count = 12, extra = ''): string => `name: test
seed: 5
duration: 10s
nodes:
  count: ${count}
topology: ${topology}
workload:
  writes:
    rate: 5/s${extra}
`

function degrees (topology: MeshTopology, count: number): number[] {
  const degree = new Array(count).fill(0)
  for (const [a, b] of topology.edges ?? []) {
    degree[a]++
    degree[b]++
  }
  return degree
}

function connected (topology: MeshTopology, count: number): boolean {
  const seen = new Set([0])
  const queue = [0]
  while (queue.length > 0) {
    const a = queue.pop() as number
    for (let b = 0; b < count; b++) {
      if (b !== a && !seen.has(b) && topology.linked(a, b)) {
        seen.add(b)
        queue.push(b)
      }
    }
  }
  return seen.size === count
}

const build = (spec: TopologySpec, count: number, seed = 1): MeshTopology => meshTopology(spec, count, random(seed))

describe('k-regular topologies', () => {
  it('give every node the degree, in one connected mesh, for many seeds and sizes', () => {
    for (const [count, degree] of [[10, 2], [10, 3], [12, 4], [30, 3], [50, 6], [8, 7], [200, 5]]) {
      for (let seed = 1; seed <= 20; seed++) {
        const topology = build({ kind: 'k-regular', degree }, count, seed)
        assert.deepEqual(degrees(topology, count), new Array(count).fill(degree), `${count} nodes, degree ${degree}, seed ${seed}`)
        assert.equal(new Set(topology.edges?.map(e => e.join('-'))).size, topology.edges?.length, 'no double link')
        assert.ok(topology.edges?.every(([a, b]) => a < b), 'no loop, each link once')
        assert.ok(connected(topology, count), `connected: ${count} nodes, degree ${degree}, seed ${seed}`)
      }
    }
  })

  it('are the same graph for the same seed, another for another seed, and the graph is in the schedule digest', () => {
    assert.deepEqual(build({ kind: 'k-regular', degree: 4 }, 20, 7).edges, build({ kind: 'k-regular', degree: 4 }, 20, 7).edges)
    assert.notDeepEqual(build({ kind: 'k-regular', degree: 4 }, 20, 7).edges, build({ kind: 'k-regular', degree: 4 }, 20, 8).edges)
    const a = schedule(parseScenario(scenario('{ kind: k-regular, degree: 4 }')))
    const b = schedule(parseScenario(scenario('{ kind: k-regular, degree: 4 }')))
    const c = schedule(parseScenario(scenario('{ kind: k-regular, degree: 3 }')))
    assert.equal(a.digest, b.digest)
    assert.deepEqual(a.topology.edges, b.topology.edges)
    // another graph with the same workload: the topology draws from its own stream
    assert.deepEqual(a.events, c.events)
    assert.notEqual(a.digest, c.digest)
  })

  it('let nodes linked by the graph reach each other, and no others', () => {
    const topology = build({ kind: 'k-regular', degree: 3 }, 10)
    for (let a = 0; a < 10; a++) {
      const peers = Array.from({ length: 10 }, (_, b) => b).filter(b => b !== a && topology.linked(a, b))
      assert.equal(peers.length, 3)
      assert.ok(peers.every(b => topology.dialable(a, b) && topology.linked(b, a)))
    }
  })
})

describe('cluster topologies', () => {
  it('link every pair inside a cluster and `bridges` pairs between neighbouring clusters', () => {
    const topology = build({ kind: 'clusters', clusters: 3, bridges: 2 }, 10)
    // clusters 0-3, 4-6, 7-9; bridges 3-4, 2-5 and 6-7, 5-8
    const inside = [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]].flatMap(group => group.flatMap((a, i) => group.slice(i + 1).map(b => `${a}-${b}`)))
    assert.deepEqual(topology.edges?.map(e => e.join('-')).sort(), [...inside, '3-4', '2-5', '6-7', '5-8'].sort())
    assert.ok(connected(topology, 10))
    assert.equal(topology.linked(0, 9), false)
    assert.deepEqual(topology.roles, new Array(10).fill('public'))
  })

  it('with one bridge, chain the clusters along the node indexes', () => {
    const topology = build({ kind: 'clusters', clusters: 4, bridges: 1 }, 8)
    const between = topology.edges?.filter(([a, b]) => Math.floor(a / 2) !== Math.floor(b / 2)).map(e => e.join('-'))
    assert.deepEqual(between, ['1-2', '3-4', '5-6'])
  })
})

describe('nat-homes topologies', () => {
  it('make the first nodes relays, then public nodes, and the rest homes no one dials directly', () => {
    const topology = build({ kind: 'nat-homes', relays: 2, public: 1 }, 6)
    assert.deepEqual(topology.roles, ['relay', 'relay', 'public', 'private', 'private', 'private'])
    assert.equal(topology.linked(3, 4), true, 'homes reach each other, through a relay')
    assert.equal(topology.dialable(3, 4), false)
    assert.equal(topology.dialable(3, 0), true, 'a home dials a relay')
    assert.equal(topology.dialable(2, 3), false, 'nobody dials into a home')
    assert.equal(topology.dialable(0, 2), true)
  })

  it('gate like a NAT: a home refuses every direct connection, accepts relayed ones, and its own addresses are never dialled', () => {
    const roles: NodeRole[] = ['relay', 'private', 'private']
    const ids = ['relay-id', 'home-a', 'home-b']
    const index = (peer: string): number | undefined => { const i = ids.indexOf(peer); return i === -1 ? undefined : i }
    const peer = (id: string): any => ({ toString: () => id })
    const conn = (address: string): any => ({ remoteAddr: { toString: () => address } })
    const addr = (address: string): any => ({ toString: () => address, getComponents: () => address.split('/p2p/').slice(1).map(value => ({ name: 'p2p', value: value.split('/')[0] })) })
    const direct = '/ip4/127.0.0.1/tcp/4001'
    const circuit = '/ip4/127.0.0.1/tcp/4000/p2p/relay-id/p2p-circuit'
    const homeA = topologyGater(1, roles, index, () => true)
    const relay = topologyGater(0, roles, index, () => true)
    assert.equal(homeA.denyInboundConnection?.(conn(direct)), true)
    assert.equal(homeA.denyInboundConnection?.(conn(circuit)), false)
    assert.equal(homeA.denyInboundEncryptedConnection?.(peer('home-b'), conn(direct)), true)
    assert.equal(homeA.denyInboundEncryptedConnection?.(peer('home-b'), conn(`${circuit}/p2p/home-b`)), false)
    assert.equal(homeA.denyDialMultiaddr?.(addr(`${direct}/p2p/home-b`)), true)
    assert.equal(homeA.denyDialMultiaddr?.(addr(`${circuit}/p2p/home-b`)), false)
    assert.equal(homeA.denyDialMultiaddr?.(addr('/ip4/127.0.0.1/tcp/4000/p2p/relay-id')), false, 'a home dials out to its relay')
    assert.equal(homeA.denyOutboundConnection?.(peer('home-b'), conn(direct)), true)
    assert.equal(relay.denyOutboundConnection?.(peer('home-a'), conn(direct)), true, 'a relay cannot dial into a home either')
    assert.equal(relay.denyInboundConnection?.(conn(direct)), false, 'a relay is reachable')
    // a partition still keeps nodes apart, relayed or not
    const apart = topologyGater(1, roles, index, (a, b) => a + b !== 3)
    assert.equal(apart.denyDialPeer?.(peer('home-b')), true)
    assert.equal(apart.denyInboundEncryptedConnection?.(peer('home-b'), conn(`${circuit}/p2p/home-b`)), true)
  })

  it('count links by kind, each pair once, and direct links between homes apart', () => {
    const report = linkReport(['relay', 'private', 'private', 'private'], [
      [{ peer: 1, relayed: false }, { peer: 2, relayed: false }],
      [{ peer: 0, relayed: false }, { peer: 2, relayed: true }, { peer: 2, relayed: true }, { peer: 3, relayed: false }],
      [{ peer: 0, relayed: false }, { peer: 1, relayed: true }],
      undefined
    ])
    assert.deepEqual({ ...report, nodes: undefined }, { direct: 3, relayed: 1, directBetweenHomes: 1, roles: { relay: 1, public: 0, private: 3 }, nodes: undefined })
    assert.deepEqual(report.nodes[1], { node: 1, role: 'private', up: true, direct: 2, relayed: 1 })
    assert.deepEqual(report.nodes[3], { node: 3, role: 'private', up: false, direct: 0, relayed: 0 })
  })
})

describe('topology errors', () => {
  it('name the key and line of a topology the nodes cannot have', () => {
    assert.deepEqual(issuesOf(scenario('{ kind: k-regular, degree: 12 }')), ['scenario.yaml:6:30: topology.degree: degree 12 needs more than 12 nodes; the scenario has 12'])
    assert.deepEqual(issuesOf(scenario('{ kind: k-regular, degree: 3 }', 7)), ['scenario.yaml:6:30: topology.degree: no graph gives each of 7 nodes 3 links: degree × nodes must be even'])
    assert.deepEqual(issuesOf(scenario('{ kind: k-regular, degree: 1 }')), ['scenario.yaml:6:30: topology.degree: Too small: expected number to be >=2'])
    assert.deepEqual(issuesOf(scenario('{ kind: clusters, clusters: 13 }')), ['scenario.yaml:6:29: topology.clusters: 13 clusters need at least 13 nodes; the scenario has 12'])
    assert.deepEqual(issuesOf(scenario('{ kind: clusters, clusters: 5, bridges: 3 }')), ['scenario.yaml:6:42: topology.bridges: 3 bridges between clusters, but the smallest cluster has 2 nodes: at most 2'])
    assert.deepEqual(issuesOf(scenario('{ kind: nat-homes, relays: 2, public: 10 }')), ['scenario.yaml:6:30: topology.relays: 2 relays and 10 public nodes leave no home among 12 nodes'])
  })

  it('name a shape or kind that does not exist, and a missing key, rather than the whole union', () => {
    assert.deepEqual(issuesOf(scenario('mesh')), ['scenario.yaml:6:1: topology: expected full, ring, star, or { kind: k-regular | clusters | nat-homes, … }'])
    assert.deepEqual(issuesOf(scenario('{ kind: torus }')), ['scenario.yaml:6:13: topology.kind: Invalid discriminator value. Expected \'k-regular\' | \'clusters\' | \'nat-homes\''])
    assert.deepEqual(issuesOf(scenario('{ kind: k-regular }')), ['scenario.yaml:6:1: topology.degree: Invalid input: expected number, received undefined'])
    assert.deepEqual(issuesOf(scenario('{ kind: nat-homes, relay: 1 }')), ['scenario.yaml:6:30: topology.relay: unknown key'])
  })

  it('check the nodes writes come from', () => {
    assert.deepEqual(issuesOf(scenario('full', 4, '\n    from: [1, 9]')), ['scenario.yaml:10:15: workload.writes.from[1]: node 9 does not exist: the scenario has 4 nodes, 0 to 3'])
    assert.deepEqual(issuesOf(scenario('full', 4, '\n    from: private')), ['scenario.yaml:10:5: workload.writes.from: no node has the role private in this topology'])
    const plan = schedule(parseScenario(scenario('{ kind: nat-homes, relays: 1 }', 5, '\n    from: private')))
    const writers = new Set(plan.events.flatMap(e => e.kind === 'write' ? [e.node] : []))
    assert.deepEqual([...writers].sort(), [1, 2, 3, 4])
  })

  it('keep the plain topologies and their schedules as they were', () => {
    const plain = parseScenario(scenario('ring'))
    assert.equal(plain.topology, 'ring')
    const plan = schedule(plain)
    assert.equal(plan.topology.edges, undefined)
    assert.equal(plan.topology.linked(0, 11), true)
    assert.equal(plan.topology.linked(0, 2), false)
    assert.deepEqual(plan.topology.roles, new Array(12).fill('public'))
  })
})
