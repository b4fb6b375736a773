import type { ConnectionGater, PeerId } from '@libp2p/interface'
import type { OvermindConfig } from '@overmind/config'
import type { Scenario } from './scenario.js'

export type TopologySpec = Scenario['topology']

/** The part a node plays in reaching the others (config `nat.role`) */
export type NodeRole = Exclude<OvermindConfig['nat']['role'], 'auto'>

/** Which nodes of a scenario may connect, and how */
export interface MeshTopology {
  /** The role of each node, by index */
  roles: NodeRole[]
  /**
   * The links of a graph topology (k-regular, clusters), each `[a, b]` with
   * a < b, sorted: part of the schedule digest, since k-regular draws them
   * from the seed
   */
  edges?: Array<[number, number]>
  /** Whether nodes a and b may be connected at all, directly or through a relay */
  linked(a: number, b: number): boolean
  /** Whether `from` may open a direct connection to `to`: never to a home behind NAT */
  dialable(from: number, to: number): boolean
}

/** A problem with the topology for this many nodes, at a path under `topology` */
export interface TopologyIssue {
  path: PropertyKey[]
  message: string
}

/** How many times a k-regular graph is drawn again when a draw leaves the mesh in pieces */
const REGULAR_DRAWS = 20
/** Edge swaps per edge that shuffle a k-regular graph */
const SWAPS_PER_EDGE = 10

/**
 * What is wrong with a topology for `count` nodes: a degree the nodes cannot
 * all have, more clusters than nodes, more bridges than a cluster has
 * members, no node left to be a home
 */
export function topologyIssues (spec: TopologySpec, count: number): TopologyIssue[] {
  if (typeof spec === 'string') return []
  const issues: TopologyIssue[] = []
  if (spec.kind === 'k-regular') {
    if (spec.degree >= count) {
      issues.push({ path: ['degree'], message: `degree ${spec.degree} needs more than ${spec.degree} nodes; the scenario has ${count}` })
    } else if (spec.degree * count % 2 !== 0) {
      issues.push({ path: ['degree'], message: `no graph gives each of ${count} nodes ${spec.degree} links: degree × nodes must be even` })
    }
  } else if (spec.kind === 'clusters') {
    if (spec.clusters > count) {
      issues.push({ path: ['clusters'], message: `${spec.clusters} clusters need at least ${spec.clusters} nodes; the scenario has ${count}` })
    } else {
      const smallest = Math.floor(count / spec.clusters)
      if (spec.bridges > smallest) issues.push({ path: ['bridges'], message: `${spec.bridges} bridges between clusters, but the smallest cluster has ${smallest} ${smallest === 1 ? 'node' : 'nodes'}: at most ${smallest}` })
    }
  } else if (spec.relays + spec.public >= count) {
    issues.push({ path: ['relays'], message: `${spec.relays} relays and ${spec.public} public nodes leave no home among ${count} nodes` })
  }
  return issues
}

/**
 * The topology of `count` nodes. `next` is the seeded generator k-regular
 * draws its links from; the other kinds draw nothing.
 *
 * @throws {RangeError} for a topology `topologyIssues` refuses
 */
export function meshTopology (spec: TopologySpec, count: number, next: () => number): MeshTopology {
  const issue = topologyIssues(spec, count)[0]
  if (issue != null) throw new RangeError(`topology.${issue.path.join('.')}: ${issue.message}`)
  const roles = topologyRoles(spec, count)
  const anyone = (): boolean => true
  if (spec === 'full') return { roles, linked: anyone, dialable: anyone }
  if (spec === 'ring') {
    const linked = (a: number, b: number): boolean => Math.abs(a - b) === 1 || Math.abs(a - b) === count - 1
    return { roles, linked, dialable: linked }
  }
  if (spec === 'star') {
    const linked = (a: number, b: number): boolean => a === 0 || b === 0
    return { roles, linked, dialable: linked }
  }
  if (spec.kind === 'nat-homes') {
    return { roles, linked: anyone, dialable: (_from, to) => roles[to] !== 'private' }
  }
  const edges = spec.kind === 'k-regular' ? regularGraph(count, spec.degree, next) : clusterGraph(count, spec.clusters, spec.bridges)
  const keys = new Set(edges.map(([a, b]) => key(a, b)))
  const linked = (a: number, b: number): boolean => keys.has(key(a, b))
  return { roles, edges, linked, dialable: linked }
}

