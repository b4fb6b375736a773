import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'vitest'
import { collect } from '../src/cli.js'

const CHURN = fileURLToPath(new URL('../src/churn.js', import.meta.url))

describe('node lifecycle', () => {
  // 12 nodes with one-second heartbeats keep most of a core busy; past the
  // point where one process saturates its core (about 16 nodes on a 2-core
  // machine) nodes start to miss timeouts and the round measures the
  // machine, not the lifecycle
  it('starts and stops 12 nodes in one process, three times, and leaves nothing running: the process exits by itself', async () => {
    const child = spawn(process.execPath, [CHURN, '12', '3'], { stdio: ['ignore', 'pipe', 'pipe'] })
    // a leaked timer or socket keeps the process alive until this timeout kills it
    const res = await collect(child, 420_000)
    assert.equal(res.code, 0, res.stderr)
    process.stdout.write(res.stdout.split('\n').filter(l => l.startsWith('round')).map(l => `# ${l}\n`).join(''))
    assert.match(res.stdout, /round 3: started and stopped 12 nodes/)
    assert.match(res.stdout, /^done;/m)
    assert.doesNotMatch(res.stderr, /Error/)
  })
})
