import { multiaddr } from '@multiformats/multiaddr'
import { z } from 'zod'
import { DURATION_EXPECTED, formatDuration, parseDuration } from './duration.js'
import { describeValue } from './errors.js'

/**
 * What the template, the README and error messages say about a key. Kept next
 * to the schema so the three cannot drift apart.
 */
export interface FieldInfo {
  /** One-line explanation, written above the key in the config template */
  doc?: string
  /** Phrase completing "expected ..." in error messages */
  expected?: string
  /** Written back as "30s" rather than 30000 in the template */
  duration?: boolean
  /** Lines of YAML shown as a comment under the key in the template */
  example?: string[]
}

export const fieldInfo = z.registry<FieldInfo>()

function info<T extends z.ZodType> (schema: T, meta: FieldInfo): T {
  fieldInfo.add(schema, meta)
  return schema
}

const MESH_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/
export const MESH_NAME_EXPECTED = 'a name of 1 to 63 lowercase letters, digits, ".", "_" or "-" that starts with a letter or digit'
const MULTIADDR_EXPECTED = 'a multiaddr such as "/ip4/0.0.0.0/tcp/4001"'
const IP_NET_EXPECTED = 'an IP address or range such as "/ip4/10.0.0.0/ipcidr/8"'
const BOOTSTRAP_EXPECTED = 'a multiaddr ending in /p2p/<peer id>'

// base58btc (Qm..., 12D3KooW..., 16Uiu2...) or a base32 CIDv1 (b...)
const PEER_ID = /^(?:[1-9A-HJ-NP-Za-km-z]{42,}|b[a-z2-7]{50,})$/

/**
 * Tests whether a mesh name is acceptable. Names end up inside protocol ids,
 * so they are restricted to characters that are safe there.
 */
export function isValidMeshName (name: string): boolean {
  return MESH_NAME.test(name)
}

function string (doc: string, def: string) {
  return info(z.string().min(1).default(def), { doc, expected: 'a non-empty string' })
}

function boolean (doc: string, def: boolean) {
  return info(z.boolean().default(def), { doc, expected: 'true or false' })
}

function integer (doc: string, def: number, min: number, max?: number) {
  const base = z.int().min(min)
  const schema = max === undefined ? base : base.max(max)
  const expected = max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`

  return info(schema.default(def), { doc, expected })
}

function oneOf<const T extends readonly [string, ...string[]]> (doc: string, values: T, def: T[number]) {
  const expected = `one of ${values.map(v => JSON.stringify(v)).join(', ')}`

  return info(z.enum(values).default(def), { doc, expected })
}

/**
 * Accepts "30s"-style strings or a number of milliseconds and always outputs
 * milliseconds, so consumers never deal with units.
 */
function fraction (doc: string, def: number) {
  return info(z.number().min(0).max(1).default(def), { doc, expected: 'a number from 0 to 1' })
}

function duration (doc: string, def: string, min = 1) {
  const schema = z.union([z.string(), z.number()]).transform((value, ctx) => {
    let ms: number

    try {
      ms = parseDuration(value)
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        message: err instanceof Error ? err.message : String(err),
        params: { expected: DURATION_EXPECTED },
        input: value
      })
      return z.NEVER
    }

    if (ms < min) {
      const expected = `a duration of at least ${formatDuration(min)}`
      ctx.addIssue({
        code: 'custom',
        message: `expected ${expected}, got ${describeValue(value)}`,
        params: { expected },
        input: value
      })
      return z.NEVER
    }

    return ms
  })

  return info(schema.prefault(def), { doc, expected: DURATION_EXPECTED, duration: true })
}

function multiaddrString (options: { p2p?: boolean, ipNet?: boolean } = {}) {
  const expected = options.p2p === true ? BOOTSTRAP_EXPECTED : options.ipNet === true ? IP_NET_EXPECTED : MULTIADDR_EXPECTED

  const schema = z.string().superRefine((value, ctx) => {
    let reason: string | undefined

    try {
      const components = multiaddr(value).getComponents()
      const last = components.at(-1)

      if (components.length === 0) {
        reason = 'it is empty'
      } else if (options.p2p === true && last?.name !== 'p2p') {
        reason = 'the peer id is missing'
      } else if (options.p2p === true && !PEER_ID.test(last?.value ?? '')) {
        reason = `"${last?.value ?? ''}" is not a peer id`
      } else if (options.ipNet === true && (!['ip4', 'ip6'].includes(components[0].name) || components.length > 2 || (components.length === 2 && last?.name !== 'ipcidr'))) {
        // libp2p matches connections against addresses, not names
        reason = 'only an IP address or range is matched'
      }
    } catch (err) {
      reason = err instanceof Error ? err.message : String(err)
    }

    if (reason !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${expected}, got ${describeValue(value)} (${reason})`,
        params: { expected },
        input: value
      })
    }
  })

  return info(schema, { expected })
}

