import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'vitest'
import { procFigures } from '../src/processes.js'

describe('node process figures', () => {
  it('read the CPU a process used and its resident memory, and nothing once it is gone', async (t) => {
    if (process.platform !== 'linux') {
      // no /proc
      t.skip()
      return
    }
    // spends 300 ms of CPU, however busy the machine is, then says so and waits
    const child = spawn(process.execPath, ['-e', 'while (process.cpuUsage().user < 300000); console.log("spent"); setTimeout(() => {}, 60000)'], { stdio: ['ignore', 'pipe', 'ignore'] })
    try {
      await once(child.stdout, 'data')
      const figures = await procFigures(child.pid as number)
      assert.ok(figures != null)
      // at least 300 ms: 30 ticks at 100 a second
      assert.ok(figures.ticks >= 30, `${figures.ticks} ticks`)
      assert.ok(figures.rssMb > 10 && figures.rssMb < 1024, `${figures.rssMb} MB`)
    } finally {
      child.kill('SIGKILL')
      await once(child, 'exit')
    }
    assert.equal(await procFigures(child.pid as number), undefined)
  })
})