/** The role of each node: in nat-homes relays first, then public nodes, then homes; public everywhere else */
export function topologyRoles (spec: TopologySpec, count: number): NodeRole[] {
  if (typeof spec === 'string' || spec.kind !== 'nat-homes') return new Array(count).fill('public')
  return Array.from({ length: count }, (_, i): NodeRole => i < spec.relays ? 'relay' : i < spec.relays + spec.public ? 'public' : 'private')
}

/** A short description of a topology, for the report */
export function describeTopology (spec: TopologySpec): string {
  if (typeof spec === 'string') return spec
  if (spec.kind === 'k-regular') return `k-regular, degree ${spec.degree}`
  if (spec.kind === 'clusters') return `${spec.clusters} clusters, ${spec.bridges} ${spec.bridges === 1 ? 'bridge' : 'bridges'} between neighbours`
  return `nat-homes: ${spec.relays} ${spec.relays === 1 ? 'relay' : 'relays'}, ${spec.public} public, the rest homes behind NAT`
}

/**
 * Sets the role of a node in its config: a relay runs a circuit relay
 * server (with the config's limits), a home reserves a slot on the relays
 * given and listens on `/p2p-circuit`. The homes of a simulation sit on
 * one machine, where nothing stops UDP between them: WebRTC hole punching
 * would always succeed and make every link direct, so it is off (the NAT
 * lab tries it behind real NATs), and a relay's STUN server takes any free
 * port.
 */
export function applyRole (config: OvermindConfig, role: NodeRole, relays: string[]): void {
  config.nat.role = role
  config.nat.webrtc = false
  config.nat.stunPort = 0
  if (role === 'private') config.nat.relays = relays
}

const relayed = (address: { toString(): string }): boolean => address.toString().includes('/p2p-circuit')

/**
 * The connection gater of node `self`. It refuses peers the topology or a
 * partition keeps apart (`reachable`), and plays the NAT in front of every
 * home: a home accepts no direct connection, only relayed ones (their
 * remote address holds `/p2p-circuit`), and nobody dials a home's own
 * addresses. A home still dials relays and public nodes directly.
 */
export function topologyGater (self: number, roles: NodeRole[], indexOf: (peer: string) => number | undefined, reachable: (a: number, b: number) => boolean): ConnectionGater {
  const home = (index: number | undefined): boolean => index != null && roles[index] === 'private'
  const apart = (peer: PeerId): boolean => {
    const other = indexOf(peer.toString())
    return other != null && !reachable(self, other)
  }
  return {
    denyDialPeer: apart,
    denyDialMultiaddr: (ma) => !relayed(ma) && home(indexOf(ma.getComponents().findLast(c => c.name === 'p2p')?.value ?? '')),
    denyOutboundConnection: (peer, maConn) => !relayed(maConn.remoteAddr) && home(indexOf(peer.toString())),
    denyInboundConnection: (maConn) => home(self) && !relayed(maConn.remoteAddr),
    denyInboundEncryptedConnection: (peer, maConn) => apart(peer) || (home(self) && !relayed(maConn.remoteAddr))
  }
}

/** The links of the mesh at one moment, from the connections each node has open */
export interface LinkReport {
  /** Pairs of nodes with an open direct connection */
  direct: number
  /** Pairs of nodes with an open connection through a circuit relay */
  relayed: number
  /** Pairs of homes behind NAT with a direct connection: the NAT forbids them, so 0 */
  directBetweenHomes: number
  /** How many nodes play each role */
  roles: Record<NodeRole, number>
  /** Each node: its role, whether it was up, and how many peers it reached directly and through a relay */
  nodes: Array<{ node: number, role: NodeRole, up: boolean, direct: number, relayed: number }>
}

/** One open connection of a node: the peer's index (undefined: not a node of the scenario) and whether it goes through a relay */
export interface OpenConnection {
  peer: number | undefined
  relayed: boolean
}

/**
 * Counts links by kind from each node's open connections (`undefined` for a
 * node that is down). A pair is counted once, seen from either end.
 */
export function linkReport (roles: NodeRole[], connections: Array<OpenConnection[] | undefined>): LinkReport {
  const pairs = { direct: new Set<string>(), relayed: new Set<string>() }
  const nodes = roles.map((role, node) => {
    const open = connections[node]
    const peers = { direct: new Set<number>(), relayed: new Set<number>() }
    for (const c of open ?? []) {
      if (c.peer == null || c.peer === node) continue
      const kind = c.relayed ? 'relayed' : 'direct'
      peers[kind].add(c.peer)
      pairs[kind].add(key(node, c.peer))
    }
    return { node, role, up: open != null, direct: peers.direct.size, relayed: peers.relayed.size }
  })
  const count: Record<NodeRole, number> = { relay: 0, public: 0, private: 0 }
  for (const role of roles) count[role]++
  const directBetweenHomes = [...pairs.direct].filter(pair => pair.split('-').every(i => roles[Number(i)] === 'private')).length
  return { direct: pairs.direct.size, relayed: pairs.relayed.size, directBetweenHomes, roles: count, nodes }
}

