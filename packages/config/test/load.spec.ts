import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/index.js'

describe('loadConfig', () => {
  let dir: string

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'overmind-config-'))
  })

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('says clearly that a missing file does not exist', async () => {
    const path = join(dir, 'missing.yaml')

    await assert.rejects(loadConfig(path), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.equal(err.file, path)
      assert.equal(err.message, `${path}: config file does not exist`)
      return true
    })
  })

  it('reports a directory as unreadable', async () => {
    await assert.rejects(loadConfig(dir), /cannot read config file/)
  })

  it('loads a file and names it in errors', async () => {
    const path = join(dir, 'overmind.config.yaml')
    await writeFile(path, 'heartbeat:\n  interval: ${HB:-2s}\n')
    assert.equal((await loadConfig(path, { env: {} })).heartbeat.interval, 2_000)

    await writeFile(path, 'heartbeat:\n  interval: nope\n')
    await assert.rejects(loadConfig(path, { env: {} }), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.ok(err.message.startsWith(`${path}:2:13: heartbeat.interval: `))
      return true
    })
  })

  it('refuses an empty file, naming it', async () => {
    const path = join(dir, 'empty.yaml')
    await writeFile(path, '')
    await assert.rejects(loadConfig(path), (err: unknown) => {
      assert.ok(err instanceof ConfigError)
      assert.ok(err.message.startsWith(`${path}:1:1: the file holds no settings`), err.message)
      return true
    })
  })
})
