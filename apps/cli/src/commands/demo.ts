import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Command } from 'commander'
import { ApiClient, CONFIG_FILE } from '@overmind/node/client'
import { clockTime, paint, rtt, shortId, status as paintStatus, table } from '../format.js'
import { parseDurationArg, parsePositiveInt } from '../options.js'
import { DEMO_AGENT, Mission } from './demo-mission.js'
import type { NodeStatus, PeerReport } from '@overmind/node/client'
import type { ChildProcess } from 'node:child_process'

interface DemoOptions {
  nodes: number
  duration?: number
  interval: number
  dir?: string
  keep?: boolean
}

interface DemoNode {
  name: string
  role: 'relay' | 'public' | 'private'
  /** Hosts the demo agent */
  host: boolean
  /** Killed on purpose by the mission */
  killed?: boolean
  kill(): void
  dataDir: string
  logFile: string
  child: ChildProcess
  exit?: { code: number | null, signal: NodeJS.Signals | null }
  client?: ApiClient
  status?: NodeStatus
  peers?: PeerReport[]
}

/** Without a terminal to watch, the demo stops by itself after this long */
const UNATTENDED_DURATION = 30_000
const REFRESH = 500
/** Without a terminal, the tables are printed every this many refreshes */
const UNATTENDED_TABLE_EVERY = 10
const MAX_EVENTS = 12
/** The CLI that runs the demo starts its nodes: the bundle, or the compiled bin.js */
const BIN = process.argv[1] ?? fileURLToPath(new URL('../bin.js', import.meta.url))

export function demoCommand (): Command {
  return new Command('demo')
    .description('start a local mesh, one OS process per node (a relay, public nodes, one behind the relay), and watch it work: discovery, federated memory, remote runs, a host killed and its run re-routed')
    .option('-n, --nodes <count>', 'number of nodes', parsePositiveInt, 5)
    .option('--duration <time>', `stop this long after every node has started, e.g. 60s or 5m (default: until Ctrl-C in a terminal, ${UNATTENDED_DURATION / 1000}s otherwise)`, parseDurationArg)
    .option('--interval <time>', 'heartbeat interval of the demo nodes', parseDurationArg, 1_000)
    .option('--dir <dir>', 'keep the nodes\' data dirs and logs here (default: a temporary folder, removed at the end)')
    .option('--keep', 'keep the temporary folder with data dirs and logs')
    .addHelpText('after', `
Each node is a separate \`overmind start\` process on loopback, with its own
data dir and a shared mesh key, bootstrapped only with n1. n1 is a circuit
relay; the last node is private: it listens only through the relay (it holds
a reservation there). n2 and the private node host the agent "shout" (tr
a-z A-Z, run for each request). Once the mesh forms, the demo writes a
chunk on n2 and searches for it on every other node, runs a federated
search from the private node, runs "shout" from another node, kills the
host that answered and runs it again: the mesh routes it to the other host.
The screen refreshes twice a second: one row per node (role, connections,
DHT routing table, peers by status, beats, memory chunks), a matrix of how
each node found each other node with the round-trip time and the link,
the mission's steps and recent events. Memory uses the hash embedder here.

Examples:
  $ overmind demo
  $ overmind demo --nodes 8 --duration 2m --interval 2s`)
    .action(async (opts: DemoOptions) => {
      await runDemo(opts)
    })
}

