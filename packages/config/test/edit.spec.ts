import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'vitest'
import { loadConfig, renderConfigTemplate, updateConfigFile } from '../src/index.js'

describe('updateConfigFile', () => {
  it('sets dotted keys and keeps the comments of the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overmind-config-'))
    try {
      const file = join(dir, 'overmind.config.yaml')
      await writeFile(file, renderConfigTemplate({ mesh: 'lab' }))
      await updateConfigFile(file, { 'heartbeat.interval': '2s', 'discovery.targetPeers': 3, listen: ['/ip4/127.0.0.1/tcp/0'] })
      const config = await loadConfig(file)
      assert.equal(config.heartbeat.interval, 2_000)
      assert.equal(config.discovery.targetPeers, 3)
      assert.deepEqual(config.listen, ['/ip4/127.0.0.1/tcp/0'])
      assert.equal(config.mesh.name, 'lab')
      const text = await readFile(file, 'utf8')
      const comments = (s: string): number => s.split('\n').filter(l => l.trim().startsWith('#')).length
      assert.equal(comments(text), comments(renderConfigTemplate({ mesh: 'lab' })))
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