/**
 * `key:` with nothing after it is null in YAML; for a list that reads as "no
 * entries", which is what the user wrote.
 */
function multiaddrList (doc: string, def: string[], options: { p2p?: boolean, ipNet?: boolean } = {}) {
  const list = z.array(multiaddrString(options)).default(() => [...def])

  return info(z.preprocess(value => value === null ? [] : value, list), {
    doc,
    expected: `a list of ${options.p2p === true ? 'multiaddrs ending in /p2p/<peer id>' : options.ipNet === true ? 'IP addresses or ranges (/ip4/…, /ip6/…, optionally /ipcidr/N)' : 'multiaddrs'}`
  })
}

/**
 * A section may be omitted or left empty (`heartbeat:` alone parses as null);
 * both mean "all defaults".
 */
function section<T extends z.ZodType> (doc: string, schema: T) {
  return info(z.preprocess(value => value ?? {}, schema), { doc, expected: 'a mapping of keys to values' })
}

const heartbeat = z.strictObject({
  interval: duration('Time between heartbeats sent to each connected mesh member (at least 100ms).', '30s', 100),
  stretchAbove: integer('Members up to which heartbeats go at interval; in a larger mesh the interval grows in proportion, so the mesh publishes at most this many beats per interval. 0 never stretches it.', 100, 0),
  staleAfter: integer('Missed heartbeats after which a peer is reported as stale.', 2, 1),
  goneAfter: integer('Missed heartbeats after which a peer is reported as gone; must be greater than staleAfter.', 5, 1),
  pingTimeout: duration('How long to wait for a heartbeat reply before counting it as missed.', '5s')
}).superRefine((value, ctx) => {
  if (value.goneAfter <= value.staleAfter) {
    const expected = `an integer greater than heartbeat.staleAfter (${value.staleAfter})`
    ctx.addIssue({
      code: 'custom',
      path: ['goneAfter'],
      message: `expected ${expected}, got ${value.goneAfter}`,
      params: { expected },
      input: value.goneAfter
    })
  }
}, {
  // also check when another heartbeat key is broken, so every problem is reported at once
  when: payload => {
    const value = payload.value as Record<string, unknown> | null
    return Number.isInteger(value?.staleAfter) && Number.isInteger(value?.goneAfter) &&
      !payload.issues.some(issue => issue.path?.[0] === 'staleAfter' || issue.path?.[0] === 'goneAfter')
  }
})

function optionalString (doc: string) {
  return info(z.string().default(''), { doc, expected: 'a string' })
}

function stringList (doc: string) {
  return info(z.array(z.string().min(1)).default([]), { doc, expected: 'a list of strings' })
}

