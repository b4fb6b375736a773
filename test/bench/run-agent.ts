// Round trip of a run: run_agent (echo agent) against a bare libp2p stream
// echo and a raw TCP echo, measured in the same run, over a direct, a
// relayed and a hole-punched (WebRTC, signalled through the relay) connection.
//
//   node test/dist/bench/run-agent.js [--quick] [--requests N] [--parallel N]
import { createServer, connect } from 'node:net'
import { parseArgs } from 'node:util'
import { lpStream } from '@libp2p/utils'
import { connectionKind } from '@overmind/node'
import { agents } from '../src/agents.js'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { waitFor } from '../src/wait.js'
import { chart, fmt, percentile, table } from './report.js'
import type { Connection } from '@libp2p/interface'
import type { OvermindNode } from '@overmind/node'
import type { Socket } from 'node:net'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    requests: { type: 'string' },
    parallel: { type: 'string', default: '16' }
  }
})
const REQUESTS = Number(values.requests ?? (values.quick ? 200 : 2_000))
const PARALLEL = Number(values.parallel)
const ECHO = '/bench/echo/1.0.0'
const PAYLOAD = new TextEncoder().encode('ping from the caller')

interface Figures { p50: number, p99: number, perSecond: number }

/** p50/p99 of one request at a time, then requests per second with PARALLEL in flight */
async function measure (once: () => Promise<void>): Promise<Figures> {
  for (let i = 0; i < Math.min(50, REQUESTS / 10); i++) await once()
  const times: number[] = []
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now()
    await once()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  let left = REQUESTS
  const t0 = performance.now()
  await Promise.all(Array.from({ length: PARALLEL }, async () => {
    while (left-- > 0) await once()
  }))
  return { p50: percentile(times, 50), p99: percentile(times, 99), perSecond: REQUESTS / ((performance.now() - t0) / 1000) }
}

/** What went wrong, readably: a WebRTC data channel fails with an Event, not an Error */
function reason (err: any): string {
  if (typeof Event !== 'undefined' && err instanceof Event) return `a ${err.type} event from ${String((err.target as any)?.constructor?.name ?? 'an event target')}${(err as any).error != null ? `: ${String((err as any).error.message ?? (err as any).error)}` : ''}`
  return String(err?.message ?? err)
}

function serveEcho (node: OvermindNode): void {
  void node.libp2p.handle(ECHO, async (stream) => {
    const lp = lpStream(stream)
    const msg = await lp.read()
    await lp.write(msg.subarray())
    await stream.close()
  }, { runOnLimitedConnection: true, maxInboundStreams: 1024 })
}

function streamEcho (connection: () => Connection): () => Promise<void> {
  return async () => {
    const stream = await connection().newStream(ECHO, { runOnLimitedConnection: true, maxOutboundStreams: 1024 })
    const lp = lpStream(stream)
    await lp.write(PAYLOAD)
    await lp.read()
    await stream.close()
  }
}

function runEcho (from: OvermindNode, host: string): () => Promise<void> {
  return async () => {
    await from.libp2p.services.runAgent.run('echo', PAYLOAD, { node: host, deadline: 10_000 })
  }
}

