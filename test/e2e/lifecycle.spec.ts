import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'
import { collect } from '../src/cli.js'

const CHURN = fileURLToPath(new URL('../src/churn.js', import.meta.url))

describe('node lifecycle', () => {
  it('starts and stops 20 nodes in one process, three times, and leaves nothing running: the process exits by itself', async () => {
    const child = spawn(process.execPath, [CHURN, '20', '3'], { stdio: ['ignore', 'pipe', 'pipe'] })
    // a leaked timer or socket keeps the process alive until this timeout kills it
    const res = await collect(child, 150_000)
    assert.equal(res.code, 0, res.stderr)
    assert.match(res.stdout, /round 3: started and stopped 20 nodes/)
    assert.match(res.stdout, /^done;/m)
    assert.doesNotMatch(res.stderr, /Error/)
  })
})
