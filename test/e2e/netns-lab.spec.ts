import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, it } from 'vitest'
import { ROOT, collect } from '../src/cli.js'

// scripts/netns-lab builds two NATed homes and a public relay from Linux network
// namespaces (root, iproute2 and nft or iptables) and runs an agent of home B
// from home A through the relay. Elsewhere it says why it cannot, and this skips.
const LAB = join(ROOT, 'scripts', 'netns-lab')

function unavailable (): string | false {
  if (process.platform !== 'linux') return `netns-lab: unavailable: needs Linux (this is ${process.platform})`
  const check = spawnSync(LAB, ['check'], { encoding: 'utf8', timeout: 180_000 })
  if (check.status === 0) return false
  const reason = check.stdout.trim().split('\n').pop() ?? ''
  return reason !== '' ? reason : `netns-lab check failed (${check.error?.message ?? `exit ${String(check.status ?? check.signal)}`}) ${check.stderr.trim()}`
}

const skip = unavailable()
if (skip !== false) {
  process.stderr.write(`# skipping the netns NAT lab: ${skip}\n`)
}

describe('netns NAT lab', () => {
  it('runs an agent of home B from home A through the relay, both behind NAT, and reports the path and DCUtR', { skip: skip !== false, timeout: 180_000 }, async () => {
    const child = spawn(LAB, ['run', '--quick'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const res = await collect(child, 150_000)
    const summary = res.stdout.slice(res.stdout.indexOf('== netns-lab summary =='))
    process.stdout.write(summary.split('\n').filter(Boolean).map(line => `# ${line}\n`).join(''))
    assert.equal(res.code, 0, res.stdout + res.stderr)
    assert.match(summary, /^PASS\s+overmind run upper "hello from home a" in home A -> "HELLO FROM HOME A", host = B/m)
    assert.match(summary, /^PASS\s+path A -> B: relayed through the relay node/m)
    assert.match(summary, /^INFO\s+DCUtR verdict: no upgrade, A -> B stayed relayed/m)
    assert.doesNotMatch(summary, /^FAIL/m)
    assert.match(summary, /^RESULT: PASS$/m)
  })
})