/** A TCP echo server and one client socket; requests on it are one at a time per socket */
async function tcpEcho (): Promise<{ once: () => Promise<void>, close: () => void }> {
  const server = createServer(socket => { socket.pipe(socket) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const pool: Socket[] = []
  const sockets: Socket[] = []
  const take = async (): Promise<Socket> => {
    const free = pool.pop()
    if (free != null) return free
    const s = connect(port, '127.0.0.1')
    s.setNoDelay(true)
    await new Promise(resolve => s.once('connect', resolve))
    sockets.push(s)
    return s
  }
  return {
    once: async () => {
      const s = await take()
      const got = new Promise(resolve => s.once('data', resolve))
      s.write(PAYLOAD)
      await got
      pool.push(s)
    },
    close: () => {
      sockets.forEach(s => s.destroy())
      server.close()
    }
  }
}

async function main (): Promise<void> {
  const psk = meshKey()
  const echoAgent = (c: any): void => { c.agents = agents([{ name: 'echo', runner: 'builtin', concurrency: 64 }]); c.runs.maxQueue = 1024; c.runs.maxQueuePerCaller = 1024 }
  process.stderr.write(`run-agent bench: ${REQUESTS} requests each, ${PARALLEL} in flight for throughput\n`)

  // direct: A → B on one TCP connection
  const b = await startTestNode({ psk, config: echoAgent })
  const a = await startTestNode({ psk, bootstrap: [tcpAddress(b)] })
  serveEcho(b)
  await waitFor(() => a.libp2p.getConnections(b.libp2p.peerId).length > 0, { timeout: 10_000 })
  const direct = (): Connection => a.libp2p.getConnections(b.libp2p.peerId)[0]
  const tcp = await tcpEcho()
  const rows: Array<[string, Figures]> = []
  /** Measures one path into its row, naming the path when it fails */
  const measureRow = async (path: string, once: () => Promise<void>): Promise<void> => {
    try {
      rows.push([path, await measure(once)])
    } catch (err: any) {
      throw new Error(`${path}: ${reason(err)}`, { cause: err })
    }
  }
  await measureRow('raw TCP echo', tcp.once)
  await measureRow('libp2p stream echo', streamEcho(direct))
  await measureRow('run_agent echo', runEcho(a, b.peerId))
  tcp.close()
  await Promise.all([a.stop(), b.stop()])

  // relayed: A' → R → B', direct dials between A' and B' refused
  const relay = await startTestNode({ psk, config: c => { c.nat.role = 'relay'; c.nat.holePunch = false } })
  const ids: string[] = []
  const onlyRelayed = { denyDialMultiaddr: (ma: any) => !String(ma).includes('/p2p-circuit') && ids.includes(ma.getComponents().findLast((x: any) => x.name === 'p2p')?.value) }
  const home = async (extra?: (c: any) => void, webrtc = false): Promise<OvermindNode> => await startTestNode({
    psk,
    bootstrap: [tcpAddress(relay)],
    libp2p: { connectionGater: onlyRelayed },
    config: c => { c.nat.role = 'private'; c.nat.relays = [tcpAddress(relay)]; c.nat.holePunch = false; c.nat.webrtc = webrtc; c.nat.webrtcTimeout = 30_000; extra?.(c) }
  })
  const rb = await home(echoAgent)
  const ra = await home()
  ids.push(ra.peerId, rb.peerId)
  serveEcho(rb)
  await waitFor(() => rb.addresses().some(x => x.includes('/p2p-circuit')), { timeout: 15_000 })
  const circuit = rb.addresses().find(x => x.includes('/p2p-circuit'))!
  const { multiaddr } = await import('@multiformats/multiaddr')
  await ra.libp2p.dial(multiaddr(circuit))
  const relayed = (): Connection => ra.libp2p.getConnections(rb.libp2p.peerId)[0]
  if (!relayed().remoteAddr.toString().includes('/p2p-circuit')) throw new Error('the A\'→B\' connection is not relayed')
  await measureRow('libp2p stream echo, relayed', streamEcho(relayed))
  await measureRow('run_agent echo, relayed', runEcho(ra, rb.peerId))
  await Promise.all([ra.stop(), rb.stop()])

  // hole-punched: A'' → B'' over WebRTC, signalled through R (on one machine ICE finds host candidates)
  const pb = await home(echoAgent, true)
  const pa = await home(undefined, true)
  ids.push(pa.peerId, pb.peerId)
  serveEcho(pb)
  await waitFor(() => pb.addresses().some(x => x.includes('/p2p-circuit')), { timeout: 15_000 })
  await pa.libp2p.dial(multiaddr(pb.addresses().find(x => x.includes('/p2p-circuit'))!))
  const punched = (): Connection | undefined => pa.libp2p.getConnections(pb.libp2p.peerId).find(c => c.status === 'open' && connectionKind(c) === 'hole-punched')
  // a punch may fail on a busy machine (both ends' peer connections close as the first ICE
  // candidates arrive, and the dial waits out its timeout): the next one comes 15 s later
  await waitFor(() => punched() != null && pa.libp2p.getConnections(pb.libp2p.peerId).length === 1, {
    timeout: 80_000,
    message: () => {
      const links = (from: OvermindNode, to: OvermindNode): string => from.libp2p.getConnections(to.libp2p.peerId).map(c => `${connectionKind(c)} ${c.direction} ${c.status}`).join(', ') || 'none'
      return `A'' to hole-punch a WebRTC link to B'' and keep it alone (A'': ${links(pa, pb)}; B'': ${links(pb, pa)})`
    }
  })
  await measureRow('libp2p stream echo, hole-punched', streamEcho(() => punched()!))
  await measureRow('run_agent echo, hole-punched', runEcho(pa, pb.peerId))
  await Promise.all([pa.stop(), pb.stop(), relay.stop()])

  const base = rows[1][1]
  table('Echo round trip (one request at a time) and throughput', ['path', 'p50 ms', 'p99 ms', 'req/s', 'p50 vs libp2p stream'],
    rows.map(([name, f]) => [name, f.p50.toFixed(3), f.p99.toFixed(3), fmt(f.perSecond), `${(f.p50 / base.p50).toFixed(2)}×`]))
  chart('p50 round trip, ms', rows.map(([name, f]) => [name, f.p50]), 'ms')
  chart(`requests per second, ${PARALLEL} in flight`, rows.map(([name, f]) => [name, f.perSecond]), 'req/s')
  const run = rows[2][1]
  const viaRelay = rows[4][1]
  const viaWebRTC = rows[6][1]
  process.stdout.write(`run_agent adds ${(run.p50 - base.p50).toFixed(3)} ms at p50 over a bare stream (${(run.p50 / base.p50).toFixed(2)}×); the relay adds ${(viaRelay.p50 - run.p50).toFixed(3)} ms to a run, a hole-punched link ${(viaWebRTC.p50 - run.p50).toFixed(3)} ms; relayed / hole-punched run p50 ${(viaRelay.p50 / viaWebRTC.p50).toFixed(2)}×\n`)
}

main().then(() => { process.exit(0) }, err => {
  process.stderr.write(`${err.stack ?? err}\n`)
  process.exit(1)
})
