import { execFile, execFileSync, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import type { LinkShape } from './links.js'

const run = promisify(execFile)

/** Namespace names: a prefix of 1 to 8 lower-case letters and digits, then the role */
const PREFIX = /^[a-z0-9]{1,8}$/
/** The network's addresses: 10.88.0.0/16, node i at 10.88.((i + 1) >> 8).((i + 1) & 255), the simulator's port at .255.254 */
const NET = '10.88'
const CONTROL_IP = `${NET}.255.254`

export interface NetnsNode {
  /** The node's network namespace */
  ns: string
  /** Its address on the mesh's switch */
  ip: string
}

/** The simulator's own port on the switch, in the namespace it runs in */
export interface ControlPort {
  /** The interface's name */
  dev: string
  ip: string
}

/**
 * A switched network of Linux network namespaces for a simulated mesh: one
 * namespace per node, each on a bridge in a switch namespace, and one port
 * of the switch in the simulator's own namespace, so it reaches every
 * node's API (10.88.0.0/16 is routed to that port until the network is
 * destroyed). Links are shaped with `tc netem` on both ends of each node's
 * port, and partitions are `prohibit` routes inside the nodes' namespaces.
 * Needs root and iproute2.
 */
export class NetnsNetwork {
  readonly prefix: string
  readonly nodes: NetnsNode[]
  readonly control: ControlPort
  private readonly switchNs: string
  /** Routes a partition added, by node, to remove on heal */
  private prohibited: string[][] = []
  /** What each node's port carries each way, bits per second (0: no limit) */
  private readonly bandwidth: number

  private constructor (prefix: string, count: number, bandwidth: number) {
    this.prefix = prefix
    this.bandwidth = bandwidth
    this.switchNs = `${prefix}sw`
    this.nodes = Array.from({ length: count }, (_, i) => ({ ns: `${prefix}n${i}`, ip: nodeIp(i) }))
    this.control = { dev: `${prefix}ctl`, ip: CONTROL_IP }
  }

  /**
   * Builds the network: the switch, the simulator's port and `count` node
   * namespaces, every node's port shaped as `shape` says and carrying at
   * most `bandwidth` bits per second each way (0: no limit)
   *
   * @throws {Error} when a namespace of this prefix exists already, or a command fails (the part built is removed)
   */
  static async create (prefix: string, count: number, shape: LinkShape, bandwidth = 0): Promise<NetnsNetwork> {
    if (!PREFIX.test(prefix)) throw new Error(`a network prefix is 1 to 8 lower-case letters and digits, not ${JSON.stringify(prefix)}`)
    if (count < 1 || count > 65_000) throw new Error(`a netns network has 1 to 65000 nodes, not ${count}`)
    const network = new NetnsNetwork(prefix, count, bandwidth)
    const existing = await namespaces()
    const clash = [network.switchNs, ...network.nodes.map(n => n.ns)].find(ns => existing.has(ns))
    if (clash != null) throw new Error(`the network namespace ${clash} exists already: another simulation runs, or one was interrupted (ip netns del ${clash})`)
    const { stdout: routes } = await run('ip', ['route', 'show', 'match', `${NET}.0.0/16`])
    const taken = routes.split('\n').find(line => line.includes(`${NET}.`))
    if (taken != null) throw new Error(`this machine routes ${NET}.0.0/16 already (${taken.trim()}): a netns network needs that range for itself`)
    try {
      await ip('netns', 'add', network.switchNs)
      await ip('-n', network.switchNs, 'link', 'add', 'br0', 'type', 'bridge')
      await ip('-n', network.switchNs, 'link', 'set', 'br0', 'up')
      await ip('-n', network.switchNs, 'link', 'set', 'lo', 'up')
      // the simulator's port: one end here, the other on the switch
      await ip('link', 'add', network.control.dev, 'type', 'veth', 'peer', 'name', 'vctl', 'netns', network.switchNs)
      await ip('-n', network.switchNs, 'link', 'set', 'vctl', 'master', 'br0', 'up')
      await ip('addr', 'add', `${network.control.ip}/16`, 'dev', network.control.dev)
      await ip('link', 'set', network.control.dev, 'up')
      for (const [i, node] of network.nodes.entries()) {
        await network.attach(node, `v${i}`)
        if (bandwidth > 0 || shape.latency > 0 || shape.jitter > 0 || shape.loss > 0) await network.shape(i, shape)
      }
      network.prohibited = network.nodes.map(() => [])
      return network
    } catch (err) {
      await network.destroy()
      throw err
    }
  }

  /** A namespace with a port on the switch, its address and loopback up */
  private async attach (node: NetnsNode, port: string): Promise<void> {
    await ip('netns', 'add', node.ns)
    await ip('-n', this.switchNs, 'link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', node.ns)
    await ip('-n', this.switchNs, 'link', 'set', port, 'master', 'br0', 'up')
    await ip('-n', node.ns, 'addr', 'add', `${node.ip}/16`, 'dev', 'eth0')
    await ip('-n', node.ns, 'link', 'set', 'eth0', 'up')
    await ip('-n', node.ns, 'link', 'set', 'lo', 'up')
  }

  /**
   * Shapes node `index`'s port: `shape` on what it sends (its eth0) and on
   * what it receives (its switch port). A packet between two nodes crosses
   * both their ports: a link pays the shapes of its two ends.
   */
  async shape (index: number, shape: LinkShape): Promise<void> {
    await qdisc(this.nodes[index].ns, 'eth0', shape, this.bandwidth)
    await qdisc(this.switchNs, `v${index}`, shape, this.bandwidth)
  }

  /** Groups of node indexes that reach each other and nobody else; nodes in no group are cut off from all */
  async partition (groups: number[][]): Promise<void> {
    await this.heal()
    const groupOf = new Map<number, number>()
    groups.forEach((group, g) => { for (const index of group) groupOf.set(index, g) })
    for (const [i, node] of this.nodes.entries()) {
      const apart = this.nodes.filter((_, j) => j !== i && (groupOf.get(i) == null || groupOf.get(i) !== groupOf.get(j))).map(other => `${other.ip}/32`)
      await ipBatch(node.ns, apart.map(route => `route add prohibit ${route}`))
      this.prohibited[i] = apart
    }
  }

  /** Ends the partition */
  async heal (): Promise<void> {
    for (const [i, routes] of this.prohibited.entries()) {
      if (routes.length > 0) await ipBatch(this.nodes[i].ns, routes.map(route => `route del prohibit ${route}`)).catch(() => {})
      this.prohibited[i] = []
    }
  }

  /** The command line that runs `command` inside node `index`'s namespace */
  exec (index: number, command: string[]): string[] {
    return ['ip', 'netns', 'exec', this.nodes[index].ns, ...command]
  }

  /** Removes every namespace of the network, and with the switch the simulator's port; their processes must have ended */
  async destroy (): Promise<void> {
    const existing = await namespaces().catch(() => new Set<string>())
    for (const ns of [...this.nodes.map(n => n.ns), this.switchNs]) {
      if (existing.has(ns)) await ip('netns', 'del', ns).catch(() => {})
    }
    await ip('link', 'del', this.control.dev).catch(() => {})
  }

  /** destroy(), for a process that is about to exit (Ctrl-C) */
  destroySync (): void {
    for (const ns of [...this.nodes.map(n => n.ns), this.switchNs]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
      } catch {}
    }
    try {
      execFileSync('ip', ['link', 'del', this.control.dev], { stdio: 'ignore' })
    } catch {}
  }
}

