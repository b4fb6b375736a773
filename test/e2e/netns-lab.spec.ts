import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, it } from 'vitest'
import { ROOT, collect } from '../src/cli.js'
import { acquire } from '../src/exclusive.js'

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

/** Runs `scripts/netns-lab run --quick ARGS…`: its exit code and summary */
async function lab (...args: string[]): Promise<{ code: number | null, summary: string, output: string }> {
  const child = spawn(LAB, ['run', '--quick', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const res = await collect(child, 150_000)
  const summary = res.stdout.slice(res.stdout.indexOf('== netns-lab summary =='))
  process.stdout.write(summary.split('\n').filter(Boolean).map(line => `# ${args.join(' ') || 'masquerade'}: ${line}\n`).join(''))
  return { code: res.code, summary, output: res.stdout + res.stderr }
}

describe('netns NAT lab', () => {
  it('hole-punches a WebRTC link between homes behind masquerading NATs, keeps it relayed behind a port-randomising one, goes direct through a port forward by DCUtR, and runs and syncs over each', { skip: skip !== false, timeout: 300_000 }, async () => {
    // not beside the WebRTC links spec (see there); the three labs at once: separate
    // namespaces, and most of each is waiting
    const release = await acquire('webrtc')
    const [punched, randomised, forwarded] = await Promise.all([lab(), lab('--nat', 'random'), lab('--forward')]).finally(release)

    assert.equal(punched.code, 0, punched.output)
    assert.match(punched.summary, /^PASS\s+overmind run upper "hello from home a" in home A -> "HELLO FROM HOME A", host = B/m)
    assert.match(punched.summary, /^PASS\s+path A -> B: hole-punched \(webrtc\) .*relayed link closed.*ICE pair srflx 11\.0\.0\.1:\d+ → srflx 11\.0\.0\.2:\d+/m)
    assert.match(punched.summary, /^PASS\s+memory sync B -> A over the hole-punched link/m)
    assert.match(punched.summary, /^PASS\s+relay stopped: A -> B still runs over the hole-punched link/m)
    assert.doesNotMatch(punched.summary, /^FAIL/m)
    assert.match(punched.summary, /^RESULT: PASS$/m)

    assert.equal(randomised.code, 0, randomised.output)
    assert.match(randomised.summary, /^PASS\s+path A -> B: stays relayed behind B's port-randomising NAT, and says why: hole punch failed .*no UDP path found/m)
    assert.match(randomised.summary, /^PASS\s+memory sync B -> A over the relayed link/m)
    assert.match(randomised.summary, /^PASS\s+5 runs of B's builtin echo agent from A over the relayed link/m)
    assert.doesNotMatch(randomised.summary, /^FAIL/m)
    assert.match(randomised.summary, /^RESULT: PASS$/m)

    assert.equal(forwarded.code, 0, forwarded.output)
    assert.match(forwarded.summary, /^PASS\s+path A -> B: direct through router A's port forward \(connections: direct inbound \/ip4\/11\.0\.0\.2\/tcp\/\d+\/p2p\/\S+\)$/m, 'one direct link, which B opened, and no other')
    assert.match(forwarded.summary, /^PASS\s+path A -> B: direct via DCUtR: B, the inbound side of the relayed link, dialled A's forwarded address/m)
    assert.match(forwarded.summary, /^PASS\s+memory sync B -> A over the direct link/m)
    assert.match(forwarded.summary, /^PASS\s+relay stopped: A -> B still runs over the direct link/m)
    assert.doesNotMatch(forwarded.summary, /^FAIL/m)
    assert.match(forwarded.summary, /^RESULT: PASS$/m)
  })
})
