// scripts/netns-lab.d/lab.mjs: small Node helpers of scripts/netns-lab.
//
//   node lab.mjs config DATA_DIR JSON           set config keys ({"nat.role": "relay", ...}), keeping comments
//   node lab.mjs get FILE EXPR                  print a JS expression of the JSON in FILE (bound to `j`)
//   node lab.mjs wait DATA_DIR WHAT TIMEOUT_MS  poll the node's local API until WHAT holds; prints
//                                               the elapsed ms and a detail, exit 1 on timeout.
//        WHAT: api | circuit | agent:NAME@PEER | one-direct:PEER (a direct link and no other) |
//              punched:PEER (a hole-punched WebRTC link; prints its ICE pair) |
//              punch-failed:PEER (prints why) | chunk:ID
//   node lab.mjs bench DATA_DIR AGENT INPUT N   N sequential runs through the local API (what
//                                               `overmind run` does once the CLI has started);
//                                               prints {ok, failed, ms: [...], errors}
//   node lab.mjs stats < numbers                p50/p99/min/max of whitespace-separated numbers
//
// The API commands talk to 127.0.0.1, so run them inside the node's network
// namespace (ip netns exec NS node lab.mjs ...).
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const [cmd, ...args] = process.argv.slice(2)
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

function api (dataDir) {
  const state = JSON.parse(readFileSync(join(dataDir, 'api.json'), 'utf8'))
  const token = readFileSync(state.tokenFile ?? join(dataDir, 'api.token'), 'utf8').trim()
  const call = async (method, path, body, signal) => await fetch(new URL(path, state.url), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body != null ? { 'content-type': 'application/json' } : {}) },
    body: body != null ? JSON.stringify(body) : undefined,
    signal
  })
  return {
    get: async path => {
      const res = await call('GET', path, undefined, AbortSignal.timeout(5_000))
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`)
      return await res.json()
    },
    /** one run through POST /v1/agents/run; resolves {output, host} or throws the run's error */
    run: async (agent, input) => {
      const res = await call('POST', '/v1/agents/run', { agent, input, deadline: 20_000 }, AbortSignal.timeout(30_000))
      if (!res.ok) throw new Error(`run: HTTP ${res.status}`)
      let output = ''
      for (const line of (await res.text()).split('\n').filter(Boolean)) {
        const msg = JSON.parse(line)
        if (msg.output != null) output += msg.output
        if (msg.error != null) throw Object.assign(new Error(msg.error.message), { name: msg.error.name })
        if (msg.done != null) return { output, host: msg.done.host }
      }
      throw new Error('run: the stream ended without done')
    }
  }
}

const conditions = {
  api: async c => { const s = await c.get('/v1/status'); return s.peerId },
  circuit: async c => (await c.get('/v1/status')).addresses.find(a => a.includes('/p2p-circuit')),
  agent: async (c, arg) => {
    const [name, host] = arg.split('@')
    const { agents } = await c.get('/v1/agents')
    return agents.find(a => a.name === name && a.host === host && !a.self) != null ? `${name} on ${host}` : undefined
  },
  'one-direct': async (c, peer) => {
    const links = (await c.get('/v1/peers')).find(x => x.peerId === peer)?.connections ?? []
    return links.length === 1 && links[0].kind === 'direct' ? links[0].remoteAddr : undefined
  },
  punched: async (c, peer) => {
    const p = (await c.get('/v1/peers')).find(x => x.peerId === peer)
    const link = p?.connections?.find(x => x.kind === 'hole-punched')
    return link == null ? undefined : `${p.holePunch?.ms ?? '?'} ms; ICE pair ${link.ice ?? 'unknown'}`
  },
  'punch-failed': async (c, peer) => {
    const p = (await c.get('/v1/peers')).find(x => x.peerId === peer)
    return p?.holePunch?.state === 'failed' ? `after ${p.holePunch.ms} ms: ${p.holePunch.reason}` : undefined
  },
  chunk: async (c, id) => {
    try {
      return (await c.get(`/v1/memory/chunks/${encodeURIComponent(id)}`)).id
    } catch {
      return undefined
    }
  }
}

function percentile (sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p / 100 * sorted.length) - 1))]
}

switch (cmd) {
  case 'config': {
    const [dataDir, json] = args
    const { updateConfigFile } = await import(pathToFileURL(join(root, 'packages', 'config', 'dist', 'src', 'index.js')).href)
    await updateConfigFile(join(dataDir, 'overmind.config.yaml'), JSON.parse(json))
    break
  }
  case 'get': {
    const [file, expr] = args
    // eslint-disable-next-line no-new-func
    const value = new Function('j', `return (${expr})`)(JSON.parse(readFileSync(file, 'utf8')))
    process.stdout.write((typeof value === 'string' ? value : JSON.stringify(value)) + '\n')
    break
  }
  case 'wait': {
    const [dataDir, what, timeout] = args
    const [kind, ...rest] = what.split(':')
    const test = conditions[kind]
    if (test == null) throw new Error(`unknown condition ${what}`)
    const start = Date.now()
    let last = 'no answer yet'
    while (Date.now() - start < Number(timeout)) {
      try {
        const detail = await test(api(dataDir), rest.join(':'))
        if (detail != null) {
          process.stdout.write(`${Date.now() - start} ${detail}\n`)
          process.exit(0)
        }
        last = 'not yet'
      } catch (err) {
        last = err.message
      }
      await sleep(100)
    }
    process.stderr.write(`timed out after ${timeout} ms waiting for ${what} (${last})\n`)
    process.exit(1)
    break
  }
  case 'bench': {
    const [dataDir, agent, input, n] = args
    const c = api(dataDir)
    const ms = []
    const errors = []
    for (let i = 0; i < Number(n); i++) {
      const t = performance.now()
      try {
        const out = await c.run(agent, `${input} ${i}`)
        // upper answers in capitals, echo with the input itself
        const expected = agent === 'upper' ? `${input} ${i}`.toUpperCase() : `${input} ${i}`
        if (out.output !== expected) throw new Error(`unexpected output ${JSON.stringify(out.output)}`)
        ms.push(performance.now() - t)
      } catch (err) {
        errors.push(`${err.name}: ${err.message}`)
      }
    }
    process.stdout.write(JSON.stringify({ ok: ms.length, failed: errors.length, ms: ms.map(x => Math.round(x * 10) / 10), errors }) + '\n')
    break
  }
  case 'stats': {
    const xs = readFileSync(0, 'utf8').split(/\s+/).filter(Boolean).map(Number).sort((a, b) => a - b)
    if (xs.length === 0) { process.stdout.write('n=0\n'); break }
    const f = x => Number.isInteger(x) ? String(x) : x.toFixed(1)
    process.stdout.write(`n=${xs.length} p50=${f(percentile(xs, 50))} ms p99=${f(percentile(xs, 99))} ms min=${f(xs[0])} ms max=${f(xs[xs.length - 1])} ms\n`)
    break
  }
  default:
    process.stderr.write('usage: lab.mjs config|get|wait|bench|stats ...\n')
    process.exit(64)
}