const memory = z.strictObject({
  defaultZone: oneOf('Zone of a chunk stored without one: private (one agent), shared (this node) or federation (the mesh).', ['private', 'shared', 'federation'], 'federation'),
  replicateShared: boolean('Also replicate the shared zone to the mesh (the private zone never leaves this node).', false),
  embedder: oneOf('How chunk text becomes vectors: sentence (a sentence encoder shipped with Overmind, runs offline in worker threads; matches meaning; ~7 ms of CPU per short text, ~250 MB of memory per thread once loaded), hash (built in, no model, ~20 µs per text; matches shared words only) or http (an OpenAI-compatible /v1/embeddings endpoint).', ['hash', 'sentence', 'http'], 'sentence'),
  embedderThreads: integer('Worker threads of the sentence embedder; 0 for one per core.', 0, 0, 64),
  dimensions: integer('Vector size of the hash embedder.', 256, 16, 4096),
  embedderUrl: optionalString('Base URL of the embeddings endpoint when embedder is http, e.g. http://127.0.0.1:11434 (Ollama).'),
  embedderModel: optionalString('Model name sent to the embeddings endpoint.'),
  embedderKey: optionalString('API key for the embeddings endpoint, e.g. ${OPENAI_API_KEY}; empty for none.'),
  syncInterval: duration('How often to run anti-entropy with a random peer (it also runs on every new connection).', '30s', 100),
  queryDeadline: duration('Deadline of a federated search; peers that answer later are left out.', '2s', 10),
  useInterval: duration('How often the reads of chunks (search hits, memory get) are written as use events, which raise salience: one per chunk and agent per interval, however many reads.', '10m', 1000),
  rankConfidence: fraction('How far confidence moves a search score: from × (1 - w) at confidence 0 to × (1 + w) at 1.', 0.2),
  rankSalience: fraction('How far salience moves a search score: from × (1 - w) for a chunk long unused to towards × (1 + w) for a much-used one; salience decays by 0.99 an hour.', 0.1),
  consolidateInterval: duration('How often the consolidation pass runs (also `overmind memory consolidate`): it links chunks used together, links near-duplicates to the oldest of them, and applies the prune rules.', '1h', 1000),
  duplicateSimilarity: fraction('Similarity (cosine) from which the consolidation pass links a chunk to an older one as its near-duplicate; search then shows the older one only.', 0.95),
  prune: boolean('Let the consolidation pass prune chunks this node wrote that went unused for memory.archiveAfter and whose salience or confidence fell under its threshold.', true),
  pruneAction: oneOf('What pruning does to a chunk: archive (search skips it unless asked; it can come back) or forget (a tombstone on every node).', ['archive', 'forget'], 'archive'),
  archiveAfter: duration('How long a chunk must go unused (no read, feedback or link) before the prune rules may archive it.', '7d', 1000),
  archiveSalience: fraction('Salience under which an unused chunk is archived (a chunk never used falls under 0.2 about 160 hours after it was written).', 0.2),
  archiveConfidence: fraction('Confidence under which an unused chunk is archived (0.25: e.g. 3 failures and no success).', 0.25),
  signalAgents: integer('Agents (an agent name on a node) that must write chunks close in meaning before the mesh raises a convergence signal; 0 turns signals off.', 3, 0, 64),
  signalNodes: integer('Nodes those agents must be on, at least.', 2, 1, 64),
  signalSimilarity: fraction('Similarity (cosine) within which chunks count as the same knowledge for a convergence signal.', 0.75),
  signalWindow: duration('How close in time the chunks of a convergence signal must be written.', '1d', 1000),
  signalGrace: duration('How long the other nodes wait for the node that wrote the newest chunk of a group to raise its signal before they raise it themselves.', '30s', 0)
}).superRefine((value, ctx) => {
  if (value.embedder !== 'http') return
  for (const key of ['embedderUrl', 'embedderModel'] as const) {
    if (value[key] === '') {
      const expected = 'a non-empty string when memory.embedder is http'
      ctx.addIssue({ code: 'custom', path: [key], message: `expected ${expected}`, params: { expected }, input: value[key] })
    }
  }
}, {
  when: payload => !payload.issues.some(issue => ['embedder', 'embedderUrl', 'embedderModel'].includes(String(issue.path?.[0])))
})

