import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { ConfigError, configSchema, defaultConfig, parseConfig } from '../src/index.js'

const FILE = 'overmind.config.yaml'
const PEER = '12D3KooWGRUVh7Lr2ntozpNdN9oiX1AsbsZ9z5xgkSDqjsuD5T2E'

/**
 * Parses `text` expecting a ConfigError and returns it for inspection.
 */
function fails (text: string, env: Record<string, string | undefined> = {}): ConfigError {
  try {
    parseConfig(text, { file: FILE, env })
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`)
    assert.equal(err.name, 'ConfigError')
    return err
  }

  assert.fail('expected parseConfig to throw')
}

describe('parseConfig', () => {
  it('refuses a file that holds no settings, at its first line: empty, blank, comments only, null or {}', () => {
    for (const text of ['', '\n\n', '# nothing here\n# yet\n', '~\n', '{}\n']) {
      const err = fails(text)
      assert.equal(err.line, 1, JSON.stringify(text))
      assert.equal(err.column, 1)
      assert.match(err.message, /^overmind\.config\.yaml:1:1: the file holds no settings: a node needs at least mesh\.name/)
    }
  })

  it('gives every other default for a file that sets only the mesh name', () => {
    assert.deepEqual(parseConfig('# the rest is default\nmesh:\n  name: overmind\n'), defaultConfig())
  })

  it('has the documented defaults', () => {
    assert.deepEqual(defaultConfig(), {
      mesh: { name: 'overmind', keyFile: 'mesh.key' },
      identity: { keyFile: 'peer.key', name: '' },
      listen: ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws'],
      announce: [],
      bootstrap: [],
      discovery: { mdns: false, targetPeers: 24, rejoinInterval: 10_000 },
      dht: { clientMode: false, addressFilter: 'all', querySelfInterval: 30_000 },
      heartbeat: { interval: 30_000, stretchAbove: 100, staleAfter: 2, goneAfter: 5, pingTimeout: 5_000 },
      memory: {
        defaultZone: 'federation',
        replicateShared: false,
        embedder: 'sentence',
        embedderThreads: 0,
        dimensions: 256,
        embedderUrl: '',
        embedderModel: '',
        embedderKey: '',
        syncInterval: 30_000,
        queryDeadline: 2_000,
        useInterval: 600_000,
        rankConfidence: 0.2,
        rankSalience: 0.1,
        consolidateInterval: 3_600_000,
        duplicateSimilarity: 0.95,
        prune: true,
        pruneAction: 'archive',
        archiveAfter: 604_800_000,
        archiveSalience: 0.2,
        archiveConfidence: 0.25,
        signalAgents: 3,
        signalNodes: 2,
        signalSimilarity: 0.75,
        signalWindow: 86_400_000,
        signalGrace: 30_000
      },
      api: {
        host: '127.0.0.1',
        port: 3099,
        tokenFile: 'api.token',
        tlsCert: '',
        tlsKey: '',
        insecure: false,
        allowedHosts: [],
        allowedOrigins: [],
        maxBody: 1048576,
        rateLimit: 6000,
        ui: true,
        metrics: true,
        a2aDefaultAgent: ''
      },
      connections: { maxConnections: 300, allow: [] },
      agents: [],
      runs: { maxQueue: 64, maxQueuePerCaller: 16, deadline: 60_000, retries: 2, lookupTimeout: 3_000, provideInterval: 600_000 },
      delegation: { accept: false, from: [], runners: ['builtin', 'http', 'session'], maxDuration: 86_400_000, maxAgents: 8, keys: {} },
      nat: { role: 'auto', relays: [], autonat: true, holePunch: true, webrtc: true, webrtcTimeout: 10_000, stun: true, stunPort: 3478, maxReservations: 128, relayDuration: 3_600_000, relayData: 1024 * 1024 * 1024 },
      log: { level: 'info', format: 'text' }
    })
  })

  it('returns a fresh defaults object each time', () => {
    const first = defaultConfig()
    first.listen.push('/ip4/127.0.0.1/tcp/1')
    assert.deepEqual(defaultConfig().listen, ['/ip4/0.0.0.0/tcp/4001', '/ip4/0.0.0.0/tcp/4002/ws'])
  })

  it('treats an empty section as all defaults for that section', () => {
    const config = parseConfig('heartbeat:\ndht:\n  clientMode: true\n')
    assert.deepEqual(config.heartbeat, defaultConfig().heartbeat)
    assert.equal(config.dht.clientMode, true)
    assert.equal(config.dht.querySelfInterval, 30_000)
  })

  it('treats an empty list as no entries', () => {
    assert.deepEqual(parseConfig('listen:\n').listen, [])
  })

  it('fills in keys left out of a section', () => {
    const config = parseConfig('heartbeat:\n  interval: 10s\n')
    assert.deepEqual(config.heartbeat, { interval: 10_000, stretchAbove: 100, staleAfter: 2, goneAfter: 5, pingTimeout: 5_000 })
  })

  it('reads a full config', () => {
    const config = parseConfig(`
mesh:
  name: lab-1
listen:
  - /ip4/127.0.0.1/tcp/0
bootstrap:
  - /dns4/boot.example.com/tcp/4001/p2p/${PEER}
discovery:
  mdns: true
  rejoinInterval: 1m30s
heartbeat:
  interval: 500
  pingTimeout: 1.5s
api:
  port: 8080
connections:
  allow: [/ip4/127.0.0.0/ipcidr/8]
log:
  level: debug
  format: json
`)
    assert.equal(config.mesh.name, 'lab-1')
    assert.deepEqual(config.listen, ['/ip4/127.0.0.1/tcp/0'])
    assert.deepEqual(config.bootstrap, [`/dns4/boot.example.com/tcp/4001/p2p/${PEER}`])
    assert.equal(config.discovery.rejoinInterval, 90_000)
    assert.equal(config.heartbeat.interval, 500)
    assert.equal(config.heartbeat.pingTimeout, 1_500)
    assert.equal(config.api.port, 8080)
    assert.deepEqual(config.connections.allow, ['/ip4/127.0.0.0/ipcidr/8'])
    assert.equal(config.log.format, 'json')
  })

  it('reports an unknown key with its line and the closest known key', () => {
    const err = fails('mesh:\n  name: lab\nheartbeat:\n  intervall: 5s\n')
    assert.equal(err.key, 'heartbeat.intervall')
    assert.equal(err.line, 4)
    assert.equal(err.column, 3)
    assert.equal(err.message, `${FILE}:4:3: heartbeat.intervall: unknown key, did you mean "interval"?`)
  })

  it('suggests a key differing only in case', () => {
    const err = fails('identity:\n  keyfile: a.key\n')
    assert.match(err.message, /identity\.keyfile: unknown key, did you mean "keyFile"\?/)
  })

  it('suggests the section for a section key written at the top level', () => {
    const err = fails('mdns: true\n')
    assert.match(err.message, /:1:1: mdns: unknown key, did you mean "discovery\.mdns"\?/)
  })

  it('lists the known keys when no key is close to an unknown one', () => {
    const err = fails('log:\n  colour: true\n')
    assert.match(err.message, /log\.colour: unknown key; expected one of "level", "format"/)
  })

  it('reports a wrong type with key, line, column and what is expected', () => {
    const err = fails('# comment\nheartbeat:\n  staleAfter: 2\n  interval: true\n')
    assert.equal(err.message, `${FILE}:4:13: heartbeat.interval: expected a duration such as "30s" or "500ms", got true`)
    assert.equal(err.file, FILE)
    assert.equal(err.key, 'heartbeat.interval')
    assert.equal(err.line, 4)
    assert.equal(err.column, 13)
    assert.equal(err.expected, 'a duration such as "30s" or "500ms"')
  })

  it('reports integers out of range and enum values it does not know', () => {
    assert.match(fails('api:\n  port: 70000\n').message, /:2:9: api\.port: expected an integer from 0 to 65535, got 70000$/)
    assert.match(fails('discovery:\n  targetPeers: 1.5\n').message, /discovery\.targetPeers: expected an integer >= 0, got 1\.5$/)
    assert.match(fails('log:\n  level: verbose\n').message, /log\.level: expected one of "error", "warn", "info", "debug", got "verbose"$/)
  })

  it('reports a section that is not a mapping', () => {
    assert.match(fails('discovery: 5\n').message, /:1:12: discovery: expected a mapping of keys to values, got 5$/)
  })

  it('rejects mesh names that cannot be part of a protocol id', () => {
    assert.match(fails('mesh:\n  name: My Mesh\n').message, /mesh\.name: expected a name of 1 to 63 lowercase letters/)
    assert.match(fails(`mesh:\n  name: ${'a'.repeat(64)}\n`).message, /mesh\.name/)
    assert.equal(parseConfig(`mesh:\n  name: ${'a'.repeat(63)}\n`).mesh.name, 'a'.repeat(63))
  })

  it('names listen[1] and its line for a bad multiaddr', () => {
    const err = fails('listen:\n  - /ip4/0.0.0.0/tcp/4001\n  - /ip4/999.0.0.1/tcp/4001\n')
    assert.equal(err.key, 'listen[1]')
    assert.equal(err.line, 3)
    assert.equal(err.column, 5)
    assert.match(err.message, /^overmind\.config\.yaml:3:5: listen\[1\]: expected a multiaddr such as "\/ip4\/0\.0\.0\.0\/tcp\/4001", got "\/ip4\/999\.0\.0\.1\/tcp\/4001"/)
  })

  it('rejects an empty multiaddr and a list given as a string', () => {
    assert.match(fails('announce: [""]\n').message, /announce\[0\]: expected a multiaddr/)
    assert.match(fails('announce: /ip4/1.2.3.4/tcp/1\n').message, /announce: expected a list of multiaddrs, got "\/ip4\/1\.2\.3\.4\/tcp\/1"/)
  })

  it('rejects a bootstrap address without /p2p/<peer id>', () => {
    const err = fails('bootstrap:\n  - /ip4/1.2.3.4/tcp/4001\n')
    assert.equal(err.key, 'bootstrap[0]')
    assert.equal(err.line, 2)
    assert.match(err.message, /expected a multiaddr ending in \/p2p\/<peer id>, got "\/ip4\/1\.2\.3\.4\/tcp\/4001"/)
  })

  it('rejects a bootstrap address whose /p2p/ value is not a peer id', () => {
    assert.match(fails('bootstrap:\n  - /ip4/1.2.3.4/tcp/4001/p2p/nope\n').message, /bootstrap\[0\].*"nope" is not a peer id/)
  })

  it('takes IP addresses and ranges only in connections.allow, which libp2p matches against connections', () => {
    for (const bad of ['/dns4/relay.example', '/ip4/10.0.0.1/tcp/4001', '/dns4/relay.example/ipcidr/8']) {
      const err = fails(`connections:\n  allow:\n    - ${bad}\n`)
      assert.equal(err.key, 'connections.allow[0]')
      assert.match(err.message, /expected an IP address or range such as "\/ip4\/10\.0\.0\.0\/ipcidr\/8".*only an IP address or range is matched/)
    }
    assert.deepEqual(parseConfig('connections:\n  allow: [/ip4/10.0.0.1, /ip6/fd00::/ipcidr/8]\n').connections.allow, ['/ip4/10.0.0.1', '/ip6/fd00::/ipcidr/8'])
  })

  it('accepts a bootstrap address ending in /p2p/<peer id>', () => {
    assert.deepEqual(parseConfig(`bootstrap: [/ip4/1.2.3.4/tcp/4001/p2p/${PEER}]`).bootstrap, [`/ip4/1.2.3.4/tcp/4001/p2p/${PEER}`])
  })

  it('rejects goneAfter not greater than staleAfter, naming heartbeat.goneAfter', () => {
    const err = fails('heartbeat:\n  staleAfter: 4\n  goneAfter: 4\n')
    assert.equal(err.key, 'heartbeat.goneAfter')
    assert.equal(err.line, 3)
    assert.match(err.message, /heartbeat\.goneAfter: expected an integer greater than heartbeat\.staleAfter \(4\), got 4$/)
  })

  it('compares staleAfter with the default goneAfter when goneAfter is left out', () => {
    const err = fails('heartbeat:\n  staleAfter: 5\n')
    assert.equal(err.key, 'heartbeat.goneAfter')
    assert.equal(err.line, 2)
  })

  it('requires the url and model of an http embedder, naming each', () => {
    const err = fails('memory:\n  embedder: http\n  embedderModel: nomic-embed-text\n')
    assert.equal(err.key, 'memory.embedderUrl')
    assert.match(err.message, /memory\.embedderUrl: expected a non-empty string when memory\.embedder is http/)
    assert.doesNotMatch(err.message, /embedderModel/)
  })

  it('accepts an http embedder with url and model, and a key from the environment', () => {
    const config = parseConfig('memory:\n  embedder: http\n  embedderUrl: http://127.0.0.1:11434\n  embedderModel: nomic-embed-text\n  embedderKey: ${EMBED_KEY}\n', { env: { EMBED_KEY: 'sk-test' } })
    assert.deepEqual([config.memory.embedder, config.memory.embedderUrl, config.memory.embedderModel, config.memory.embedderKey], ['http', 'http://127.0.0.1:11434', 'nomic-embed-text', 'sk-test'])
  })

  it('rejects a heartbeat interval under 100ms', () => {
    assert.match(fails('heartbeat:\n  interval: 50ms\n').message, /heartbeat\.interval: expected a duration of at least 100ms, got "50ms"$/)
    assert.equal(parseConfig('heartbeat:\n  interval: 100ms\n').heartbeat.interval, 100)
  })

  it('rejects a duration without a unit', () => {
    assert.match(fails('dht:\n  querySelfInterval: "30"\n').message, /add a unit/)
  })

  it('reports a YAML syntax error with its line and column', () => {
    const err = fails('mesh:\n  name: lab\nlisten: [/ip4/0.0.0.0/tcp/1\n')
    assert.equal(err.line, 4)
    assert.equal(typeof err.column, 'number')
    assert.match(err.message, /^overmind\.config\.yaml:4:\d+: invalid YAML: /)
  })

  it('reports a bad indentation as a YAML error on its line', () => {
    const err = fails('heartbeat:\n  interval: 5s\n staleAfter: 3\n')
    assert.equal(err.line, 3)
    assert.match(err.message, /^overmind\.config\.yaml:3:1: invalid YAML: /)
  })

  it('reports a duplicate key', () => {
    const err = fails('api:\n  port: 1\n  port: 2\n')
    assert.equal(err.line, 3)
    assert.match(err.message, /:3:3: duplicate key port$/)
  })

  it('requires a mapping at the top level', () => {
    assert.match(fails('- a\n- b\n').message, /^overmind\.config\.yaml:1:1: expected a mapping .* at the top level, got a list$/)
    assert.match(fails('hello\n').message, /at the top level, got "hello"$/)
  })

  it('reports every problem, one per line, sorted by position', () => {
    const err = fails(`
heartbeat:
  intervall: 5s
  interval: true
listen:
  - /ip4/0.0.0.0/tcp/1
  - garbage
api:
  port: -1
  token: \${MISSING}
`)
    const lines = err.message.split('\n')
    assert.equal(lines.length, 5)
    assert.deepEqual(err.issues.map(issue => [issue.key, issue.line]), [
      ['heartbeat.intervall', 3],
      ['heartbeat.interval', 4],
      ['listen[1]', 7],
      ['api.port', 9],
      ['api.token', 10]
    ])
    assert.ok(lines.every(line => line.startsWith(`${FILE}:`)))
    // the top-level fields describe the first problem
    assert.equal(err.key, 'heartbeat.intervall')
    assert.equal(err.line, 3)
  })

  it('leaves the file out of messages when it is not given', () => {
    assert.throws(() => parseConfig('api:\n  port: x\n'), {
      name: 'ConfigError',
      message: '2:9: api.port: expected an integer from 0 to 65535, got "x"'
    })
  })

  it('exposes a schema that validates plain objects', () => {
    const result = configSchema.safeParse({ heartbeat: { interval: '2s' } })
    assert.ok(result.success)
    assert.equal(result.data.heartbeat.interval, 2_000)
    assert.equal(configSchema.safeParse({ nope: 1 }).success, false)
  })
})

describe('agents', () => {
  it('fills in the defaults of an agent and reads its timeout as a duration', () => {
    const config = parseConfig('agents:\n  - name: upper\n    command: [tr, a-z, A-Z]\n    timeout: 30s\n    expose: local\n')
    assert.equal(config.agents.length, 1)
    const [agent] = config.agents
    assert.equal(agent.runner, 'command')
    assert.deepEqual(agent.command, ['tr', 'a-z', 'A-Z'])
    assert.equal(agent.input, 'stdin')
    assert.equal(agent.expose, 'local')
    assert.equal(agent.concurrency, 1)
    assert.equal(agent.timeout, 30_000)
  })

  it('reports what each runner is missing, an unknown builtin and a duplicate name, with their lines', () => {
    const text = 'agents:\n  - name: a\n  - name: b\n    runner: http\n  - name: c\n    runner: builtin\n  - name: a\n    command: [x]\n'
    assert.throws(() => parseConfig(text, { file: 'x.yaml' }), (err: any) => {
      assert.equal(err.name, 'ConfigError')
      assert.match(err.message, /x\.yaml:2:5: agents\[0\]\.command: expected a value when runner is command/)
      assert.match(err.message, /agents\[1\]\.url: expected a value when runner is http/)
      assert.match(err.message, /agents\[1\]\.model: expected a value when runner is http/)
      assert.match(err.message, /agents\[2\]\.name: expected one of "echo" for a builtin agent, got "c"/)
      assert.match(err.message, /x\.yaml:7:\d+: agents\[3\]\.name: expected a name no other agent of this node has, got "a" twice/)
      return true
    })
  })

  it('refuses a bad agent name and an unknown nat role', () => {
    assert.throws(() => parseConfig('agents:\n  - name: "no spaces"\n    command: [x]\n'), /agents\[0\]\.name: expected a name of 1 to 63 letters/)
    assert.throws(() => parseConfig('nat:\n  role: gateway\n'), /nat\.role: expected one of "auto", "relay", "public", "private"/)
  })
})
