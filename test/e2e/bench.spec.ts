import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'vitest'
import { acquire } from '../src/exclusive.js'

const MESH_BENCH = fileURLToPath(new URL('../bench/mesh.js', import.meta.url))
const MEMORY_BENCH = fileURLToPath(new URL('../bench/memory.js', import.meta.url))
const RUN_AGENT_BENCH = fileURLToPath(new URL('../bench/run-agent.js', import.meta.url))
const API_BENCH = fileURLToPath(new URL('../bench/api.js', import.meta.url))
const GOSSIP_BENCH = fileURLToPath(new URL('../bench/gossip.js', import.meta.url))
const CLI_BENCH = fileURLToPath(new URL('../bench/cli.js', import.meta.url))
const SIM_BENCH = fileURLToPath(new URL('../bench/sim-scale.js', import.meta.url))
const LIVING_BENCH = fileURLToPath(new URL('../bench/living-memory.js', import.meta.url))

// `./scripts/bench` runs the full sizes (1, 20, 50 nodes); this keeps it from rotting
describe('mesh benchmark (fast version)', () => {
  it('measures formation time and memory for a small mesh and prints a table and a chart', () => {
    const res = spawnSync(process.execPath, [MESH_BENCH, '1', '4'], { encoding: 'utf8', timeout: 180_000 })
    assert.equal(res.status, 0, res.stderr)
    assert.match(res.stdout, /RSS per node MB/)
    const row = res.stdout.split('\n').find(l => /^\s+4\s/.test(l))
    assert.ok(row != null, res.stdout)
    const cells = row.trim().split(/\s{2,}/)
    assert.ok(Number(cells[2]) > 0, `formation time of 4 nodes: ${cells[2]}`)
    assert.ok(Number(cells[5]) > 0, `RSS per node: ${cells[5]}`)
    assert.match(res.stdout, /nodes │█+/)
  })
})

// `./scripts/bench memory` runs 20k ingest, 10k replication, 10k and 100k search
describe('memory benchmark (fast version)', () => {
  it('measures ingest against the LevelDB floor, replication against OrbitDB, and search with recall against brute force; prints tables and charts', () => {
    const res = spawnSync(process.execPath, [MEMORY_BENCH, '--quick', '--ingest', '1000', '--replicate', '200', '--search', '1500'], { encoding: 'utf8', timeout: 300_000 })
    assert.equal(res.status, 0, res.stderr)
    const figure = (pattern: RegExp): number => {
      const match = res.stdout.match(pattern)
      assert.ok(match != null, `${String(pattern)} in\n${res.stdout}`)
      return Number(match[1].replace(/,/g, ''))
    }
    assert.ok(figure(/raw LevelDB: the same keys and bytes, synced per batch \(floor\)\s+([\d,.]+)/) > 0)
    assert.ok(figure(/store: signed, embedded, indexed, searchable, synced\s+([\d,.]+)/) > 0)
    assert.ok(figure(/running node: the same, and the federation half published to a peer[^)]*\)\s+([\d,.]+)/) > 0)
    assert.ok(figure(/the encoder alone, on every core \(floor\)\s+([\d,.]+)/) > 0)
    assert.ok(figure(/time to identical state, both nodes in one process\s+([\d,.]+) ms/) > 0)
    assert.ok(figure(/entries per second, both nodes in one process\s+[\d,.]+\s+([\d,.]+)/) > 0, 'OrbitDB replicated in the same run')
    assert.ok(figure(/entries per second, the fresh node a process of its own \(goal ≥ 5,000\)\s+([\d,.]+)/) > 0, 'a node process replicated too')
    assert.match(res.stdout, /Overmind over OrbitDB \(both in one process\)\s+[\d.]+×/)
    for (const filter of ['unfiltered', 'tag \\(1 in 300\\)', 'zone \\(1 in 2\\)', 'agent \\(1 in 10\\)']) {
      const recall = figure(new RegExp(`^1,500\\s+${filter}\\s+\\S+\\s+\\S+\\s+([\\d.]+)$`, 'm'))
      assert.ok(recall > 0 && recall <= 1, `recall ${recall} (${filter})`)
    }
    assert.match(res.stdout, /^1,500(\s+[\d,.]+){5}\s+[\d,.]+\s+[\d,.]+\s+[\d.]+×$/m)
    assert.match(res.stdout, /LevelDB floor +│█+/)
  })
})