async function runDemo (opts: DemoOptions): Promise<void> {
  const out = process.stdout
  const tty = out.isTTY === true
  const duration = opts.duration ?? (tty && process.stdin.isTTY === true ? undefined : UNATTENDED_DURATION)
  const baseDir = opts.dir != null ? resolve(opts.dir) : await mkdtemp(join(tmpdir(), 'overmind-demo-'))
  await mkdir(baseDir, { recursive: true })
  const mesh = `demo-${randomBytes(2).toString('hex')}`
  const nodes: DemoNode[] = []
  const events: string[] = []
  const started = Date.now()
  const event = (node: string, text: string): void => {
    const line = `${clockTime(Date.now() - started)}  ${node.padEnd(4)} ${text}`
    events.push(line)
    if (events.length > MAX_EVENTS) events.shift()
    if (!tty) out.write(line + '\n')
  }

  let stopping = false
  let interrupted = false
  let mission: Mission | undefined
  let wake: () => void = () => {}
  const onSignal = (): void => {
    stopping = true
    interrupted = true
    wake()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)

  try {
    out.write(`starting ${opts.nodes} nodes of mesh ${mesh} in ${baseDir}\n`)
    const launch = async (i: number): Promise<void> => {
      const name = `n${i}`
      const dataDir = join(baseDir, name)
      // n1 relays; with 3 nodes or more the last one is behind it; n2 and that one host the agent
      const role = i === 1 ? 'relay' : i === opts.nodes && opts.nodes >= 3 ? 'private' : 'public'
      const host = i === 2 || role === 'private'
      const { initDataDir } = await import('@overmind/node/data-dir')
      await initDataDir(dataDir, { mesh, meshKeyFile: i === 1 ? undefined : join(baseDir, 'n1', 'mesh.key'), name })
      const bootstrap = i === 1 ? [] : [bootstrapAddress(nodes[0])]
      await tuneConfig(dataDir, opts.interval, { role, host, relay: bootstrap[0] })
      const node = spawnNode(name, dataDir, bootstrap, role)
      node.role = role
      node.host = host
      nodes[i - 1] = node
      node.child.once('exit', (code, signal) => {
        node.exit = { code, signal }
        if (!stopping && node.killed !== true) event(name, paint('red', `exited unexpectedly (${signal ?? `code ${code}`}); see ${node.logFile}`))
      })
      node.client = await waitForApi(node, () => stopping)
      node.status = await node.client.get<NodeStatus>('/v1/status')
      event(name, `started ${shortId(node.status.peerId, 12)} as ${role}${host ? `, hosts "${DEMO_AGENT.name}"` : ''}${i === 1 ? '' : ', bootstrap: n1 only'}`)
      if (i === 1) {
        const token = (await readFile(join(dataDir, 'api.token'), 'utf8')).trim()
        event(name, `live mesh page: ${paint('cyan', `${node.client.url}/?token=${token}`)}`)
      }
    }
    // node 1 first, for its address; then all the others at once
    await launch(1)
    if (!stopping) {
      await Promise.all(Array.from({ length: opts.nodes - 1 }, async (_, i) => launch(i + 2)))
    }

    // the mesh runs for --duration once every node is up: starting processes can take seconds on a busy machine
    const running = Date.now()
    const seen = new Map<string, { via?: string, status?: string }>()
    const names = (): Map<string, string> => new Map(nodes.filter(n => n.status != null).map(n => [n.status!.peerId, n.name]))
    if (opts.nodes >= 3 && !stopping) {
      mission = new Mission(nodes, event)
      void mission.run(() => stopping)
    } else if (!stopping) {
      event('demo', 'the mission (memory, runs, a killed host) needs 3 nodes or more: showing discovery only')
    }
    // the demo runs for --duration, and at least until the mission has done every step
    for (let frame = 0; !stopping && (duration == null || Date.now() - running < duration || (mission != null && !mission.done)); frame++) {
      await Promise.all(nodes.map(async n => {
        if (n.client == null || n.exit != null) return
        try {
          n.status = await n.client.get<NodeStatus>('/v1/status')
          n.peers = await n.client.get<PeerReport[]>('/v1/peers')
        } catch {}
      }))
      noteChanges(nodes, names(), seen, event)
      if (tty) {
        out.write('\x1b[?25l\x1b[H\x1b[2J' + render(nodes, names(), events, mission, { mesh, interval: opts.interval, started: running, duration }) + '\n')
      } else if (frame % UNATTENDED_TABLE_EVERY === 0) {
        out.write(renderTables(nodes, names()) + '\n')
      }
      await new Promise<void>(resolve => {
        wake = resolve
        setTimeout(resolve, REFRESH)
      })
    }
  } finally {
    // a failed start can leave gaps where nodes were never spawned
    nodes.splice(0, nodes.length, ...nodes.filter(n => n != null))
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    if (tty) out.write('\x1b[?25h')
    stopping = true
    out.write(renderTables(nodes, new Map(nodes.filter(n => n.status != null).map(n => [n.status!.peerId, n.name]))) + '\n')
    if (mission != null) out.write(`\n${paint('bold', 'Mission')}\n${mission.render()}\n\n`)
    const stopped = nodes.filter(n => n.killed !== true)
    out.write(`stopping ${stopped.length} nodes…\n`)
    const clean = await stopAll(nodes)
    out.write(clean ? `all ${stopped.length} nodes stopped cleanly\n` : paint('red', 'some nodes did not stop cleanly: see their logs\n'))
    if (opts.dir == null && opts.keep !== true && clean) {
      await rm(baseDir, { recursive: true, force: true })
    } else {
      out.write(`data dirs and logs: ${baseDir}\n`)
    }
    if (!clean || (mission != null && !mission.ok && !interrupted)) process.exitCode = 1
  }
}

