import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { getPriority } from 'node:os'
import { describe, it } from 'vitest'
import { entryPool } from '../src/entry-pool.js'
import { WORKER_NICE } from '../src/worker-pool.js'

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

  it('runs its threads below the event loop\'s priority, and leaves the event loop\'s as it was', { skip: process.platform !== 'linux' }, async () => {
    const before = getPriority()
    const pool = entryPool()
    pool.warm()
    // a task on every thread, so each has started
    await Promise.all(Array.from({ length: pool.size }, async () => await pool.run({ op: 'hash', dimensions: 8, texts: ['disk full'] })))
    // the nice value of every thread of this process (field 19 of its stat line)
    const nice = readdirSync('/proc/self/task').flatMap(tid => {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
        return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])]
      } catch {
        return []
      }
    })
    assert.equal(getPriority(), before, 'the event loop\'s thread keeps its priority')
    const lowered = nice.filter(n => n === Math.min(19, before + WORKER_NICE)).length
    assert.ok(lowered >= pool.size, `${lowered} threads at nice ${before + WORKER_NICE}, the pool has ${pool.size}: ${nice.join(' ')}`)
  })
})