const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/
/** Longest node name (`identity.name`, `--name`) */
export const MAX_NODE_NAME_LENGTH = 64

/** Longest agent description, in characters (heartbeats carry at most 256 bytes of it) */
export const MAX_AGENT_DESCRIPTION = 200

export const AGENT_NAME_EXPECTED = 'a name of 1 to 63 letters, digits, ".", "_" or "-" that starts with a letter or digit'

/** Agents the node runs in-process by name (`runner: builtin`) */
export const BUILTIN_AGENTS = ['echo'] as const

const agent = z.strictObject({
  name: info(z.string().regex(AGENT_NAME), { doc: 'Name callers use; unique on this node.', expected: AGENT_NAME_EXPECTED }),
  runner: oneOf('command (a child process), http (an OpenAI-compatible chat endpoint), builtin (a function inside the node) or session (no process: runs wait for an agent session to claim them with task_claim).', ['command', 'http', 'builtin', 'session'], 'command'),
  command: info(z.array(z.string().min(1)).default([]), { doc: 'runner: command: the program and its arguments.', expected: 'a list of strings, the program first' }),
  input: oneOf('runner: command: how the input reaches the program: on stdin, or as its last argument.', ['stdin', 'argument'], 'stdin'),
  cwd: optionalString('runner: command: working directory; relative to the data directory; empty for the data directory.'),
  env: info(z.record(z.string(), z.string()).default({}), { doc: 'runner: command: extra environment variables.', expected: 'a mapping of names to strings' }),
  url: optionalString('runner: http: base URL of the endpoint, e.g. http://127.0.0.1:11434/v1 (Ollama).'),
  model: optionalString('runner: http: model name sent with each request.'),
  apiKey: optionalString('runner: http: API key, e.g. ${OPENAI_API_KEY}; empty for none.'),
  system: optionalString('runner: http: system prompt sent before the input.'),
  builtin: optionalString(`runner: builtin: which function (${BUILTIN_AGENTS.join(', ')}); empty means the agent's name.`),
  expose: oneOf('mesh: any member of the mesh may run it; local: only this node.', ['mesh', 'local'], 'mesh'),
  concurrency: integer('Runs of this agent at the same time.', 1, 1, 1024),
  timeout: duration('Longest run; a caller may ask for less.', '5m'),
  version: optionalString('Version announced in heartbeats.'),
  capabilities: info(z.array(z.string().min(1).max(256)).max(32).default([]), { doc: 'Capabilities announced in heartbeats.', expected: 'a list of at most 32 strings' }),
  description: info(z.string().max(MAX_AGENT_DESCRIPTION).default(''), { doc: 'What the agent does, in a sentence: shown to people and language models choosing an agent (list_agents, the A2A card, the page).', expected: `a text of at most ${MAX_AGENT_DESCRIPTION} characters` }),
  skills: info(z.array(z.string().regex(AGENT_NAME)).max(16).default([]), { doc: 'Skills it offers, short names such as summarise or translate: callers can choose an agent by skill.', expected: `a list of at most 16 names (${AGENT_NAME_EXPECTED})` })
}).superRefine((value, ctx) => {
  const need = (key: 'command' | 'url' | 'model', ok: boolean): void => {
    if (ok) return
    const expected = `a value when runner is ${value.runner}`
    ctx.addIssue({ code: 'custom', path: [key], message: `expected ${expected}`, params: { expected }, input: value[key] })
  }
  if (value.runner === 'command') need('command', value.command.length > 0)
  if (value.runner === 'http') {
    need('url', value.url !== '')
    need('model', value.model !== '')
  }
  if (value.runner === 'builtin') {
    const fn = value.builtin === '' ? value.name : value.builtin
    if (!(BUILTIN_AGENTS as readonly string[]).includes(fn)) {
      const expected = `one of ${BUILTIN_AGENTS.map(b => JSON.stringify(b)).join(', ')}`
      ctx.addIssue({ code: 'custom', path: [value.builtin === '' ? 'name' : 'builtin'], message: `expected ${expected} for a builtin agent, got ${JSON.stringify(fn)}`, params: { expected }, input: fn })
    }
  }
}, {
  when: payload => !payload.issues.some(issue => ['runner', 'name', 'builtin'].includes(String(issue.path?.[0])))
})