/** Demo nodes beat faster than the default so changes show within seconds; each gets its role */
async function tuneConfig (dataDir: string, interval: number, part: { role: DemoNode['role'], host: boolean, relay?: string }): Promise<void> {
  const { updateConfigFile } = await import('@overmind/config')
  await updateConfigFile(join(dataDir, CONFIG_FILE), {
    'heartbeat.interval': `${interval}ms`,
    'dht.querySelfInterval': '5s',
    'discovery.rejoinInterval': '2s',
    'memory.embedder': 'hash',
    'nat.role': part.role,
    'nat.holePunch': false,
    // the relay's STUN server on any free port: members learn it from heartbeats
    'nat.stunPort': 0,
    // the node behind the relay listens only there: others reach it through n1
    ...(part.role === 'private' ? { listen: [], 'nat.relays': [part.relay] } : {}),
    ...(part.host ? { agents: [DEMO_AGENT] } : {})
  })
}

function spawnNode (name: string, dataDir: string, bootstrap: string[], role: DemoNode['role']): DemoNode {
  const logFile = join(dataDir, 'node.log')
  const log = createWriteStream(logFile)
  const listen = role === 'private' ? [] : ['--listen', '/ip4/127.0.0.1/tcp/0', '--listen', '/ip4/127.0.0.1/tcp/0/ws']
  const args = [BIN, 'start', '--data-dir', dataDir, ...listen, '--api-port', '0', '--no-mdns']
  for (const b of bootstrap) args.push('--bootstrap', b)
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, OVERMIND_DATA_DIR: undefined } })
  child.stdout?.pipe(log, { end: false })
  child.stderr?.pipe(log, { end: false })
  child.once('exit', () => { log.end() })
  const node: DemoNode = {
    name,
    role,
    host: false,
    dataDir,
    logFile,
    child,
    kill: () => {
      node.killed = true
      child.kill('SIGKILL')
    }
  }
  return node
}

function bootstrapAddress (node: DemoNode): string {
  const addr = node.status?.addresses.find(a => a.includes('/tcp/') && !a.includes('/ws'))
  if (addr == null) throw new Error('node 1 has no TCP address to bootstrap from')
  return addr
}

async function waitForApi (node: DemoNode, cancelled: () => boolean): Promise<ApiClient> {
  const deadline = Date.now() + 30_000
  let last: any
  while (Date.now() < deadline && !cancelled()) {
    if (node.exit != null) {
      throw new Error(`${node.name} exited during start (${node.exit.signal ?? `code ${node.exit.code}`}): see ${node.logFile}\n${await readFile(node.logFile, 'utf8').catch(() => '')}`)
    }
    try {
      const client = await ApiClient.forDataDir(node.dataDir)
      await client.get('/v1/status')
      return client
    } catch (err) {
      last = err
      await new Promise(resolve => setTimeout(resolve, 100))
    }
  }
  throw new Error(`${node.name} did not start its API: ${last?.message ?? 'cancelled'}`)
}