// `./scripts/bench gossip` runs 30 nodes and 200 messages
describe('gossip benchmark (fast version)', () => {
  it('measures knowledge delivery against bare gossipsub in one mesh, and prints the ratio and a chart', () => {
    const res = spawnSync(process.execPath, [GOSSIP_BENCH, '--quick', '--nodes', '5', '--messages', '15'], { encoding: 'utf8', timeout: 300_000 })
    assert.equal(res.status, 0, res.stderr)
    for (const path of ['bare gossipsub (no validator)', 'knowledge, from publish', 'knowledge, to written on disk']) {
      const row = res.stdout.split('\n').find(l => l.startsWith(path))
      assert.ok(row != null, `${path} in\n${res.stdout}`)
      const [pairs, delivered, p50] = row.slice(path.length).trim().split(/\s+/)
      assert.equal(pairs, '60', row)
      assert.equal(delivered, '100.00%', row)
      assert.ok(Number(p50) > 0, row)
    }
    assert.match(res.stdout, /p50 ratio\s+[\d.]+×/)
    assert.match(res.stdout, /knowledge p99 +│█+/)
  })
})

// `./scripts/bench run-agent` runs 2,000 requests per path
describe('run-agent benchmark (fast version)', () => {
  it('measures run_agent against a bare libp2p stream and raw TCP, direct, relayed and hole-punched, and prints a table and charts', async () => {
    // its WebRTC link on loopback: not beside the netns lab (see webrtc-links.spec)
    const release = await acquire('webrtc')
    let res
    try {
      res = spawnSync(process.execPath, [RUN_AGENT_BENCH, '--quick', '--requests', '100'], { encoding: 'utf8', timeout: 180_000 })
    } finally {
      release()
    }
    assert.equal(res.status, 0, res.stderr)
    for (const path of ['raw TCP echo', 'libp2p stream echo', 'run_agent echo', 'libp2p stream echo, relayed', 'run_agent echo, relayed', 'libp2p stream echo, hole-punched', 'run_agent echo, hole-punched']) {
      const row = res.stdout.split('\n').find(l => l.startsWith(path + '  '))
      assert.ok(row != null, `${path} in\n${res.stdout}`)
      const [p50, p99, perSecond] = row.slice(path.length).trim().split(/\s+/).map(x => Number(x.replace(/,|×/g, '')))
      assert.ok(p50 > 0 && p99 >= p50 && perSecond > 0, row)
    }
    assert.match(res.stdout, /run_agent adds -?[\d.]+ ms at p50 over a bare stream.*relayed \/ hole-punched run p50 [\d.]+×/)
  })
})

// `./scripts/bench living-memory` runs 1,000 searches over 10,000 chunks
describe('living memory benchmark (fast version)', () => {
  it('prints the wire and disk bytes of use events per 1,000 searches against one event per read, and search with spread against without', () => {
    const res = spawnSync(process.execPath, [LIVING_BENCH, '--quick', '--chunks', '500', '--searches', '200'], { encoding: 'utf8', timeout: 180_000 })
    assert.equal(res.status, 0, res.stderr)
    const batched = res.stdout.split('\n').find(l => l.startsWith('batched use events (this node)'))
    const floor = res.stdout.split('\n').find(l => l.startsWith('floor: one event per read'))
    assert.ok(batched != null && floor != null, res.stdout)
    const [events, wire] = batched.slice('batched use events (this node)'.length).trim().split(/\s+/).map(x => Number(x.replace(/,/g, '')))
    const [floorEvents, floorWire] = floor.slice('floor: one event per read'.length).trim().split(/\s+/).map(x => Number(x.replace(/,/g, '')))
    assert.ok(events > 0 && wire > 0, batched)
    assert.ok(floorEvents > events && floorWire > wire, `${batched}\n${floor}`)
    assert.match(res.stdout, /wire bytes: batched \/ one per read = [\d.]+×/)
    for (const row of ['no spread (floor)', 'spread 1', 'spread 2']) assert.match(res.stdout, new RegExp(`^${row.replace(/[()]/g, '\\$&')}\\s+[\\d.]+\\s+[\\d.]+\\s+[\\d.]+×`, 'm'))
  })
})