function key (a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`
}

/**
 * A connected graph where each of `n` nodes has `k` links, drawn with
 * `next`: for k = 2 a ring in a random order; otherwise a ring lattice
 * whose links are shuffled by degree-keeping swaps, drawn again (up to
 * REGULAR_DRAWS times, then the lattice itself) while it is in pieces
 */
function regularGraph (n: number, k: number, next: () => number): Array<[number, number]> {
  if (k === 2) {
    const order = Array.from({ length: n }, (_, i) => i)
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1))
      ;[order[i], order[j]] = [order[j], order[i]]
    }
    return sorted(order.map((a, i) => [a, order[(i + 1) % n]]))
  }
  for (let draw = 0; draw < REGULAR_DRAWS; draw++) {
    const edges = swapped(lattice(n, k), next)
    if (connected(n, edges)) return sorted(edges)
  }
  return sorted(lattice(n, k))
}

/** Each node linked to its k/2 nearest on either side, and to the opposite node when k is odd */
function lattice (n: number, k: number): Array<[number, number]> {
  const edges: Array<[number, number]> = []
  for (let d = 1; d <= Math.floor(k / 2); d++) {
    for (let i = 0; i < n; i++) edges.push([i, (i + d) % n])
  }
  if (k % 2 === 1) {
    for (let i = 0; i < n / 2; i++) edges.push([i, i + n / 2])
  }
  return edges
}

/** Swaps the ends of random pairs of links, keeping every degree and never making a loop or a double link */
function swapped (edges: Array<[number, number]>, next: () => number): Array<[number, number]> {
  const keys = new Set(edges.map(([a, b]) => key(a, b)))
  for (let attempt = 0; attempt < SWAPS_PER_EDGE * edges.length; attempt++) {
    const i = Math.floor(next() * edges.length)
    const j = Math.floor(next() * edges.length)
    const [a, b] = edges[i]
    const [c, d] = edges[j]
    const [x, y]: Array<[number, number]> = next() < 0.5 ? [[a, d], [c, b]] : [[a, c], [b, d]]
    if (i === j || x[0] === x[1] || y[0] === y[1] || keys.has(key(...x)) || keys.has(key(...y)) || key(...x) === key(...y)) continue
    keys.delete(key(a, b))
    keys.delete(key(c, d))
    keys.add(key(...x))
    keys.add(key(...y))
    edges[i] = x
    edges[j] = y
  }
  return edges
}

function connected (n: number, edges: Array<[number, number]>): boolean {
  const neighbours: number[][] = Array.from({ length: n }, () => [])
  for (const [a, b] of edges) {
    neighbours[a].push(b)
    neighbours[b].push(a)
  }
  const seen = new Set([0])
  const queue = [0]
  while (queue.length > 0) {
    for (const m of neighbours[queue.pop() as number]) {
      if (!seen.has(m)) {
        seen.add(m)
        queue.push(m)
      }
    }
  }
  return seen.size === n
}

/**
 * Clusters of consecutive nodes (sizes differ by one at most), every pair
 * linked inside each; bridge j joins the j-th last member of a cluster to
 * the j-th member of the next, so with one bridge the chain runs along the
 * node indexes
 */
function clusterGraph (n: number, clusters: number, bridges: number): Array<[number, number]> {
  const members: number[][] = []
  let first = 0
  for (let c = 0; c < clusters; c++) {
    const size = Math.floor(n / clusters) + (c < n % clusters ? 1 : 0)
    members.push(Array.from({ length: size }, (_, i) => first + i))
    first += size
  }
  const edges: Array<[number, number]> = []
  for (const group of members) {
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) edges.push([group[i], group[j]])
    }
  }
  for (let c = 0; c + 1 < clusters; c++) {
    for (let j = 0; j < bridges; j++) edges.push([members[c][members[c].length - 1 - j], members[c + 1][j]])
  }
  return sorted(edges)
}

function sorted (edges: Array<[number, number]>): Array<[number, number]> {
  return edges
    .map(([a, b]): [number, number] => a < b ? [a, b] : [b, a])
    .sort((x, y) => x[0] - y[0] || x[1] - y[1])
}
