import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { Role, TaskState } from '@a2a-js/sdk'
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, RestTransportFactory } from '@a2a-js/sdk/client'
import { startApiServer } from '@overmind/node'
import { agents } from '../src/agents.js'
import { meshKey, startTestNode, tcpAddress } from '../src/in-process.js'
import { delay, waitFor } from '../src/wait.js'
import type { Message, Part, SendMessageRequest, StreamResponse, Task } from '@a2a-js/sdk'
import type { Client } from '@a2a-js/sdk/client'
import type { AgentFunction } from '@overmind/agents'
import type { ApiServer, OvermindNode } from '@overmind/node'

const text = (b: Uint8Array): string => new TextDecoder().decode(b)

/** Writes three lines with a pause between them */
const ticker: AgentFunction = async function * (input) {
  for (let i = 1; i <= 3; i++) {
    yield `${text(input)} ${i}\n`
    await delay(100)
  }
}

/** Says it started, then waits until its run is cancelled */
let waiterCancelled = 0
const waiter: AgentFunction = async function * (_input, { signal }) {
  yield 'waiting\n'
  await new Promise<void>((_resolve, reject) => {
    signal.addEventListener('abort', () => {
      waiterCancelled++
      reject(signal.reason)
    }, { once: true })
  })
}

function request (input: string, metadata: Record<string, unknown> = {}): SendMessageRequest {
  return {
    tenant: '',
    metadata: {},
    configuration: undefined,
    message: {
      messageId: randomUUID(),
      contextId: '',
      taskId: '',
      role: Role.ROLE_USER,
      parts: [{ content: { $case: 'text', value: input }, metadata: undefined, filename: '', mediaType: 'text/plain' }],
      metadata,
      extensions: [],
      referenceTaskIds: []
    }
  }
}

function partsText (parts: Part[]): string {
  return parts.map(p => p.content?.$case === 'text' ? p.content.value : '').join('')
}

function texts (message: Message | undefined): string {
  return partsText(message?.parts ?? [])
}

function artifactText (task: Task): string {
  return partsText(task.artifacts.flatMap(a => a.parts))
}