const agents = info(z.preprocess(value => value === null ? [] : value, z.array(agent).max(256).default([]).superRefine((list, ctx) => {
  const seen = new Set<string>()
  list.forEach((a, i) => {
    if (seen.has(a.name)) {
      const expected = 'a name no other agent of this node has'
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `expected ${expected}, got ${JSON.stringify(a.name)} twice`, params: { expected }, input: a.name })
    }
    seen.add(a.name)
  })
})), {
  doc: 'Agents this node hosts (name, runner, expose, concurrency, timeout); see the example below.',
  expected: 'a list of agents',
  example: [
    'agents:',
    '  - name: upper',
    '    runner: command',
    '    command: ["tr", "a-z", "A-Z"]   # input on stdin, output from stdout',
    '    expose: mesh                     # or local',
    '    concurrency: 2',
    '    timeout: 30s',
    '  - name: echo',
    '    runner: builtin',
    '  - name: chat',
    '    runner: http',
    '    url: http://127.0.0.1:11434/v1',
    '    model: llama3.2',
    '  - name: reviewer',
    '    runner: session                  # an agent session claims its runs (task_claim)',
    '    concurrency: 4',
    '    skills: [review]'
  ]
})

const runs = z.strictObject({
  maxQueue: integer('Runs waiting for a slot on this node, all agents together; more are answered busy at once.', 64, 0, 100_000),
  maxQueuePerCaller: integer('Queued runs one calling node may hold, so a flood from one caller leaves room for others.', 16, 1, 100_000),
  deadline: duration('Deadline of a run started from this node when the caller gives none.', '60s'),
  retries: integer('Other hosts tried after a busy, refused or failed host, before any output arrived.', 2, 0, 16),
  lookupTimeout: duration('Longest wait for DHT provider records when no heartbeat names a host.', '3s'),
  provideInterval: duration('How often this node renews the DHT provider records of the agents it exposes.', '10m', 1_000)
})

const delegation = z.strictObject({
  accept: boolean('Host agents other nodes of the mesh lend to this node for a time (overmind agent delegate); off by default.', false),
  from: info(z.array(z.string().regex(/^(12D3KooW|Qm)[1-9A-HJ-NP-Za-km-z]{40,60}$/)).default([]), { doc: 'Peer ids of the nodes whose agents this node hosts; empty = any member of the mesh (with accept: true).', expected: 'a list of peer ids (12D3KooW…)' }),
  runners: info(z.array(z.enum(['command', 'http', 'builtin', 'session'])).default(['builtin', 'http', 'session']), { doc: 'Runners a lent agent may use here. command runs a program the lending node names on this machine: list it only for nodes you trust.', expected: 'a list of command, http, builtin, session' }),
  maxDuration: duration('Longest time this node hosts a lent agent; a longer request gets this much.', '1d', 1_000),
  maxAgents: integer('Lent agents this node hosts at once.', 8, 0, 256),
  keys: info(z.record(z.string(), z.string()).default({}), { doc: 'API keys this node gives lent http agents, by endpoint origin (e.g. https://api.example.com: ${EXAMPLE_KEY}): an agent\'s own key never leaves its home, and one that needs a key is refused without one here.', expected: 'a mapping of endpoint origins to keys' })
})

