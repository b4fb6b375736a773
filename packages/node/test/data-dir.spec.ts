import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CONFIG_FILE, initDataDir, openDataDir, readMeshKey } from '../src/data-dir.js'
import { DataDirError, InvalidKeyFileError } from '../src/errors.js'

const PSK_FORMAT = /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/
const SECRETS = ['peer.key', 'mesh.key', 'api.token']

describe('data dir', () => {
  let root: string
  let count = 0

  /** A path inside the temp root that does not exist yet */
  function freshDir (): string {
    return join(root, `dir-${++count}`)
  }

  async function snapshot (dir: string): Promise<Record<string, Buffer>> {
    const files: Record<string, Buffer> = {}
    for (const name of [...SECRETS, CONFIG_FILE]) {
      files[name] = await readFile(join(dir, name))
    }
    return files
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'overmind-data-dir-'))
  })

  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  describe('initDataDir', () => {
    it('creates the identity, mesh key and API token with mode 0600, and a config file', async () => {
      const dir = freshDir()
      const result = await initDataDir(dir, { mesh: 'demo' })

      assert.equal(result.dataDir, dir)
      assert.equal(result.mesh, 'demo')
      assert.equal(result.importedMeshKey, false)
      assert.equal(result.meshKeyFile, join(dir, 'mesh.key'))
      assert.equal(result.configFile, join(dir, CONFIG_FILE))
      assert.match(result.peerId, /^12D3KooW/)

      for (const name of SECRETS) {
        assert.equal((await stat(join(dir, name))).mode & 0o777, 0o600, `${name} mode`)
      }
      const config = await readFile(join(dir, CONFIG_FILE), 'utf8')
      assert.match(config, /^ {2}name: demo$/m)
      assert.ok((await readFile(join(dir, 'api.token'), 'utf8')).trim().length >= 16)
    })

    it('writes a 95 byte mesh key in the pnet format', async () => {
      const dir = freshDir()
      await initDataDir(dir, { mesh: 'demo' })

      const key = await readFile(join(dir, 'mesh.key'))
      assert.equal(key.byteLength, 95)
      assert.match(key.toString('utf8'), PSK_FORMAT)
    })

    it('generates a different identity and mesh key for each data dir', async () => {
      const a = freshDir()
      const b = freshDir()
      const ra = await initDataDir(a, { mesh: 'demo' })
      const rb = await initDataDir(b, { mesh: 'demo' })

      assert.notEqual(ra.peerId, rb.peerId)
      assert.notDeepEqual(await readFile(join(a, 'mesh.key')), await readFile(join(b, 'mesh.key')))
      assert.notDeepEqual(await readFile(join(a, 'api.token')), await readFile(join(b, 'api.token')))
    })

    it('copies an imported mesh key byte for byte', async () => {
      const first = freshDir()
      await initDataDir(first, { mesh: 'demo' })
      const source = join(first, 'mesh.key')

      const second = freshDir()
      const result = await initDataDir(second, { mesh: 'demo', meshKeyFile: source })

      assert.equal(result.importedMeshKey, true)
      assert.deepEqual(await readFile(join(second, 'mesh.key')), await readFile(source))
      assert.equal((await stat(join(second, 'mesh.key'))).mode & 0o777, 0o600)
    })

    it('refuses to overwrite an initialised dir and leaves its files unchanged', async () => {
      const dir = freshDir()
      await initDataDir(dir, { mesh: 'demo' })
      const before = await snapshot(dir)

      await assert.rejects(initDataDir(dir, { mesh: 'other' }), (err: unknown) => {
        assert.ok(err instanceof DataDirError)
        assert.match(err.message, /already initialised/)
        return true
      })

      assert.deepEqual(await snapshot(dir), before)
    })

    it('refuses a dir that holds only an api.token before writing anything', async () => {
      const dir = freshDir()
      await mkdir(dir)
      await writeFile(join(dir, 'api.token'), 'x'.repeat(64) + '\n')

      await assert.rejects(initDataDir(dir, { mesh: 'demo' }), (err: unknown) => {
        assert.ok(err instanceof DataDirError, `expected DataDirError, got ${String(err)}`)
        return true
      })
      assert.deepEqual(await readdir(dir), ['api.token'])
    })

    it('refuses an invalid mesh name before anything is written', async () => {
      const absent = freshDir()
      await assert.rejects(initDataDir(absent, { mesh: 'Bad Name!' }), (err: unknown) => {
        assert.ok(err instanceof Error)
        assert.equal(err.name, 'ConfigError')
        assert.match(err.message, /mesh\.name/)
        return true
      })
      await assert.rejects(stat(absent), { code: 'ENOENT' })

      const empty = freshDir()
      await mkdir(empty)
      await assert.rejects(initDataDir(empty, { mesh: 'Bad Name!' }), { name: 'ConfigError' })
      assert.deepEqual(await readdir(empty), [])
    })

    it('refuses a malformed mesh key to import before anything is written', async () => {
      const source = join(root, 'bad-import.key')
      await writeFile(source, 'not a key\n')
      const dir = freshDir()

      await assert.rejects(initDataDir(dir, { mesh: 'demo', meshKeyFile: source }), InvalidKeyFileError)
      await assert.rejects(stat(dir), { code: 'ENOENT' })
    })
  })

  describe('openDataDir', () => {
    it('loads the same identity on every open', async () => {
      const dir = freshDir()
      const init = await initDataDir(dir, { mesh: 'demo' })

      const first = await openDataDir(dir, { env: {} })
      const second = await openDataDir(dir, { env: {} })

      assert.equal(peerIdFromPrivateKey(first.privateKey).toString(), init.peerId)
      assert.equal(peerIdFromPrivateKey(second.privateKey).toString(), init.peerId)
    })

    it('returns the config, mesh key, API token and paths of the dir', async () => {
      const dir = freshDir()
      await initDataDir(dir, { mesh: 'demo' })

      const opened = await openDataDir(dir, { env: {} })

      assert.equal(opened.path, dir)
      assert.equal(opened.config.mesh.name, 'demo')
      assert.deepEqual(opened.psk, new Uint8Array(await readFile(join(dir, 'mesh.key'))))
      assert.equal(opened.apiToken, (await readFile(join(dir, 'api.token'), 'utf8')).trim())
      assert.deepEqual(opened.paths, {
        config: join(dir, CONFIG_FILE),
        meshKey: join(dir, 'mesh.key'),
        peerKey: join(dir, 'peer.key'),
        apiToken: join(dir, 'api.token'),
        apiState: join(dir, 'api.json'),
        datastore: join(dir, 'datastore'),
        memory: join(dir, 'memory')
      })
    })

    it('refuses a dir that does not exist and says to run overmind init', async () => {
      const dir = freshDir()

      await assert.rejects(openDataDir(dir, { env: {} }), (err: unknown) => {
        assert.ok(err instanceof DataDirError)
        assert.match(err.message, /overmind init/)
        assert.ok(err.message.includes(dir))
        return true
      })
    })

    it('refuses a dir without a config file', async () => {
      const dir = freshDir()
      await mkdir(dir)

      await assert.rejects(openDataDir(dir, { env: {} }), (err: unknown) => {
        assert.ok(err instanceof DataDirError)
        assert.ok(err.message.includes(join(dir, CONFIG_FILE)))
        return true
      })
    })

    it('names the file and mesh.keyFile when the configured mesh key is missing', async () => {
      const dir = freshDir()
      await initDataDir(dir, { mesh: 'demo' })
      const configFile = join(dir, CONFIG_FILE)
      const config = await readFile(configFile, 'utf8')
      assert.match(config, /keyFile: mesh\.key/)
      await writeFile(configFile, config.replace('keyFile: mesh.key', 'keyFile: missing.key'))

      await assert.rejects(openDataDir(dir, { env: {} }), (err: unknown) => {
        assert.ok(err instanceof InvalidKeyFileError)
        assert.ok(err.message.includes(join(dir, 'missing.key')), err.message)
        assert.ok(err.message.includes('mesh.keyFile'), err.message)
        return true
      })
    })

    it('refuses a peer key that is not a libp2p private key', async () => {
      const dir = freshDir()
      await initDataDir(dir, { mesh: 'demo' })
      await writeFile(join(dir, 'peer.key'), 'garbage')

      await assert.rejects(openDataDir(dir, { env: {} }), (err: unknown) => {
        assert.ok(err instanceof InvalidKeyFileError)
        assert.ok(err.message.includes(join(dir, 'peer.key')))
        assert.match(err.message, /identity\.keyFile/)
        return true
      })
    })

    it('refuses an API token shorter than 16 characters', async () => {
      const dir = freshDir()
      await initDataDir(dir, { mesh: 'demo' })
      await writeFile(join(dir, 'api.token'), 'short\n')

      await assert.rejects(openDataDir(dir, { env: {} }), (err: unknown) => {
        assert.ok(err instanceof DataDirError)
        assert.match(err.message, /api\.tokenFile/)
        return true
      })
    })

    it('reports an unknown config key by name and line as a ConfigError', async () => {
      const dir = freshDir()
      await initDataDir(dir, { mesh: 'demo' })
      const configFile = join(dir, CONFIG_FILE)
      const lines = (await readFile(configFile, 'utf8')).split('\n')
      const section = lines.indexOf('heartbeat:')
      assert.ok(section >= 0)
      lines.splice(section + 1, 0, '  colour: blue')
      await writeFile(configFile, lines.join('\n'))
      const line = section + 2

      await assert.rejects(openDataDir(dir, { env: {} }), (err: any) => {
        assert.equal(err.name, 'ConfigError')
        assert.ok(err.message.includes('heartbeat.colour'), err.message)
        assert.ok(err.message.includes(`${configFile}:${line}:`), err.message)
        assert.equal(err.line, line)
        return true
      })
    })
  })

  describe('readMeshKey', () => {
    it('reads a key in the pnet format and normalises it', async () => {
      const file = join(root, 'upper.key')
      const hex = 'AB'.repeat(32)
      await writeFile(file, `/key/swarm/psk/1.0.0/\r\n/base16/\r\n${hex}\n`)

      const key = new TextDecoder().decode(await readMeshKey(file))
      assert.equal(key, `/key/swarm/psk/1.0.0/\n/base16/\n${'ab'.repeat(32)}`)
    })

    it('throws InvalidKeyFileError naming a malformed file', async () => {
      const file = join(root, 'malformed.key')
      await writeFile(file, '/key/swarm/psk/1.0.0/\n/base16/\nnot-hex\n')

      await assert.rejects(readMeshKey(file), (err: unknown) => {
        assert.ok(err instanceof InvalidKeyFileError)
        assert.equal(err.name, 'InvalidKeyFileError')
        assert.ok(err.message.includes(file), err.message)
        return true
      })
    })

    it('refuses a key with too few hex digits', async () => {
      const file = join(root, 'short.key')
      await writeFile(file, `/key/swarm/psk/1.0.0/\n/base16/\n${'a'.repeat(63)}`)

      await assert.rejects(readMeshKey(file), InvalidKeyFileError)
    })

    it('says when the file does not exist', async () => {
      const file = join(root, 'nope.key')

      await assert.rejects(readMeshKey(file), (err: unknown) => {
        assert.ok(err instanceof InvalidKeyFileError)
        assert.ok(err.message.includes(file))
        assert.match(err.message, /no such file/)
        return true
      })
    })
  })
})
