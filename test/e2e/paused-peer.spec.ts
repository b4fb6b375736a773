import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, it } from 'vitest'
import { NodeProcess, overmind, tempDir } from '../src/cli.js'
import { startTestNode } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import type { OvermindNode } from '@overmind/node'

/**
 * libp2p by default pings every 10 s and gives up after 5 s: its ping at 10 s
 * fails during this pause. Ours (every 15 s, 15 s to answer) waits it out.
 */
const PAUSE_MS = 20_000

describe('a peer whose process pauses', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined
  let paused: NodeProcess | undefined
  let watcher: OvermindNode | undefined

  afterAll(async () => {
    paused?.child.kill('SIGCONT')
    await paused?.kill()
    await watcher?.stop()
    await dir?.remove()
  })

  it('keeps its links through a pause of several seconds (a busy or suspended machine), so nothing has to redial', async () => {
    dir = await tempDir()
    const dataDir = join(dir.path, 'paused')
    const init = await overmind(['init', '--data-dir', dataDir, '--mesh', 'test'])
    assert.equal(init.code, 0, init.stderr)
    paused = await NodeProcess.start(dataDir, ['--listen', '/ip4/127.0.0.1/tcp/0', '--api-port', '0'])
    const status = await paused.status()
    const address = status.addresses.find(a => a.includes('/tcp/') && !a.includes('/ws'))
    assert.ok(address != null)
    watcher = await startTestNode({ psk: await readFile(join(dataDir, 'mesh.key')), bootstrap: [address] })
    const peer = (): string | undefined => watcher?.libp2p.getConnections().find(c => c.remotePeer.toString() === status.peerId && c.status === 'open')?.id
    const before = await waitFor(peer, { message: 'the watcher to connect to the node' })

    paused.child.kill('SIGSTOP')
    await delay(PAUSE_MS)
    paused.child.kill('SIGCONT')
    await delay(1_000)
    // libp2p's connection monitor pinged the paused node meanwhile: the link
    // is the same one, not one dialled again after an abort
    assert.equal(peer(), before, 'the connection opened before the pause is still the open one')
    await waitFor(() => watcher?.peers().find(p => p.peerId === status.peerId)?.status === 'connected', { message: 'the node to show as connected' })
  })
})