const nat = z.strictObject({
  role: oneOf('relay: run a circuit relay for the mesh (needs a public address); public: reachable directly; private: behind NAT, reserve relay slots; auto: private unless this node has a public address.', ['auto', 'relay', 'public', 'private'], 'auto'),
  relays: multiaddrList('Relays to reserve a slot on (multiaddrs ending in /p2p/<peer id>); empty = any mesh member with the relay role.', [], { p2p: true }),
  autonat: boolean('Ask peers to confirm which of this node\'s addresses are reachable (AutoNAT v2).', true),
  holePunch: boolean('Try to turn relayed connections into direct ones (DCUtR).', true),
  webrtc: boolean('Hole-punch direct WebRTC links (UDP) to nodes reached through a relay, with the STUN servers of the mesh\'s relays; the link stays relayed when no path is found.', true),
  webrtcTimeout: duration('Longest wait for one WebRTC hole punch before the link stays relayed.', '10s', 500),
  stun: boolean('relay role: serve STUN to members, who find their outside address with it to hole-punch WebRTC links.', true),
  stunPort: integer('relay role: UDP port of the STUN server (0 = any free port; members learn it from heartbeats).', 3478, 0, 65535),
  maxReservations: integer('relay role: most nodes holding a slot at once.', 128, 1),
  relayDuration: duration('relay role: longest life of one relayed connection.', '1h'),
  relayData: integer('relay role: most bytes one relayed connection may carry in each direction.', 1024 * 1024 * 1024, 1024)
})

/**
 * Schema of `overmind.config.yaml`. Every key has a default, unknown keys are
 * rejected, and durations come out as milliseconds.
 */