// `./scripts/bench api` searches 5,000 chunks 1,000 times per interface
describe('agent interface benchmark (fast version)', () => {
  it('measures memory search through the bridge and MCP against the in-process call, and prints a table and a chart', () => {
    const res = spawnSync(process.execPath, [API_BENCH, '--quick', '--requests', '30', '--chunks', '200'], { encoding: 'utf8', timeout: 180_000 })
    assert.equal(res.status, 0, res.stderr)
    for (const name of ['in-process store.search', 'JSON-RPC bridge memory.search', 'MCP Streamable HTTP memory_search', 'MCP stdio memory_search']) {
      const row = res.stdout.split('\n').find(l => l.startsWith(name))
      assert.ok(row != null, `${name} in\n${res.stdout}`)
      const cells = row.slice(name.length).trim().split(/\s+/)
      assert.ok(Number(cells[0]) > 0, `${name} p50: ${cells[0]}`)
      assert.match(cells[3], /^[\d.]+×$/)
    }
    assert.match(res.stdout, /MCP stdio memory_search\s+│█+/)
  })
})

// `./scripts/bench sim` runs the steady-mesh scenario on 50, 100 and 200 nodes for 60 s each
describe('simulator scale benchmark (fast version)', () => {
  it('runs the steady mesh at two sizes on two threads and prints delivery against the bare gossipsub floor and a bare js-libp2p mesh of each size, memory per node and charts', () => {
    const res = spawnSync(process.execPath, [SIM_BENCH, '--duration', '4s', '--threads', '2', '4', '8'], { encoding: 'utf8', timeout: 300_000 })
    assert.equal(res.status, 0, res.stderr)
    assert.match(res.stdout, /over the in-memory transport/)
    for (const nodes of ['4', '8']) {
      const row = res.stdout.split('\n').find(l => l.startsWith(nodes + ' '))
      assert.ok(row != null, `${nodes} nodes in\n${res.stdout}`)
      const cells = row.trim().split(/\s{2,}/)
      assert.equal(cells[1], '2', 'threads')
      assert.ok(Number(cells[2]) >= 0, `tables full: ${cells[2]}`)
      assert.ok(Number(cells[3]) > 0, `MB per node: ${cells[3]}`)
      assert.equal(cells[4], '100.00%', 'every write reached every node')
      assert.match(cells[9], /^[\d.]+×$/, 'knowledge p50 against the floor')
    }
    assert.match(res.stdout, /8 nodes │█+ [\d.]+ MB/)
    // the independent floor: a bare js-libp2p mesh of each size
    const floor = res.stdout.slice(res.stdout.indexOf('Floor: a bare js-libp2p mesh'))
    for (const nodes of ['4', '8']) {
      const row = floor.split('\n').find(l => l.startsWith(nodes + ' '))
      assert.ok(row != null, `bare mesh of ${nodes} nodes in\n${res.stdout}`)
      const cells = row.trim().split(/\s{2,}/)
      assert.ok(Number(cells[1]) >= 0, `bare mesh formed: ${cells[1]}`)
      assert.equal(cells[2], '100.00%', 'every message reached every bare node')
      assert.match(cells[9], /^[\d.]+×$/, 'steady mesh p99 against the bare mesh')
    }
    assert.match(res.stdout, /8 bare js-libp2p │█+ [\d.]+ ms/)
  })
})

// `./scripts/bench cli` runs each command 30 times
describe('CLI start benchmark (fast version)', () => {
  it('times --help and status --json against a bare node start, and prints a table and a chart', () => {
    const res = spawnSync(process.execPath, [CLI_BENCH, '--runs', '2'], { encoding: 'utf8', timeout: 120_000 })
    assert.equal(res.status, 0, res.stderr)
    for (const name of ["node -e ''", 'overmind --help', 'overmind status --json', 'overmind peers --json']) {
      const row = res.stdout.split('\n').find(l => l.startsWith(name + ' '))
      assert.ok(row != null, `${name} in\n${res.stdout}`)
      const cells = row.slice(name.length).trim().split(/\s+/)
      assert.ok(Number(cells[0].replace(/,/g, '')) > 0, `${name} p50: ${cells[0]}`)
      assert.ok(Number(cells[2]) > 0, `${name} maxRSS: ${cells[2]}`)
      assert.match(cells[3], /^[\d.]+×$/)
    }
    assert.match(res.stdout, /overmind status --json │█+/)
  })
})
