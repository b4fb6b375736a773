import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { freshCloneCheck } from '../src/fresh-clone.js'

// The full version (whole suite inside the clone) is `scripts/fresh-clone-check`
describe('a fresh clone', { skip: process.env.OVERMIND_IN_FRESH_CLONE === '1' ? 'already inside a fresh clone' : false }, () => {
  it('sets itself up with the README\'s two commands, unattended, from the machine\'s own Node and npm', async () => {
    const report = await freshCloneCheck({
      demoArgs: ['--nodes', '3', '--duration', '3s', '--interval', '500ms'],
      // the setup and the runner are what is checked here: a few fast unit test files are enough
      testArgs: ['--quick', 'packages/config/', 'packages/hlc/', 'packages/heartbeat/']
    })
    process.stdout.write(`# machine node ${report.machineNode}; demo ${report.demo.ms} ms; quick tests ${report.test.ms} ms\n`)
    assert.equal(report.demo.code, 0, report.demo.stdout + report.demo.stderr)
    assert.match(report.demo.stdout, /all 3 nodes stopped cleanly/)
    assert.equal(report.test.code, 0, report.test.stdout + report.test.stderr)
    assert.match(report.test.stdout, /ℹ fail 0/)
    assert.doesNotMatch(report.test.stdout, /ℹ pass 0\b/)
  })
})