function noteChanges (nodes: DemoNode[], names: Map<string, string>, seen: Map<string, { via?: string, status?: string }>, event: (node: string, text: string) => void): void {
  for (const n of nodes) {
    for (const p of n.peers ?? []) {
      const key = `${n.name}>${p.peerId}`
      const before = seen.get(key) ?? {}
      const other = names.get(p.peerId) ?? shortId(p.peerId)
      if (p.discoveredVia != null && before.via == null) {
        const how = p.discoveredVia === 'dht' ? 'through the DHT' : p.discoveredVia === 'inbound' ? 'when it dialled in' : `through ${p.discoveredVia}`
        event(n.name, `found ${other} ${how}`)
      }
      if (before.status == null) {
        event(n.name, `first heartbeat from ${other} (${p.status})`)
      } else if (before.status !== p.status && (p.status === 'stale' || p.status === 'gone' || before.status === 'stale' || before.status === 'gone')) {
        event(n.name, `${other} is now ${paintStatus(p.status)}`)
      }
      seen.set(key, { via: p.discoveredVia ?? before.via, status: p.status })
    }
  }
}

function render (nodes: DemoNode[], names: Map<string, string>, events: string[], mission: Mission | undefined, info: { mesh: string, interval: number, started: number, duration?: number }): string {
  const elapsed = clockTime(Date.now() - info.started)
  const title = paint('bold', 'Overmind mesh demo') +
    ` · mesh ${info.mesh} · ${nodes.length} nodes, one process each · heartbeat every ${info.interval / 1000}s · ` +
    `${elapsed}${info.duration != null ? ` of ${clockTime(info.duration)}` : ''} · Ctrl-C stops`
  const page = nodes.find(n => n.client != null)
  return [
    title,
    ...(page != null ? [paint('gray', `live mesh page of n1: ${page.client!.url}/ (the token link is in the events)`)] : []),
    '',
    renderTables(nodes, names),
    ...(mission != null ? ['', paint('bold', 'Mission'), mission.render()] : []),
    '',
    paint('bold', 'Events'),
    ...events
  ].join('\n')
}

function renderTables (nodes: DemoNode[], names: Map<string, string>): string {
  const rows = nodes.map(n => {
    const s = n.status
    if (s == null || n.exit != null) return [n.name, n.role, n.exit != null ? paint('red', n.killed === true ? 'killed' : 'exited') : 'starting', '', '', '', '', '', '']
    return [
      n.name,
      n.role + (n.host ? ' · shout' : ''),
      shortId(s.peerId, 12),
      String(s.connectedPeers),
      String(s.dht.routingTable),
      (['connected', 'alive', 'stale', 'gone'] as const).map(k => s.peers[k]).join('/'),
      `${s.heartbeat.sent}/${s.heartbeat.received}`,
      String(Object.values(s.heartbeat.rejected).reduce((a, b) => a + (b ?? 0), 0)),
      String(Object.values(s.memory?.chunks ?? {}).reduce((a, b) => a + b, 0))
    ]
  })
  const nodeTable = table(['NODE', 'ROLE', 'PEER ID', 'CONNECTED', 'DHT TABLE', 'PEERS c/a/s/g', 'BEATS OUT/IN', 'REJECTED', 'CHUNKS'], rows)
  const header = ['FOUND ↓ BY →', ...nodes.map(n => n.name)]
  const matrix = nodes.map(target => [
    target.name,
    ...nodes.map(observer => {
      if (observer === target) return '·'
      if (observer.killed === true) return paint('gray', 'killed')
      const peer = observer.peers?.find(p => names.get(p.peerId) === target.name)
      if (peer == null) return paint('gray', 'unknown')
      const link = peer.connections.length === 0 ? '' : ` ${(['direct', 'hole-punched', 'relayed'] as const).find(kind => peer.connections.some(c => c.kind === kind)) ?? 'relayed'}`
      return `${paintStatus(peer.status)} ${peer.discoveredVia ?? '?'} ${rtt(peer.rtt)}${link}`
    })
  ])
  return [nodeTable, '', paint('bold', 'Peer tables') + ' (each column is one node\'s view: status, how it first found the row\'s node, RTT, link)', table(header, matrix)].join('\n')
}

async function stopAll (nodes: DemoNode[]): Promise<boolean> {
  const running = nodes.filter(n => n.exit == null)
  for (const n of running) n.child.kill('SIGTERM')
  await Promise.all(running.map(async n => {
    if (n.exit != null) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => { n.child.kill('SIGKILL'); resolve() }, 15_000)
      n.child.once('exit', () => { clearTimeout(timer); resolve() })
    })
  }))
  return nodes.every(n => n.killed === true || (n.exit != null && n.exit.code === 0))
}
