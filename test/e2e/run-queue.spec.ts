import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { callOperation } from '@overmind/api'
import { LevelDatastore } from 'datastore-level'
import { agents } from '../src/agents.js'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import type { QueuedRun } from '@overmind/agents'
import type { OvermindNode } from '@overmind/node'

describe('runs kept for hosts that are away', () => {
  const psk = meshKey()
  const nodes: OvermindNode[] = []
  let scratch = ''
  let datastore: LevelDatastore
  let caller: OvermindNode

  const queued = (node: OvermindNode, id: string): QueuedRun | undefined => node.libp2p.services.runAgent.queued(id)

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'run-queue-'))
    datastore = new LevelDatastore(join(scratch, 'datastore'))
    await datastore.open()
    caller = await startTestNode({ psk, datastore })
    nodes.push(caller)
  })

  afterAll(async () => {
    await Promise.all(nodes.map(async n => { await n.stop() }))
    await datastore.close()
    await rm(scratch, { recursive: true, force: true })
  })

  it('keeps a run for an agent nobody hosts yet, and delivers it when a host starts 20 s later', async () => {
    const answer = await callOperation(caller, 'agent.run', { agent: 'late-echo', input: 'kept for later', queueTtl: 120_000 }) as { queued?: { id: string, expiresAt: number } }
    assert.ok(answer.queued != null, JSON.stringify(answer))
    const { id } = answer.queued
    assert.equal(queued(caller, id)?.state, 'queued')
    await delay(20_000)
    assert.equal(queued(caller, id)?.state, 'queued', 'nothing ran it while no host was there')
    const host = await startTestNode({ psk, bootstrap: [tcpAddress(caller)], config: config => { config.agents = agents([{ name: 'late-echo', runner: 'builtin', builtin: 'echo' }]) } })
    nodes.push(host)
    const done = await waitFor(() => { const run = queued(caller, id); return run?.state === 'ok' ? run : undefined }, { timeout: 30_000, message: () => `the run to be delivered: ${JSON.stringify(queued(caller, id))}` })
    assert.equal(done.output, 'kept for later')
    assert.equal(done.host, host.peerId)
    const listed = await callOperation(caller, 'agent.queued', { id }) as { runs: QueuedRun[] }
    assert.equal(listed.runs[0].output, 'kept for later')
  })

  it('fails a run whose time in the queue runs out with QueueExpiredError, and refuses an unknown id', async () => {
    const run = await caller.libp2p.services.runAgent.enqueue('never-hosted', new TextEncoder().encode('x'), { ttl: 1_500 })
    const ended = await waitFor(() => { const r = queued(caller, run.id); return r?.state === 'expired' ? r : undefined }, { timeout: 15_000, message: 'the run to expire' })
    assert.equal(ended.error?.name, 'QueueExpiredError')
    assert.match(ended.error?.message ?? '', /"never-hosted"/)
    await assert.rejects(callOperation(caller, 'agent.queued', { id: 'f'.repeat(24) }), { name: 'InvalidParamsError' })
    // without queueTtl, an agent nobody hosts fails at once as before
    await assert.rejects(callOperation(caller, 'agent.run', { agent: 'never-hosted', input: 'x' }), { name: 'AgentNotFoundError' })
  })

  it('keeps its queue across a restart of the caller\'s node', async () => {
    const run = await caller.libp2p.services.runAgent.enqueue({ skill: 'stamping' }, new TextEncoder().encode('after the restart'), { ttl: 120_000 })
    await caller.stop()
    nodes.splice(nodes.indexOf(caller), 1)
    // the same datastore, a new process's worth of state
    caller = await startTestNode({ psk, datastore, privateKey: await generateKeyPair('Ed25519') })
    nodes.push(caller)
    await waitFor(() => queued(caller, run.id)?.state === 'queued', { timeout: 10_000, message: 'the restarted node to read its queue' })
    const host = await startTestNode({ psk, bootstrap: [tcpAddress(caller)], config: config => { config.agents = agents([{ name: 'stamper', runner: 'builtin', builtin: 'echo', skills: ['stamping'] }]) } })
    nodes.push(host)
    const done = await waitFor(() => { const r = queued(caller, run.id); return r?.state === 'ok' ? r : undefined }, { timeout: 30_000, message: () => `the run to be delivered after the restart: ${JSON.stringify(queued(caller, run.id))}` })
    assert.deepEqual([done.output, done.agent, done.host], ['after the restart', 'stamper', host.peerId])
  })

  it('a session agent\'s host journals a run with a key: asked again after the host restarts, it answers with the journaled output and no worker runs it', async () => {
    const hostKey = await generateKeyPair('Ed25519')
    const hostStore = new LevelDatastore(join(scratch, 'host-datastore'))
    await hostStore.open()
    const startHost = async (): Promise<OvermindNode> => {
      const host = await startTestNode({ psk, datastore: hostStore, privateKey: hostKey, bootstrap: [tcpAddress(caller)], config: config => { config.agents = agents([{ name: 'scribe', runner: 'session' }]) } })
      nodes.push(host)
      await waitFor(() => caller.libp2p.services.runAgent.agents().some(a => a.name === 'scribe' && a.host === host.peerId && a.status === 'connected'), { timeout: 20_000, message: 'the caller to see the scribe' })
      return host
    }
    let host = await startHost()
    const progress: string[] = []
    const asked = callOperation(caller, 'agent.run', { agent: 'scribe', input: 'take a note', key: 'note-1', deadline: 30_000 }, { onStatus: message => { progress.push(message) } })
    const { task } = await callOperation(host, 'task.claim', { wait: 10_000 }) as { task: { id: string, lease: string, input: string, caller: string } }
    assert.deepEqual([task.input, task.caller], ['take a note', caller.peerId])
    await callOperation(host, 'task.progress', { id: task.id, lease: task.lease, message: 'writing it down' })
    await callOperation(host, 'task.complete', { id: task.id, lease: task.lease, output: 'noted' })
    assert.equal((await asked).output, 'noted')
    assert.deepEqual(progress, ['writing it down'], 'the worker\'s progress crossed the wire')
    await host.stop()
    nodes.splice(nodes.indexOf(host), 1)
    host = await startHost()
    // no worker now: the same key is answered from the journal, another key waits for a worker in vain
    const again = await callOperation(caller, 'agent.run', { agent: 'scribe', input: 'take a note', key: 'note-1', deadline: 10_000 }) as { output: string, host: string }
    assert.deepEqual([again.output, again.host], ['noted', host.peerId])
    await assert.rejects(callOperation(caller, 'agent.run', { agent: 'scribe', input: 'take a note', key: 'note-2', deadline: 1_500 }), { name: 'DeadlineExceededError' })
    await host.stop()
    nodes.splice(nodes.indexOf(host), 1)
    await hostStore.close()
  })
})
