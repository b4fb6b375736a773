import assert from 'node:assert/strict'
import { readFile, stat, writeFile, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { BIN, NodeProcess, ROOT, overmind, setConfig, tempDir } from '../src/cli.js'

describe('overmind CLI', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>

  beforeAll(async () => {
    dir = await tempDir()
  })

  afterAll(async () => {
    await dir.remove()
  })

  describe('help', { concurrent: true }, () => {
    it('lists every command in `overmind --help`', async () => {
      const res = await overmind(['--help'])
      assert.equal(res.code, 0)
      for (const command of ['init', 'start', 'status', 'peers', 'demo']) {
        assert.match(res.stdout, new RegExp(`^\\s+${command}\\b`, 'm'), `--help does not list ${command}`)
      }
      assert.match(res.stdout, /OVERMIND_DATA_DIR/)
    })

    for (const [command, options] of [
      ['init', ['--data-dir', '--mesh', '--mesh-key-file', '--json']],
      ['start', ['--data-dir', '--listen', '--bootstrap', '--mdns', '--dev', '--api-port', '--log-level']],
      ['status', ['--data-dir', '--json']],
      ['peers', ['--data-dir', '--json']],
      ['demo', ['--nodes', '--duration', '--interval']]
    ] as const) {
      it(`documents every option of \`${command}\``, async () => {
        const res = await overmind([command, '--help'])
        assert.equal(res.code, 0)
        for (const option of options) {
          assert.ok(res.stdout.includes(option), `${command} --help lacks ${option}`)
        }
        assert.match(res.stdout, /Examples?:|JSON/)
      })
    }

    it('exits with 2 and a hint on an unknown command or option', async () => {
      const res = await overmind(['statuss'])
      assert.equal(res.code, 2)
      assert.match(res.stderr, /unknown command/)
      const opt = await overmind(['status', '--bogus'])
      assert.equal(opt.code, 2)
      assert.match(opt.stderr, /unknown option/)
    })
  })

  describe('init', () => {
    it('creates a data dir with secrets readable only by the owner', async () => {
      const dataDir = join(dir.path, 'a')
      const res = await overmind(['init', '--data-dir', dataDir, '--mesh', 'lab', '--json'])
      assert.equal(res.code, 0, res.stderr)
      const out = JSON.parse(res.stdout)
      assert.match(out.peerId, /^12D3KooW/)
      assert.equal(out.mesh, 'lab')
      for (const file of ['peer.key', 'mesh.key', 'api.token']) {
        assert.equal((await stat(join(dataDir, file))).mode & 0o777, 0o600, file)
      }
      const key = await readFile(join(dataDir, 'mesh.key'), 'utf8')
      assert.match(key, /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/)
      const config = await readFile(join(dataDir, 'overmind.config.yaml'), 'utf8')
      assert.match(config, /^\s*name: lab/m)
      assert.match(config, /^#/m)
    })

    it('imports a mesh key with --mesh-key-file and reads OVERMIND_DATA_DIR', async () => {
      const dataDir = join(dir.path, 'b')
      const res = await overmind(['init', '--mesh', 'lab', '--mesh-key-file', join(dir.path, 'a', 'mesh.key')], { env: { OVERMIND_DATA_DIR: dataDir } })
      assert.equal(res.code, 0, res.stderr)
      assert.equal(await readFile(join(dataDir, 'mesh.key'), 'utf8'), await readFile(join(dir.path, 'a', 'mesh.key'), 'utf8'))
    })

    it('refuses to overwrite an existing identity', async () => {
      const before = await readFile(join(dir.path, 'a', 'peer.key'))
      const res = await overmind(['init', '--data-dir', join(dir.path, 'a')])
      assert.equal(res.code, 1)
      assert.match(res.stderr, /already initialised/)
      assert.deepEqual(await readFile(join(dir.path, 'a', 'peer.key')), before)
    })

    it('refuses a malformed mesh key file, naming it', async () => {
      const bad = join(dir.path, 'bad.key')
      await writeFile(bad, 'not a key')
      const res = await overmind(['init', '--data-dir', join(dir.path, 'c'), '--mesh-key-file', bad])
      assert.equal(res.code, 1)
      assert.ok(res.stderr.includes(bad))
    })
  })

  describe('bad config', { concurrent: true }, () => {
    async function startWith (name: string, edit: (config: string) => string): Promise<{ code: number | null, stderr: string }> {
      const dataDir = join(dir.path, name)
      assert.equal((await overmind(['init', '--data-dir', dataDir])).code, 0)
      const file = join(dataDir, 'overmind.config.yaml')
      await writeFile(file, edit(await readFile(file, 'utf8')))
      return await overmind(['start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0'], { timeout: 20_000 })
    }

    it('exits non-zero naming an unknown key and its line', async () => {
      const res = await startWith('unknown-key', c => c.replace(/^(\s*)interval: 30s/m, '$1intervall: 30s'))
      assert.equal(res.code, 1)
      assert.match(res.stderr, /overmind\.config\.yaml:\d+:\d+: heartbeat\.intervall: unknown key.*"interval"/)
    })

    it('exits non-zero naming a key of the wrong type, its line and what is expected', async () => {
      const res = await startWith('wrong-type', c => c.replace(/^(\s*)staleAfter: 2/m, '$1staleAfter: often'))
      assert.equal(res.code, 1)
      assert.match(res.stderr, /overmind\.config\.yaml:\d+:\d+: heartbeat\.staleAfter: expected/)
    })

    it('exits non-zero naming a missing mesh key file and the config key', async () => {
      const dataDir = join(dir.path, 'no-key')
      assert.equal((await overmind(['init', '--data-dir', dataDir])).code, 0)
      await rm(join(dataDir, 'mesh.key'))
      const res = await overmind(['start', '--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0'], { timeout: 20_000 })
      assert.equal(res.code, 1)
      assert.match(res.stderr, /mesh key file .*mesh\.key \(config key mesh\.keyFile\).*no such file/)
    })

    it('exits non-zero on an unset ${ENV} variable, naming it', async () => {
      const res = await startWith('env', c => c.replace(/^(\s*)name: overmind/m, '$1name: ${OVERMIND_TEST_UNSET_MESH}'))
      assert.equal(res.code, 1)
      assert.match(res.stderr, /OVERMIND_TEST_UNSET_MESH/)
      assert.match(res.stderr, /mesh\.name/)
    })

    it('exits non-zero on a data dir that does not exist, saying how to create one', async () => {
      const res = await overmind(['start', '--data-dir', join(dir.path, 'nowhere')])
      assert.equal(res.code, 1)
      assert.match(res.stderr, /overmind init/)
    })
  })

  describe('memory without a running node', () => {
    it('runs the same operations as the API over the store itself: the same checks, and what needs the mesh says so', async () => {
      const dataDir = join(dir.path, 'offline')
      assert.equal((await overmind(['init', '--data-dir', dataDir, '--mesh', 'offline'])).code, 0)
      await setConfig(dataDir, { 'memory.embedder': 'hash' })
      const put = await overmind(['memory', 'put', '--data-dir', dataDir, '--tags', 'dns', 'the resolver caches negative answers', '--json'])
      assert.equal(put.code, 0, put.stderr)
      assert.equal(JSON.parse(put.stdout).tags[0], 'dns')
      // a tag longer than the wire's 64 bytes is refused as the JSON-RPC bridge refuses it
      const long = await overmind(['memory', 'put', '--data-dir', dataDir, '--tags', 't'.repeat(65), 'x'])
      assert.equal(long.code, 1)
      assert.match(long.stderr, /InvalidParamsError: tags\.0: .*64/)
      const found = await overmind(['memory', 'search', '--data-dir', dataDir, 'negative answers', '--json'])
      assert.equal(found.code, 0, found.stderr)
      assert.equal(JSON.parse(found.stdout)[0].text, 'the resolver caches negative answers')
      const federated = await overmind(['memory', 'search', '--data-dir', dataDir, '--federated', 'x'])
      assert.equal(federated.code, 3)
      assert.match(federated.stderr, /NodeNotRunningError: a federated search, which asks the mesh, needs the running node/)
    })
  })

  describe('status and peers', () => {
    it('exit with 3 when no node runs on the data dir', async () => {
      for (const command of ['status', 'peers']) {
        const res = await overmind([command, '--data-dir', join(dir.path, 'a'), '--json'])
        assert.equal(res.code, 3)
        assert.match(res.stderr, /no node is running/)
      }
    })

    it('print text and JSON from a running node, and refuse a second node on the same data dir', async () => {
      const node = await NodeProcess.start(join(dir.path, 'a'), ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0'])
      try {
        const text = await overmind(['status', '--data-dir', join(dir.path, 'a')])
        assert.equal(text.code, 0)
        assert.match(text.stdout, /peer id\s+12D3KooW/)
        assert.match(text.stdout, /heartbeat\s+every 30 s/)
        const peers = await overmind(['peers', '--data-dir', join(dir.path, 'a')])
        assert.equal(peers.code, 0)
        assert.match(peers.stdout, /no peers known yet/)
        const status = await node.cliStatus()
        assert.match(String((status as unknown as { api: { url: string } }).api.url), /^http:\/\/127\.0\.0\.1:\d+$/)
        const second = await overmind(['start', '--data-dir', join(dir.path, 'a'), '--listen', '/ip4/127.0.0.1/tcp/0'])
        assert.equal(second.code, 1)
        assert.match(second.stderr, /already running/)
      } finally {
        assert.equal((await node.stop()).code, 0)
      }
    })

    it('load only the API client when they talk to a running node (no libp2p, store or servers)', async () => {
      assert.equal((await overmind(['init', '--data-dir', join(dir.path, 'c'), '--mesh', 'fast-cli'])).code, 0)
      const node = await NodeProcess.start(join(dir.path, 'c'), ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0', '--no-mdns'])
      // a preload records every module the CLI resolves, and prints the list on exit
      const preload = join(dir.path, 'record-modules.mjs')
      await writeFile(preload, [
        "import { registerHooks } from 'node:module'",
        "import { writeSync } from 'node:fs'",
        'const urls = []',
        'registerHooks({ resolve (specifier, context, next) { const r = next(specifier, context); urls.push(r.url); return r } })',
        "process.on('exit', () => { writeSync(2, '\\nloaded ' + JSON.stringify(urls) + '\\n') })"
      ].join('\n'))
      const bundle = dirname(BIN)
      const meta: { outputs: Record<string, string[]> } = JSON.parse(await readFile(join(bundle, 'meta.json'), 'utf8'))
      const bundled = new Map(Object.entries(meta.outputs).map(([file, inputs]) => [join(bundle, file), inputs.map(input => join(ROOT, input))]))
      const heavy = /node_modules\/(?:\.pnpm\/)?(?:@libp2p|libp2p|level|classic-level|express|@modelcontextprotocol|@a2a-js|hnswlib|@huggingface|onnxruntime|yaml|zod)|packages\/(?:memory\/dist\/src\/store|node\/dist\/src\/node|config\/dist\/src\/load)\.js/
      try {
        for (const args of [['--help'], ['--version'], ['status', '--json'], ['peers', '--json'], ['agents', '--json'], ['status', '--help']]) {
          const res = await overmind([...args, ...(args[0].startsWith('-') || args[1] === '--help' ? [] : ['--data-dir', join(dir.path, 'c')])], { env: { NODE_OPTIONS: `--import=${preload}` } })
          assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`)
          const line = res.stderr.split('\n').find(l => l.startsWith('loaded '))
          assert.ok(line != null, res.stderr)
          // a file of the bundle stands for the modules it holds
          const urls: string[] = (JSON.parse(line.slice('loaded '.length)) as string[])
            .flatMap(url => url.startsWith('file:') ? bundled.get(fileURLToPath(url)) ?? [url] : [url])
          assert.ok(urls.some(u => u.endsWith('/apps/cli/dist/src/program.js')), `the recorder saw the CLI load: ${urls.length} modules`)
          assert.deepEqual(urls.filter(u => heavy.test(u)), [], `overmind ${args.join(' ')} loads only what it needs`)
        }
      } finally {
        assert.equal((await node.stop()).code, 0)
      }
    })
  })
})
