import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'

const MESH_BENCH = fileURLToPath(new URL('../bench/mesh.js', import.meta.url))
const MEMORY_BENCH = fileURLToPath(new URL('../bench/memory.js', import.meta.url))
const RUN_AGENT_BENCH = fileURLToPath(new URL('../bench/run-agent.js', import.meta.url))
const API_BENCH = fileURLToPath(new URL('../bench/api.js', import.meta.url))

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
  it('measures ingest against the LevelDB floor, replication and search, and prints tables and charts', () => {
    const res = spawnSync(process.execPath, [MEMORY_BENCH, '--quick'], { encoding: 'utf8', timeout: 300_000 })
    assert.equal(res.status, 0, res.stderr)
    const figure = (pattern: RegExp): number => {
      const match = res.stdout.match(pattern)
      assert.ok(match != null, `${String(pattern)} in\n${res.stdout}`)
      return Number(match[1].replace(/,/g, ''))
    }
    assert.ok(figure(/raw LevelDB batch put \(floor\)\s+\S+\s+\S+\s+([\d,.]+)/) > 0)
    assert.ok(figure(/local put \(sign, embed, index\)\s+\S+\s+\S+\s+([\d,.]+)/) > 0)
    assert.ok(figure(/from a peer \(verify, index\)\s+\S+\s+\S+\s+([\d,.]+)/) > 0)
    assert.ok(figure(/time from B starting to identical state\s+([\d,.]+) ms/) > 0)
    assert.ok(figure(/bytes A → B on the wire[^\d]+([\d,.]+) KiB/) > 0)
    const recall = figure(/^2,000(?:\s+\S+){5}\s+([\d.]+)$/m)
    assert.ok(recall > 0 && recall <= 1, `recall ${recall}`)
    assert.match(res.stdout, /LevelDB floor +│█+/)
  })
})

// `./scripts/bench run-agent` runs 2,000 requests per path
describe('run-agent benchmark (fast version)', () => {
  it('measures run_agent against a bare libp2p stream and raw TCP, direct and relayed, and prints a table and charts', () => {
    const res = spawnSync(process.execPath, [RUN_AGENT_BENCH, '--quick', '--requests', '100'], { encoding: 'utf8', timeout: 180_000 })
    assert.equal(res.status, 0, res.stderr)
    for (const path of ['raw TCP echo', 'libp2p stream echo', 'run_agent echo', 'libp2p stream echo, relayed', 'run_agent echo, relayed']) {
      const row = res.stdout.split('\n').find(l => l.startsWith(path + '  '))
      assert.ok(row != null, `${path} in\n${res.stdout}`)
      const [p50, p99, perSecond] = row.slice(path.length).trim().split(/\s+/).map(x => Number(x.replace(/,|×/g, '')))
      assert.ok(p50 > 0 && p99 >= p50 && perSecond > 0, row)
    }
    assert.match(res.stdout, /run_agent adds -?[\d.]+ ms at p50 over a bare stream/)
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
