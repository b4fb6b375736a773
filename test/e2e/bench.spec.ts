import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'

const MESH_BENCH = fileURLToPath(new URL('../bench/mesh.js', import.meta.url))

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