export const configSchema = z.strictObject({
  mesh: section('The mesh this node belongs to.', z.strictObject({
    name: info(z.string().regex(MESH_NAME).default('overmind'), {
      doc: 'Mesh name; part of the protocol ids, so only nodes with the same name talk to each other.',
      expected: MESH_NAME_EXPECTED
    }),
    keyFile: string('Shared secret held by every member of the mesh; relative to the data directory.', 'mesh.key')
  })),
  identity: section('Who this node is.', z.strictObject({
    keyFile: string('Private key of this node, which determines its peer id; relative to the data directory.', 'peer.key'),
    name: info(z.string().max(MAX_NODE_NAME_LENGTH).default(''), {
      doc: 'Name shown for this node in peers, status, the live page and logs; empty = the host name.',
      expected: `a name of at most ${MAX_NODE_NAME_LENGTH} characters`
    })
  })),
  listen: multiaddrList('Addresses to accept connections on.', ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws']),
  announce: multiaddrList('Addresses to advertise instead of the listen addresses (e.g. a public IP behind NAT); empty = listen.', []),
  bootstrap: multiaddrList('Peers to dial on start to join the mesh; each must end with /p2p/<peer id>.', [], { p2p: true }),
  discovery: section('How this node finds other mesh members.', z.strictObject({
    mdns: boolean('Find peers on the local network with mDNS.', false),
    targetPeers: integer('Keep dialing discovered peers until this many mesh connections are open.', 24, 0),
    rejoinInterval: duration('How often to redial bootstrap and known peers while below targetPeers.', '10s')
  })),
  dht: section('Kademlia DHT used to find peers and their addresses.', z.strictObject({
    clientMode: boolean('Only query the DHT and do not serve it, for nodes other peers cannot reach.', false),
    addressFilter: oneOf('Which of this node\'s addresses the DHT shares: all, or public (no private/loopback).', ['all', 'public'], 'all'),
    querySelfInterval: duration('How often to look up this node\'s own id to keep the routing table fresh.', '30s')
  })),
  heartbeat: section('Liveness tracking of mesh members.', heartbeat),
  memory: section('Federated memory: zones, embeddings, replication and search.', memory),
  api: section('Local API: the CLI, the JSON-RPC bridge (/rpc), MCP (/mcp), A2A, the live mesh page (/) and metrics (/metrics).', z.strictObject({
    host: string('Interface the API listens on; anything but loopback needs tls or insecure: true.', '127.0.0.1'),
    port: integer('API port; 0 picks a free port and writes the chosen address to the data directory.', 3099, 0, 65535),
    tokenFile: string('File holding the token API clients must present; relative to the data directory.', 'api.token'),
    tlsCert: optionalString('Serve the API over HTTPS with this certificate chain (PEM file, relative to the data directory); needs tlsKey.'),
    tlsKey: optionalString('Private key of tlsCert (PEM file, relative to the data directory).'),
    insecure: boolean('Allow plain HTTP on an address other than loopback (the token then crosses the network in clear).', false),
    allowedHosts: stringList('Host names, besides the listen address and loopback, that clients may put in the Host header (e.g. a DNS name of this machine).'),
    allowedOrigins: stringList('Browser origins, besides the API\'s own, allowed to call the API (e.g. https://dashboard.example).'),
    maxBody: integer('Largest request body in bytes.', 1024 * 1024, 1024),
    rateLimit: integer('Requests per minute allowed from one client address; 0 = no limit.', 6000, 0),
    ui: boolean('Serve the live mesh page at /.', true),
    metrics: boolean('Serve Prometheus metrics at /metrics.', true),
    a2aDefaultAgent: optionalString('A2A: the agent a message runs when it names none (metadata agent or skill) and its text matches no agent\'s skills; empty = ask the client to name one when the mesh has several.')
  })),
  connections: section('Connection limits.', z.strictObject({
    maxConnections: integer('Most connections kept open at once.', 300, 1),
    allow: multiaddrList('Addresses exempt from connection and rate limits, e.g. /ip4/127.0.0.0/ipcidr/8 for simulations (IP addresses or ranges only).', [], { ipNet: true })
  })),
  agents,
  runs: section('Remote runs: the queue of this node and how it routes runs to other nodes.', runs),
  delegation: section('Agents lent by other nodes of the mesh: whether this node hosts them, from whom, and how long.', delegation),
  nat: section('Reachability behind NAT: circuit relays, AutoNAT, hole punching.', nat),
  log: section('Logging.', z.strictObject({
    level: oneOf('Least severe messages printed: error, warn, info or debug.', ['error', 'warn', 'info', 'debug'], 'info'),
    format: oneOf('text for people, json for log collectors.', ['text', 'json'], 'text')
  }))
})

/**
 * A parsed config with every default filled in and durations in milliseconds.
 */
export type OvermindConfig = z.output<typeof configSchema>

/**
 * The configuration used when the file is empty or every key is omitted.
 */
export function defaultConfig (): OvermindConfig {
  return configSchema.parse({})
}

/**
 * Looks through wrappers (defaults, preprocessing) to the object or array
 * that gives a key its children.
 */
function unwrap (schema: z.ZodType): z.ZodType {
  let current = schema

  for (;;) {
    if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault) {
      current = current.unwrap() as z.ZodType
    } else if (current instanceof z.ZodPipe) {
      // z.preprocess puts a transform in front; otherwise the input side holds the structure
      current = (current.in instanceof z.ZodTransform ? current.out : current.in) as z.ZodType
    } else {
      return current
    }
  }
}

/**
 * The schema for a path into the config, as written in the shape (with its
 * default), or undefined for paths the schema does not know.
 */
export function schemaAt (path: ReadonlyArray<PropertyKey>): z.ZodType | undefined {
  let current: z.ZodType = configSchema

  for (const part of path) {
    const inner = unwrap(current)

    if (inner instanceof z.ZodObject && typeof part === 'string' && Object.hasOwn(inner.shape, part)) {
      current = inner.shape[part] as z.ZodType
    } else if (inner instanceof z.ZodArray && typeof part === 'number') {
      current = inner.element as z.ZodType
    } else {
      return undefined
    }
  }

  return current
}

/**
 * Keys allowed in the mapping at `path`, or undefined when it is not a mapping.
 */
export function keysAt (path: ReadonlyArray<PropertyKey>): string[] | undefined {
  const schema = schemaAt(path)
  const inner = schema === undefined ? undefined : unwrap(schema)

  return inner instanceof z.ZodObject ? Object.keys(inner.shape) : undefined
}
