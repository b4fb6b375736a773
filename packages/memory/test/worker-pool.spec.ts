import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { entryPool } from '../src/entry-pool.js'

describe('WorkerPool', () => {
  it('starts its threads ahead of use without holding the process open', () => {
    const pool = new URL('../src/entry-pool.js', import.meta.url).href
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', `import { entryPool } from '${pool}'; entryPool().warm()`], { timeout: 20_000 })
    assert.equal(res.signal, null, 'the process exited by itself')
    assert.equal(res.status, 0, res.stderr.toString())
  })

  it('runs tasks on warmed threads', async () => {
    const pool = entryPool()
    pool.warm()
    const result = await pool.run({ op: 'hash', dimensions: 8, texts: ['disk full', 'disk full'] })
    assert.ok('vectors' in result)
    assert.deepEqual(result.vectors.subarray(0, 8), result.vectors.subarray(8, 16), 'the same text, the same vector')
  })
})
