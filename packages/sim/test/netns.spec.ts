import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { promisify } from 'node:util'
import { NetnsNetwork, netemUnavailable, netnsUnavailable } from '../src/netns.js'

const run = promisify(execFile)
const skip = await netnsUnavailable() ?? false
if (skip !== false) process.stderr.write(`# skipping the netns network: ${skip}\n`)
const noNetem = skip !== false ? skip : await netemUnavailable() ?? false
if (skip === false && noNetem !== false) process.stderr.write(`# skipping latency in the netns network: ${noNetem}\n`)
const LATENCY = noNetem === false ? 20 : 0

/** Connects from `from` to `to`:7001, sends a byte and waits for its echo: the ms it took, or the error code */
async function echo (network: NetnsNetwork, from: number | 'here', to: string): Promise<number | string> {
  const script = `const net=require('net');const t=performance.now();const s=net.connect(7001,'${to}',()=>s.write('x'));` +
    "s.on('data',()=>{console.log(Math.round(performance.now()-t));process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)});setTimeout(()=>{console.log('TIMEOUT');process.exit(0)},5000)"
  const [cmd, ...args] = from === 'here' ? [process.execPath, '-e', script] : network.exec(from, [process.execPath, '-e', script])
  const { stdout } = await run(cmd, args)
  const out = stdout.trim()
  return /^\d+$/.test(out) ? Number(out) : out
}

describe('netns network', { skip: skip !== false }, () => {
  let network: NetnsNetwork
  let server: ReturnType<typeof spawn>

  beforeAll(async () => {
    network = await NetnsNetwork.create(`omt${process.pid % 1000}`, 3, { latency: LATENCY, jitter: 0, loss: 0 })
    const [cmd, ...args] = network.exec(1, [process.execPath, '-e', `require('net').createServer(s=>s.pipe(s)).listen(7001,'${network.nodes[1].ip}',()=>console.log('up'))`])
    server = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      server.stdout?.once('data', () => { resolve() })
      server.once('exit', code => { reject(new Error(`echo server exited with ${code}`)) })
    })
  })

  afterAll(async () => {
    server?.kill()
    await new Promise(resolve => setTimeout(resolve, 200))
    await network?.destroy()
  })

  it('gives every node a namespace and an address on one switch, and the simulator a port of its own to reach them', async () => {
    assert.deepEqual(network.nodes.map(n => n.ip), ['10.88.0.1', '10.88.0.2', '10.88.0.3'])
    for (const node of [0, 2] as const) assert.equal(typeof await echo(network, node, network.nodes[1].ip), 'number')
    const ms = await echo(network, 'here', network.nodes[1].ip)
    assert.equal(typeof ms, 'number', String(ms))
  })

  it('delays every link by its latency', { skip: noNetem !== false }, async () => {
    // the handshake and the echo each cross node 1's port both ways, 20 ms each time
    const ms = await echo(network, 'here', network.nodes[1].ip)
    assert.ok(typeof ms === 'number' && ms >= 75, `${ms} ms`)
  })

  it('cuts the groups of a partition apart, and heals', async () => {
    await network.partition([[0], [1, 2]])
    assert.equal(typeof await echo(network, 2, network.nodes[1].ip), 'number')
    assert.match(String(await echo(network, 0, network.nodes[1].ip)), /^(EACCES|EHOSTUNREACH|ENETUNREACH)$/)
    await network.heal()
    assert.equal(typeof await echo(network, 0, network.nodes[1].ip), 'number')
  })

  it('reshapes a node\'s links while it runs', { skip: noNetem !== false }, async () => {
    await network.shape(1, { latency: 200, jitter: 0, loss: 0 })
    const slow = await echo(network, 'here', network.nodes[1].ip)
    assert.ok(typeof slow === 'number' && slow >= 790, `${slow} ms`)
    await network.shape(1, { latency: 0, jitter: 0, loss: 0 })
    const fast = await echo(network, 'here', network.nodes[1].ip)
    // back to unshaped: faster than while slowed, by at least half the 800 ms taken away
    assert.ok(typeof fast === 'number' && typeof slow === 'number' && fast < slow - 400, `${fast} ms against ${slow} ms`)
  })

  it('refuses a second network of the same prefix, and leaves the first as it was', async () => {
    await assert.rejects(NetnsNetwork.create(network.prefix, 2, { latency: 0, jitter: 0, loss: 0 }), /exists already/)
    assert.equal(typeof await echo(network, 'here', network.nodes[1].ip), 'number')
  })
})

describe('netns network with limited bandwidth', { skip: skip !== false }, () => {
  let network: NetnsNetwork
  let server: ReturnType<typeof spawn>

  beforeAll(async () => {
    // 8 Mbit/s: a megabyte takes a second on node 1's port
    network = await NetnsNetwork.create(`omb${process.pid % 1000}`, 2, { latency: 0, jitter: 0, loss: 0 }, 8_000_000)
    const [cmd, ...args] = network.exec(1, [process.execPath, '-e', `require('net').createServer(s=>{let n=0;s.on('data',d=>{n+=d.length;if(n>=1e6)s.end('done')})}).listen(7002,'${network.nodes[1].ip}',()=>console.log('up'))`])
    server = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] })
    await new Promise<void>((resolve, reject) => {
      server.stdout?.once('data', () => { resolve() })
      server.once('exit', code => { reject(new Error(`sink exited with ${code}`)) })
    })
  })

  afterAll(async () => {
    server?.kill()
    await new Promise(resolve => setTimeout(resolve, 200))
    await network?.destroy()
  })

  it('carries a node\'s traffic at the bandwidth of its port', async () => {
    const script = `const net=require('net');const t=performance.now();const s=net.connect(7002,'${network.nodes[1].ip}',()=>s.write(Buffer.alloc(1e6)));` +
      "s.on('data',()=>{console.log(Math.round(performance.now()-t));process.exit(0)});s.on('error',e=>{console.log(e.code);process.exit(0)});setTimeout(()=>{console.log('TIMEOUT');process.exit(0)},20000)"
    const { stdout } = await run(process.execPath, ['-e', script])
    const ms = Number(stdout.trim())
    assert.ok(ms >= 800 && ms < 20_000, stdout)
  })
})