describe('A2A interface of the local API', () => {
  const token = 'a2a-test-token'
  let a: OvermindNode
  let b: OvermindNode
  let api: ApiServer
  let client: Client
  let restClient: Client
  const authorised: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers)
    headers.set('authorization', `Bearer ${token}`)
    return await fetch(input, { ...init, headers })
  }

  beforeAll(async () => {
    const psk = meshKey()
    b = await startTestNode({
      psk,
      agentFunctions: { ticker, waiter },
      config: config => {
        config.agents = agents([
          { name: 'echo-b', runner: 'builtin', builtin: 'echo', description: 'Answers with its input.', skills: ['repeat', 'mirror'] },
          { name: 'ticker', runner: 'builtin', builtin: 'ticker', skills: ['count'] },
          { name: 'waiter', runner: 'builtin', builtin: 'waiter' },
          { name: 'failing', runner: 'command', command: ['sh', '-c', 'echo broken >&2; exit 3'] }
        ])
      }
    })
    a = await startTestNode({ psk, bootstrap: [tcpAddress(b)] })
    await waitFor(() => ['echo-b', 'ticker', 'waiter', 'failing'].every(name => a.libp2p.services.runAgent.agents().some(x => x.name === name && x.host === b.peerId)),
      { timeout: 20_000, message: 'A never heard of the agents of B' })
    api = await startApiServer({ node: a, token, host: '127.0.0.1', port: 0 })
    const factory = (preferred: string): ClientFactory => new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ fetchImpl: authorised }), new RestTransportFactory({ fetchImpl: authorised })],
      cardResolver: new DefaultAgentCardResolver({ fetchImpl: authorised }),
      preferredTransports: [preferred]
    }))
    client = await factory('JSONRPC').createFromUrl(api.url)
    restClient = await factory('HTTP+JSON').createFromUrl(api.url)
  })

  afterAll(async () => {
    await api?.close()
    await Promise.all([a?.stop(), b?.stop()])
  })

  it('serves a public card (who the node is, its bindings, the bearer scheme) and an extended card with a skill per agent of the mesh', async () => {
    const open: any = await (await fetch(`${api.url}/.well-known/agent-card.json`, { headers: { 'a2a-version': '1.0' } })).json()
    assert.deepEqual(open.skills.map((s: any) => s.id), ['run-mesh-agent'], 'the public card names no agent')
    assert.equal(open.capabilities.extendedAgentCard, true)
    // the SDK's client reads the public card, sees extendedAgentCard and asks for the extended one with the token
    const card = await client.getAgentCard()
    const echo = card.skills.find(s => s.id === 'echo-b')
    assert.ok(echo != null, `skills: ${card.skills.map(s => s.id).join(', ')}`)
    assert.match(echo.description, new RegExp(b.peerId))
    assert.match(echo.description, /^Answers with its input\. /)
    assert.deepEqual(echo.tags, ['repeat', 'mirror'])
    assert.deepEqual(card.supportedInterfaces.map(i => [i.protocolBinding, i.url, i.protocolVersion]), [
      ['JSONRPC', `${api.url}/a2a/jsonrpc`, '1.0'],
      ['HTTP+JSON', `${api.url}/a2a/rest`, '1.0'],
      ['JSONRPC', `${api.url}/a2a/jsonrpc`, '0.3'],
      ['HTTP+JSON', `${api.url}/a2a/rest`, '0.3']
    ])
    assert.equal(card.capabilities?.streaming, true)
    assert.deepEqual(card.defaultInputModes, ['text/plain'])
    const bearer = card.securitySchemes.bearer?.scheme
    assert.equal(bearer?.$case, 'httpAuthSecurityScheme')
    assert.equal(bearer?.$case === 'httpAuthSecurityScheme' ? bearer.value.scheme : undefined, 'Bearer')
    assert.deepEqual(Object.keys(card.securityRequirements[0]?.schemes ?? {}), ['bearer'])
    // the wire form is the v1.0 JSON of the card
    const raw: any = await (await authorised(`${api.url}/.well-known/agent-card.json`, { headers: { 'a2a-version': '1.0' } })).json()
    assert.equal(raw.securitySchemes.bearer.httpAuthSecurityScheme.scheme, 'Bearer')
    assert.equal(raw.capabilities.streaming, true)
  })

  it('runs an agent of B through A and completes the task with its output', async () => {
    const result = await client.sendMessage(request('hello mesh', { agent: 'echo-b' }))
    assert.ok('id' in result, 'the answer is a task')
    const task = result as Task
    assert.equal(task.status?.state, TaskState.TASK_STATE_COMPLETED, texts(task.status?.message))
    assert.equal(artifactText(task), 'hello mesh')
    assert.equal(texts(task.status?.message), 'hello mesh')
    assert.equal(task.metadata?.host, b.peerId)
    const again = await client.getTask({ tenant: '', id: task.id, historyLength: undefined })
    assert.equal(again.status?.state, TaskState.TASK_STATE_COMPLETED)
    assert.equal(artifactText(again), 'hello mesh')
    const listed = await client.listTasks({
      tenant: '', contextId: task.contextId, status: TaskState.TASK_STATE_UNSPECIFIED, pageSize: undefined, pageToken: '', historyLength: undefined, statusTimestampAfter: undefined, includeArtifacts: true
    })
    assert.deepEqual(listed.tasks.map(t => [t.id, artifactText(t)]), [[task.id, 'hello mesh']])
  })

  it('runs an agent over the HTTP+JSON binding too', async () => {
    assert.equal(restClient.transport.protocolName, 'HTTP+JSON')
    const task = await restClient.sendMessage(request('over rest', { agent: 'echo-b' })) as Task
    assert.equal(task.status?.state, TaskState.TASK_STATE_COMPLETED, texts(task.status?.message))
    assert.equal(artifactText(task), 'over rest')
  })

  it('streams the output as updates before the final status', async () => {
    const events: StreamResponse[] = []
    for await (const event of client.sendMessageStream(request('tick', { agent: 'ticker' }))) events.push(event)
    const last = events.at(-1)?.payload
    assert.equal(last?.$case, 'statusUpdate')
    assert.equal(last?.$case === 'statusUpdate' ? last.value.status?.state : undefined, TaskState.TASK_STATE_COMPLETED)
    assert.equal(events[0].payload?.$case, 'task', 'the stream starts with the task')
    const updates = events.slice(1, -1)
    assert.ok(updates.length >= 1, 'at least one update comes before the final status')
    const artifacts = events.flatMap(e => e.payload?.$case === 'artifactUpdate' ? [e.payload.value] : [])
    const chunks = artifacts.filter(u => !u.lastChunk)
    assert.ok(chunks.length >= 1, 'the output streams as artifact updates')
    assert.ok(chunks.slice(1).every(u => u.append), 'later chunks append to the first')
    assert.equal(partsText(chunks.flatMap(u => u.artifact?.parts ?? [])), 'tick 1\ntick 2\ntick 3\n')
    const whole = artifacts.find(u => u.lastChunk)
    assert.equal(whole?.append, false, 'the last update replaces the chunks with the whole output')
    assert.equal(partsText(whole?.artifact?.parts ?? []), 'tick 1\ntick 2\ntick 3\n')
  })

  it('cancels a running task: the run stops on its host and the task ends canceled', async () => {
    const cancelledBefore = waiterCancelled
    const stream = client.sendMessageStream(request('wait', { agent: 'waiter' }))
    let taskId = ''
    let cancelled: Task | undefined
    let lastState: TaskState | undefined
    for await (const event of stream) {
      const payload = event.payload
      if (payload?.$case === 'task') taskId = payload.value.id
      if (payload?.$case === 'statusUpdate') lastState = payload.value.status?.state
      // the agent is running on B once its first output arrived
      if (payload?.$case === 'artifactUpdate' && cancelled == null) {
        assert.ok(a.libp2p.services.runAgent.runs().active.some(r => r.agent === 'waiter'), 'A has the run in progress')
        cancelled = await client.cancelTask({ tenant: '', id: taskId, metadata: {} })
      }
    }
    assert.equal(cancelled?.status?.state, TaskState.TASK_STATE_CANCELED)
    assert.equal(lastState, TaskState.TASK_STATE_CANCELED, 'the stream ends with the canceled status')
    assert.equal(a.libp2p.services.runAgent.runs().active.filter(r => r.agent === 'waiter').length, 0, 'no run of waiter is in progress on A')
    await waitFor(() => b.libp2p.services.runAgent.runs().active.every(r => r.agent !== 'waiter'), { timeout: 10_000, message: 'the run never ended on B' })
    assert.equal(waiterCancelled, cancelledBefore + 1, 'the agent on B saw its run cancelled')
    const task = await client.getTask({ tenant: '', id: taskId, historyLength: undefined })
    assert.equal(task.status?.state, TaskState.TASK_STATE_CANCELED)
  })

  it('fails the task with the error of the run', async () => {
    const task = await client.sendMessage(request('', { agent: 'failing' })) as Task
    assert.equal(task.status?.state, TaskState.TASK_STATE_FAILED)
    assert.match(texts(task.status?.message), /^AgentFailedError: /)
    assert.equal((task.metadata?.error as { name?: string })?.name, 'AgentFailedError')
  })

  it('routes a message without metadata by the skills its text names, or by metadata skill', async () => {
    const mirrored = await client.sendMessage(request('please mirror this line')) as Task
    assert.equal(mirrored.status?.state, TaskState.TASK_STATE_COMPLETED, texts(mirrored.status?.message))
    assert.equal(mirrored.metadata?.agent, 'echo-b')
    assert.equal(artifactText(mirrored), 'please mirror this line')
    // by skill: routed to an agent that declares it, the one that ran named in the result
    const counted = await client.sendMessage(request('3', { skill: 'count' })) as Task
    assert.equal(counted.metadata?.skill, 'count')
    assert.equal(counted.status?.state, TaskState.TASK_STATE_COMPLETED, texts(counted.status?.message))
    assert.equal(counted.metadata?.agent, 'ticker')
    await assert.rejects(client.sendMessage(request('x', { skill: 'juggle' })), (err: Error) => {
      assert.equal(err.name, 'RequestMalformedError')
      assert.match(err.message, /no agent of the mesh offers the skill "juggle" \(skills: count, mirror, repeat\)/)
      return true
    })
  })

  it('runs the node\'s default agent for a message that names none and matches no skill', async () => {
    const plain = await startApiServer({ node: a, token, host: '127.0.0.1', port: 0, a2aDefaultAgent: 'echo-b' })
    try {
      const res = await authorised(`${plain.url}/a2a/jsonrpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'a2a-version': '1.0' },
        // a generic client: plain text, no metadata
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: 'm-plain', role: 'ROLE_USER', parts: [{ text: 'just text' }] } } })
      })
      const answer: any = await res.json()
      assert.equal(answer.error, undefined, JSON.stringify(answer.error))
      assert.equal(answer.result.task.status.state, 'TASK_STATE_COMPLETED')
      assert.equal(answer.result.task.metadata.agent, 'echo-b')
      const card: any = await (await fetch(`${plain.url}/.well-known/agent-card.json`, { headers: { 'a2a-version': '1.0' } })).json()
      assert.equal(card.name, `Overmind node ${a.name} (${a.peerId.slice(0, 4)}…${a.peerId.slice(-6)})`)
    } finally {
      await plain.close()
    }
  })

  it('answers an A2A error when the message does not say which of several agents runs it', async () => {
    await assert.rejects(client.sendMessage(request('to whom?')), (err: Error) => {
      assert.equal(err.name, 'RequestMalformedError')
      assert.match(err.message, /echo-b/)
      assert.match(err.message, /skills: count, mirror, repeat/)
      return true
    })
    await assert.rejects(client.sendMessage(request('x', { agent: 42 })), { name: 'RequestMalformedError' })
    await assert.rejects(client.sendMessage(request('x', { agent: 'echo-b', node: 'not-a-node' })), (err: Error) => {
      assert.equal(err.name, 'RequestMalformedError')
      assert.match(err.message, /"node" must be a peer id/)
      return true
    })
    await assert.rejects(client.getTask({ tenant: '', id: 'no-such-task', historyLength: undefined }), { name: 'TaskNotFoundError' })
  })

  it('serves A2A 0.3 clients too: the card in 0.3\'s shape and message/send', async () => {
    const card: any = await (await authorised(`${api.url}/.well-known/agent-card.json`)).json()
    assert.match(card.protocolVersion, /^0\.3/)
    assert.equal(card.url, `${api.url}/a2a/jsonrpc`)
    assert.deepEqual(card.skills.map((s: any) => s.id), ['run-mesh-agent'])
    const res = await authorised(`${api.url}/a2a/jsonrpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 'legacy-1',
        method: 'message/send',
        params: { message: { kind: 'message', role: 'user', messageId: 'm-legacy-1', parts: [{ kind: 'text', text: 'from a 0.3 client' }], metadata: { agent: 'echo-b' } } }
      })
    })
    const answer: any = await res.json()
    assert.equal(answer.error, undefined, JSON.stringify(answer.error))
    assert.equal(answer.result.kind, 'task')
    assert.equal(answer.result.status.state, 'completed')
    const text = answer.result.artifacts.flatMap((a: any) => a.parts).filter((p: any) => p.kind === 'text').map((p: any) => p.text).join('')
    assert.equal(text, 'from a 0.3 client')
  })

  it('answers bad input with JSON-RPC errors and keeps serving', async () => {
    const post = async (body: string): Promise<any> => {
      const res = await authorised(`${api.url}/a2a/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json', 'a2a-version': '1.0' }, body })
      return await res.json()
    }
    assert.equal((await post('{not json')).error.code, -32700)
    // the SDK answers a request that is not a JSON-RPC request as malformed
    assert.ok([-32600, -32602].includes((await post('[]')).error.code))
    assert.equal((await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'Nope', params: {} }))).error.code, -32601)
    const noParts = await post(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'SendMessage', params: { message: 'hello' } }))
    assert.ok(noParts.error != null, JSON.stringify(noParts))
    const card = await authorised(`${api.url}/.well-known/agent-card.json`)
    assert.equal(card.status, 200)
  })

  it('serves the public card to anyone, and refuses the extended card and the A2A endpoints without the token', async () => {
    const open = await fetch(`${api.url}/.well-known/agent-card.json`, { headers: { 'a2a-version': '1.0' } })
    assert.equal(open.status, 200)
    const card: any = await open.json()
    assert.equal(card.securitySchemes.bearer.httpAuthSecurityScheme.scheme, 'Bearer')
    assert.equal(card.capabilities.extendedAgentCard, true)
    assert.doesNotMatch(JSON.stringify(card), /echo-b|ticker|waiter|failing/)
    const extended = await fetch(`${api.url}/a2a/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json', 'a2a-version': '1.0' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'GetExtendedAgentCard', params: {} }) })
    assert.equal(extended.status, 401)
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: 'm', role: 'ROLE_USER', parts: [{ text: 'hi' }] } } })
    const rpc = await fetch(`${api.url}/a2a/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    assert.equal(rpc.status, 401)
    const rest = await fetch(`${api.url}/a2a/rest/message:send`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    assert.equal(rest.status, 401)
    const wrong = await fetch(`${api.url}/a2a/rest/tasks`, { headers: { authorization: 'Bearer not-the-token' } })
    assert.equal(wrong.status, 401)
  })
})