/**
 * Why this machine cannot delay or drop packets in a netns network (its
 * kernel lacks the netem queueing discipline, as some VM kernels do), or
 * undefined when it can
 */
export async function netemUnavailable (): Promise<string | undefined> {
  const probe = `omnetem${process.pid % 10_000}`
  try {
    await ip('netns', 'add', probe)
    await run('tc', ['-n', probe, 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'])
    return undefined
  } catch (err: any) {
    return `tc netem is unavailable: ${String(err.stderr ?? err.message).trim().split('\n')[0]}`
  } finally {
    await ip('netns', 'del', probe).catch(() => {})
  }
}

/** Why this machine cannot build a netns network, or undefined when it can */
export async function netnsUnavailable (): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  for (const tool of [['ip', '-V'], ['tc', '-V']]) {
    try {
      await run(tool[0], tool.slice(1))
    } catch {
      return `${tool[0]} (iproute2) is not installed`
    }
  }
  const probe = `omprobe${process.pid % 10_000}`
  try {
    await ip('netns', 'add', probe)
    await ip('netns', 'del', probe)
  } catch (err: any) {
    return `cannot add a network namespace: ${String(err.message).trim()}`
  }
  return undefined
}

function nodeIp (index: number): string {
  const n = index + 1
  return `${NET}.${n >> 8}.${n & 255}`
}

/**
 * The queueing of a port: netem for latency, jitter and loss, tbf for
 * bandwidth (under netem when there are both), nothing when neither
 */
async function qdisc (ns: string, dev: string, shape: LinkShape, bandwidth: number): Promise<void> {
  const tc = async (...args: string[]): Promise<void> => {
    try {
      await run('tc', ['-n', ns, 'qdisc', ...args])
    } catch (err: any) {
      throw new Error(`tc -n ${ns} qdisc ${args.join(' ')} failed: ${String(err.stderr ?? err.message).trim()}`, { cause: err })
    }
  }
  // a queue of up to 2 s at the rate, and bursts of 10 ms (at least a full frame)
  const tbf = ['tbf', 'rate', `${Math.round(bandwidth)}bit`, 'burst', String(Math.max(1_600, Math.round(bandwidth / 8 / 100))), 'latency', '2s']
  const shaped = shape.latency > 0 || shape.jitter > 0 || shape.loss > 0
  if (!shaped) {
    if (bandwidth > 0) await tc('replace', 'dev', dev, 'root', ...tbf)
    else await run('tc', ['-n', ns, 'qdisc', 'del', 'dev', dev, 'root']).catch(() => {})
    return
  }
  const netem = ['netem', 'delay', `${shape.latency}ms`]
  if (shape.jitter > 0) netem.push(`${shape.jitter}ms`)
  if (shape.loss > 0) netem.push('loss', `${(shape.loss * 100).toFixed(3)}%`)
  // netem's default queue (1000 packets) drops bursts of a busy node: a longer one only delays them
  netem.push('limit', '100000')
  await tc('replace', 'dev', dev, 'root', 'handle', '1:', ...netem)
  if (bandwidth > 0) await tc('replace', 'dev', dev, 'parent', '1:1', 'handle', '10:', ...tbf)
}

async function ip (...args: string[]): Promise<void> {
  try {
    await run('ip', args)
  } catch (err: any) {
    throw new Error(`ip ${args.join(' ')} failed: ${String(err.stderr ?? err.message).trim()}`, { cause: err })
  }
}

/** Several `ip` commands in one namespace, in one process (`ip -batch`) */
async function ipBatch (ns: string, lines: string[]): Promise<void> {
  if (lines.length === 0) return
  await new Promise<void>((resolve, reject) => {
    const child = spawn('ip', ['-n', ns, '-batch', '-'], { stdio: ['pipe', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.once('error', reject)
    child.once('exit', code => {
      if (code === 0) resolve()
      else reject(new Error(`ip -n ${ns} -batch failed: ${stderr.trim()}`))
    })
    child.stdin.end(lines.join('\n') + '\n')
  })
}

async function namespaces (): Promise<Set<string>> {
  const { stdout } = await run('ip', ['netns', 'list'])
  return new Set(stdout.split('\n').map(line => line.split(' ')[0]).filter(name => name !== ''))
}
