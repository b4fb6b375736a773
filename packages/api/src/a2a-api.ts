import { randomUUID } from 'node:crypto'
import { A2A_PROTOCOL_VERSION, AgentCard, Role, TaskState } from '@a2a-js/sdk'
import { ContentTypeNotSupportedError, RequestMalformedError, UnsupportedOperationError } from '@a2a-js/sdk/errors'
import { AgentEvent, DefaultRequestHandler } from '@a2a-js/sdk/server'
import { legacyAgentCardRouter } from '@a2a-js/sdk/compat/v0_3/server/express'
import { UserBuilder, jsonRpcHandler, restHandler } from '@a2a-js/sdk/server/express'
import { RunCancelledError, checkInput } from '@overmind/agents'
import express from 'express'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { STREAMED, readBody } from './api-routes.js'
import { isPeerId, operation, parseParams } from './operations.js'
import { VERSION } from './version.js'
import type { ApiContext, Route } from './api-routes.js'
import type { NodePort } from './port.js'
import type { ListTasksRequest, ListTasksResponse, Message, Part, SendMessageRequest, StreamResponse, Task, TaskStatus } from '@a2a-js/sdk'
import type { AgentExecutor, ExecutionEventBus, RequestContext, ServerCallContext, TaskStore } from '@a2a-js/sdk/server'
import type { MeshAgent } from '@overmind/agents'
import type { ErrorRequestHandler, Express, RequestHandler } from 'express'

/** Where the A2A bindings are mounted under the API's URL */
const A2A_JSONRPC_PATH = '/a2a/jsonrpc'
const A2A_REST_PATH = '/a2a/rest'

/** Finished tasks kept for GetTask / ListTasks; the oldest go first */
const MAX_FINISHED_TASKS = 256

const TEXT = 'text/plain'
const ARTIFACT_ID = 'output'
const FINISHED = new Set<TaskState>([
  TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED
])

/**
 * The A2A (v1.0) interface of the local API:
 *
 * - `GET /.well-known/agent-card.json` → this node's agent card: one skill
 *   per agent of the mesh, built per request
 * - `POST /a2a/jsonrpc` → the JSON-RPC binding (SendMessage,
 *   SendStreamingMessage, GetTask, ListTasks, CancelTask, SubscribeToTask)
 * - `/a2a/rest/…` → the HTTP+JSON binding of the same methods
 *
 * A message runs one agent of the mesh through run_agent: the agent named by
 * the metadata `agent` (or `skill`), or the only agent there is. Its text
 * parts are the input; the output streams as artifact updates and the task
 * ends completed, failed (with the error's name) or canceled. The API's
 * bearer token guards every route, as for the rest of the API.
 */
export function a2aRoutes (context: ApiContext): Array<[string, Route]> {
  let app: Express | undefined
  return [
    ['GET /.well-known/agent-card.json', (req, res) => {
      // clients of A2A 0.3 send no A2A-Version header (or 0.x): they get the card in 0.3's shape
      if (!isLegacy(req.headers['a2a-version'])) return AgentCard.toJSON(publicCard(context))
      app ??= a2aApp(context)
      app(req, res)
      return STREAMED
    }],
    ['* /a2a/*', (req, res) => {
      app ??= a2aApp(context)
      app(req, res)
      return STREAMED
    }]
  ]
}

/**
 * The card anyone may read, without the token: who this node is, its
 * interfaces and how to authenticate. The agents of the mesh and their
 * skills are on the extended card, which needs the token.
 */
function publicCard (context: ApiContext): AgentCard {
  const card = agentCard(context)
  return {
    ...card,
    description: `A node of the Overmind mesh "${context.node.mesh}": it runs the agents of the mesh for A2A clients. ` +
      'Authenticate with the node\'s API token (the bearer scheme below); the authenticated extended card lists the agents and their skills.',
    skills: [{
      id: 'run-mesh-agent',
      name: 'Run an agent of the mesh',
      description: 'Runs one agent of the mesh on a node that hosts it: named by metadata {"agent": …} or {"skill": …}, or chosen by the skills its text names, or the node\'s default agent. The text parts are its input; its output is the task\'s artifact. The extended card lists the agents.',
      tags: ['mesh', 'agents'],
      examples: [],
      inputModes: [TEXT],
      outputModes: [TEXT],
      securityRequirements: []
    }]
  }
}

/** The card of this node as it is now: the interfaces under the API's URL, a skill per agent it can route to */
function agentCard ({ node, url, a2aDefaultAgent }: ApiContext): AgentCard {
  const base = url()
  const fallback = a2aDefaultAgent != null ? ` A message that names no agent and whose text names no agent's skill runs "${a2aDefaultAgent}".` : ''
  return {
    name: `Overmind node ${node.name !== '' ? `${node.name} (${shortId(node.peerId)})` : shortId(node.peerId)}`,
    description: `A node of the Overmind mesh "${node.mesh}". Each message runs one agent of the mesh (a skill of this card) on a node that hosts it: ` +
      'name it with the message metadata {"agent": "<skill id>"} or {"skill": "<one of its tags>"}, or name one of its skills in the text; the text parts are its input, its output comes back as the task\'s artifact.' + fallback,
    supportedInterfaces: [
      { url: base + A2A_JSONRPC_PATH, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: A2A_PROTOCOL_VERSION },
      { url: base + A2A_REST_PATH, protocolBinding: 'HTTP+JSON', tenant: '', protocolVersion: A2A_PROTOCOL_VERSION },
      // the same endpoints speak 0.3 to clients that ask for it (A2A-Version header)
      { url: base + A2A_JSONRPC_PATH, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: LEGACY_PROTOCOL_VERSION },
      { url: base + A2A_REST_PATH, protocolBinding: 'HTTP+JSON', tenant: '', protocolVersion: LEGACY_PROTOCOL_VERSION }
    ],
    provider: undefined,
    version: VERSION,
    capabilities: { streaming: true, pushNotifications: false, extendedAgentCard: true, extensions: [] },
    securitySchemes: {
      bearer: {
        scheme: {
          $case: 'httpAuthSecurityScheme',
          value: { scheme: 'Bearer', bearerFormat: '', description: 'The node\'s API token (api.token in its data dir)' }
        }
      }
    },
    securityRequirements: [{ schemes: { bearer: { list: [] } } }],
    defaultInputModes: [TEXT],
    defaultOutputModes: [TEXT],
    skills: [...byName(routable(node)).values()].map(hosts => skill(hosts, node.peerId)),
    signatures: []
  }
}

function skill (hosts: MeshAgent[], self: string): AgentCard['skills'][number] {
  const { name } = hosts[0]
  const others = hosts.filter(h => !h.self)
  const where = hosts.some(h => h.self)
    ? `on this node (${self})${others.length > 0 ? ` and ${others.length} other node(s)` : ''}`
    : others.length === 1 ? `on node ${others[0].host}` : `on ${others.length} nodes of the mesh: ${others.map(h => h.host).join(', ')}`
  const version = hosts.find(h => h.version !== '')?.version
  const tags = [...new Set(hosts.flatMap(h => [...h.skills, ...h.capabilities]))]
  const said = hosts.find(h => h.description !== '')?.description
  return {
    id: name,
    name,
    description: `${said != null ? `${said.replace(/\.?$/, '.')} ` : ''}Runs the mesh agent "${name}"${version != null ? ` (version ${version})` : ''} ${where}. The message text is its input; its output is the task's artifact.`,
    tags: tags.length > 0 ? tags : [name],
    examples: [],
    inputModes: [TEXT],
    outputModes: [TEXT],
    securityRequirements: []
  }
}

/** Agents this node can route to: its own and those of peers not gone */
function routable (node: NodePort): MeshAgent[] {
  return node.runs.agents().filter(a => a.self || a.status !== 'gone')
}

/**
 * The agent whose skills (or name) the text names most, as whole words;
 * none when no agent's are named or two agents tie
 */
function matchSkills (text: string, agents: MeshAgent[]): string | undefined {
  const words = new Set(text.toLowerCase().split(/[^\p{L}\p{N}_-]+/u).filter(w => w !== ''))
  const scores = [...byName(agents)].map(([name, hosts]) => {
    const skills = new Set([name, ...hosts.flatMap(h => h.skills)].map(s => s.toLowerCase()))
    return { name, score: [...skills].filter(s => words.has(s)).length }
  }).filter(s => s.score > 0).sort((a, b) => b.score - a.score)
  if (scores.length === 0 || (scores.length > 1 && scores[0].score === scores[1].score)) return undefined
  return scores[0].name
}

function skillList (agents: MeshAgent[]): string {
  const skills = [...new Set(agents.flatMap(a => a.skills))].sort()
  return skills.length === 0 ? 'none declared' : skills.join(', ')
}

function byName (agents: MeshAgent[]): Map<string, MeshAgent[]> {
  const map = new Map<string, MeshAgent[]>()
  for (const agent of agents) map.set(agent.name, [...(map.get(agent.name) ?? []), agent])
  return map
}

const CARD_PATH = '/.well-known/agent-card.json'
const LEGACY_PROTOCOL_VERSION = '0.3'

/** A2A-Version absent or 0.x: a client of A2A 0.3 */
function isLegacy (header: string | string[] | undefined): boolean {
  const version = Array.isArray(header) ? header[0] : header
  return version == null || version.trim() === '' || version.trim().startsWith('0.')
}

function shortId (peerId: string): string {
  return peerId.length > 12 ? `${peerId.slice(0, 4)}…${peerId.slice(-6)}` : peerId
}

/** The express app that serves both bindings from one request handler */
function a2aApp (context: ApiContext): Express {
  const executor = new MeshAgentExecutor(context.node, context.a2aDefaultAgent)
  const requestHandler = new MeshRequestHandler(() => publicCard(context), () => agentCard(context), new BoundedTaskStore(MAX_FINISHED_TASKS), executor)
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.use((_req, res, next) => {
    res.setHeader('cache-control', 'no-store')
    next()
  })
  // A2A 0.3 clients are served too: the SDK translates their messages to and from 1.0
  const legacyCompat = { enabled: true }
  app.use(CARD_PATH, legacyAgentCardRouter({ agentCardProvider: requestHandler }))
  app.use(A2A_JSONRPC_PATH, jsonBody(context.maxBody, 'jsonrpc'), jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication, legacyCompat }))
  app.use(A2A_REST_PATH, jsonBody(context.maxBody, 'rest'), restHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication, legacyCompat }))
  app.use((req, res) => {
    res.status(404).json({ error: { name: 'NotFound', message: `${req.method} ${req.originalUrl} is not an A2A route (${A2A_JSONRPC_PATH}, ${A2A_REST_PATH})` } })
  })
  app.use(((err, req, res, _next) => {
    if (res.headersSent) {
      res.destroy()
      return
    }
    const status = err?.name === 'PayloadTooLargeError' ? 413 : 500
    // the rest of an oversized body is not read: the connection cannot be reused
    if (status === 413) res.setHeader('connection', 'close')
    const message = String(err?.message ?? err)
    if (req.originalUrl.startsWith(A2A_JSONRPC_PATH)) {
      res.status(status).json({ jsonrpc: '2.0', id: null, error: { code: status === 413 ? -32600 : -32603, message } })
    } else {
      res.status(status).json({ error: { code: status, status: status === 413 ? 'INVALID_ARGUMENT' : 'INTERNAL', message, details: [] } })
    }
  }) satisfies ErrorRequestHandler)
  return app
}

/**
 * Reads a JSON body up to the API's limit (the SDK's own parser stops at
 * 100 KiB, below the largest run input). A body the SDK's parser then finds
 * read is left alone.
 */
function jsonBody (maxBody: number, binding: 'jsonrpc' | 'rest'): RequestHandler {
  return (req, res, next) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
    if (type !== 'application/json' && type !== 'application/a2a+json') {
      next()
      return
    }
    readBody(req, maxBody).then(text => {
      try {
        req.body = text.trim() === '' ? {} : JSON.parse(text)
      } catch {
        if (binding === 'jsonrpc') {
          res.status(200).json({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Invalid JSON payload.' } })
        } else {
          res.status(400).json({ error: { code: 400, status: 'INVALID_ARGUMENT', message: 'Invalid JSON payload.', details: [] } })
        }
        return
      }
      next()
    }, next)
  }
}

/** What a message asks of the mesh */
interface RunPlan {
  /** The agent to run, or (when unset) any agent with `skill` */
  agent?: string
  skill?: string
  input: Uint8Array
  node?: string
  deadline?: number
}

/**
 * Reads the run a message asks for, or throws the A2A error that says what
 * is wrong with it. The agent is, in this order: the metadata `agent` (of
 * the message or of the request); the metadata `skill`, an agent's name or
 * one of its skills; the only agent the mesh has; the agent whose skills the
 * text names (more of them than any other agent's); the node's default agent.
 */
function planRun (request: SendMessageRequest, agents: MeshAgent[], defaultAgent?: string): RunPlan {
  const message = request.message
  if (message == null) throw new RequestMalformedError('the request has no message')
  const meta = { ...request.metadata, ...message.metadata }
  const texts: string[] = []
  for (const part of message.parts) {
    if (part.content?.$case !== 'text') throw new ContentTypeNotSupportedError(`agents of the mesh take text: a ${part.content?.$case ?? 'empty'} part cannot be an input`)
    texts.push(part.content.value)
  }
  const text = texts.join('\n')
  let agent: string | undefined
  let skill: string | undefined
  if (meta.agent != null) {
    if (typeof meta.agent !== 'string' || meta.agent === '' || meta.agent.length > 256) throw new RequestMalformedError('metadata "agent" must be the name of an agent of the mesh (a skill id of the agent card)')
    agent = meta.agent
  } else if (meta.skill != null) {
    if (typeof meta.skill !== 'string' || meta.skill === '' || meta.skill.length > 256) throw new RequestMalformedError('metadata "skill" must be a skill of an agent of the mesh (a tag of the agent card)')
    // an agent of that name, or any agent with the skill, on the least loaded host
    const named = agents.find(a => a.name === meta.skill)
    if (named == null && !agents.some(a => a.skills.includes(meta.skill as string))) throw new RequestMalformedError(`no agent of the mesh offers the skill "${meta.skill}" (skills: ${skillList(agents)})`)
    if (named != null) agent = named.name
    else skill = meta.skill
  } else {
    const names = [...byName(agents).keys()]
    const chosen = names.length === 1 ? names[0] : matchSkills(text, agents) ?? defaultAgent
    if (chosen == null) {
      throw new RequestMalformedError(names.length === 0
        ? 'no agent is known in the mesh yet: name one with metadata {"agent": "<name>"}'
        : `the mesh has ${names.length} agents and the message names none of their skills: name one with metadata {"agent": "<name>"} or {"skill": "<skill>"} (${names.join(', ')}; skills: ${skillList(agents)})`)
    }
    agent = chosen
  }
  if (meta.node != null && (typeof meta.node !== 'string' || !isPeerId(meta.node))) throw new RequestMalformedError(`metadata "node" must be a peer id (a node's id looks like 12D3KooW…): ${JSON.stringify(String(meta.node).slice(0, 64))} is not one`)
  if (meta.deadline != null && (typeof meta.deadline !== 'number' || !(meta.deadline > 0))) throw new RequestMalformedError('metadata "deadline" must be a number of ms above 0')
  const input = uint8ArrayFromString(text)
  try {
    checkInput(input)
  } catch (err: any) {
    throw new RequestMalformedError(err.message)
  }
  return { agent, skill, input, node: meta.node, deadline: meta.deadline }
}

/**
 * The SDK's handler with the card of the moment, and messages checked before
 * a task exists so a bad one is an A2A error rather than a failed task
 */
class MeshRequestHandler extends DefaultRequestHandler {
  private readonly card: () => AgentCard
  private readonly executor: MeshAgentExecutor

  constructor (card: () => AgentCard, extended: () => AgentCard, store: TaskStore, executor: MeshAgentExecutor) {
    // the extended card is served only through the A2A endpoints, which need the token
    super(card(), store, executor, undefined, undefined, undefined, async () => extended())
    this.card = card
    this.executor = executor
  }

  override async getAgentCard (): Promise<AgentCard> {
    return this.card()
  }

  override async sendMessage (params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    this.check(params)
    return await super.sendMessage(params, context)
  }

  override async * sendMessageStream (params: SendMessageRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    this.check(params)
    yield * super.sendMessageStream(params, context)
  }

  private check (params: SendMessageRequest): void {
    if (params.message?.taskId != null && params.message.taskId !== '') {
      throw new UnsupportedOperationError('a task of this node takes one message and never asks for more input: send a new message without taskId')
    }
    this.executor.plan(params)
  }
}

interface ActiveRun {
  cancel: AbortController
  done: Promise<void>
}

/** Runs each task's message on an agent of the mesh through run_agent */
class MeshAgentExecutor implements AgentExecutor {
  private readonly node: NodePort
  private readonly defaultAgent?: string
  private readonly active = new Map<string, ActiveRun>()

  constructor (node: NodePort, defaultAgent?: string) {
    this.node = node
    this.defaultAgent = defaultAgent
  }

  plan (request: SendMessageRequest): RunPlan {
    return planRun(request, routable(this.node), this.defaultAgent)
  }

  execute = async (context: RequestContext, bus: ExecutionEventBus): Promise<void> => {
    const { taskId, contextId } = context
    const cancel = new AbortController()
    const { promise: done, resolve } = Promise.withResolvers<void>()
    this.active.set(taskId, { cancel, done })
    const events = taskEvents(bus, taskId, contextId)
    try {
      let plan: RunPlan
      try {
        plan = this.plan(context.request)
      } catch (err: any) {
        events.task(context.userMessage, {})
        events.status(TaskState.TASK_STATE_REJECTED, err.message, { error: { name: err.name, message: err.message } })
        return
      }
      events.task(context.userMessage, plan.agent != null ? { agent: plan.agent } : { skill: plan.skill })
      events.status(TaskState.TASK_STATE_WORKING)
      let output = ''
      const chunk = (text: string): void => {
        if (text === '') return
        events.artifact(text, output !== '', false)
        output += text
      }
      try {
        // the agent.run operation, as the bridge, MCP and the CLI run it
        const run = operation('agent.run')!
        const outcome = await run.run(this.node, parseParams(run, { agent: plan.agent, skill: plan.skill, input: new TextDecoder().decode(plan.input), node: plan.node, deadline: plan.deadline }), {
          signal: cancel.signal,
          onProgress: chunk
        }) as { host: string, agent?: string, frames: number, durationMs: number, exitCode?: number }
        // the whole output as one part replaces the streamed chunks
        events.artifact(output, false, true)
        events.status(TaskState.TASK_STATE_COMPLETED, output, {
          host: outcome.host, ...(outcome.agent != null ? { agent: outcome.agent } : {}), frames: outcome.frames, durationMs: outcome.durationMs, exitCode: outcome.exitCode
        })
      } catch (err: any) {
        if (cancel.signal.aborted) {
          events.status(TaskState.TASK_STATE_CANCELED, 'the run was cancelled on its host')
        } else {
          const name = String(err?.name ?? 'Error')
          const message = String(err?.message ?? err)
          events.status(TaskState.TASK_STATE_FAILED, `${name}: ${message}`, { error: { name, message, host: err?.host } })
        }
      }
    } finally {
      this.active.delete(taskId)
      resolve()
    }
  }

  /** Aborts the run, which cancels it on its host; `execute` then ends the task canceled */
  cancelTask = async (taskId: string, _bus: ExecutionEventBus): Promise<void> => {
    const run = this.active.get(taskId)
    if (run == null) return
    run.cancel.abort(new RunCancelledError('cancelled by the A2A client'))
    await run.done
  }
}

/** Publishes the events of one task */
function taskEvents (bus: ExecutionEventBus, taskId: string, contextId: string): {
  task(message: Message, metadata: Record<string, unknown>): void
  status(state: TaskState, text?: string, metadata?: Record<string, unknown>): void
  artifact(text: string, append: boolean, lastChunk: boolean): void
} {
  const status = (state: TaskState, text?: string): TaskStatus => ({
    state,
    message: text == null ? undefined : agentMessage(taskId, contextId, text),
    timestamp: new Date().toISOString()
  })
  return {
    task (message, metadata) {
      bus.publish(AgentEvent.task({ id: taskId, contextId, status: status(TaskState.TASK_STATE_SUBMITTED), artifacts: [], history: [message], metadata }))
    },
    status (state, text, metadata) {
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId, status: status(state, text), metadata }))
    },
    artifact (text, append, lastChunk) {
      bus.publish(AgentEvent.artifactUpdate({
        taskId,
        contextId,
        artifact: { artifactId: ARTIFACT_ID, name: 'output', description: 'What the agent wrote', parts: [textPart(text)], metadata: undefined, extensions: [] },
        append,
        lastChunk,
        metadata: undefined
      }))
    }
  }
}

function agentMessage (taskId: string, contextId: string, text: string): Message {
  return { messageId: randomUUID(), contextId, taskId, role: Role.ROLE_AGENT, parts: [textPart(text)], metadata: undefined, extensions: [], referenceTaskIds: [] }
}

function textPart (text: string): Part {
  return { content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: TEXT }
}

/**
 * Tasks in memory, by tenant and id. Every caller holds the API token, so
 * there is one owner. Past `maxFinished` finished tasks, the least recently
 * updated finished one is dropped; tasks in progress are always kept.
 */
class BoundedTaskStore implements TaskStore {
  private readonly tasks = new Map<string, Task & { tenant: string }>()
  private readonly maxFinished: number
  private finished = 0

  constructor (maxFinished: number) {
    this.maxFinished = maxFinished
  }

  async load (taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    const task = this.tasks.get(key(context, taskId))
    if (task == null) return undefined
    const { tenant: _, ...copy } = structuredClone(task)
    return copy
  }

  async save (task: Task, context: ServerCallContext): Promise<void> {
    const id = key(context, task.id)
    const before = this.tasks.get(id)
    if (before != null && isFinished(before)) this.finished--
    // re-inserted so the map's order is the order of last update
    this.tasks.delete(id)
    this.tasks.set(id, { ...structuredClone(task), tenant: context.tenant ?? '' })
    if (isFinished(task)) this.finished++
    if (this.finished <= this.maxFinished) return
    for (const [oldId, old] of this.tasks) {
      if (!isFinished(old)) continue
      this.tasks.delete(oldId)
      if (--this.finished <= this.maxFinished) break
    }
  }

  async list (params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const tenant = context.tenant ?? ''
    const after = params.statusTimestampAfter != null && params.statusTimestampAfter !== '' ? Date.parse(params.statusTimestampAfter) : undefined
    const tasks = [...this.tasks.values()]
      .filter(t => t.tenant === tenant)
      .filter(t => params.contextId === '' || params.contextId == null || t.contextId === params.contextId)
      .filter(t => params.status == null || params.status === TaskState.TASK_STATE_UNSPECIFIED || t.status?.state === params.status)
      .filter(t => after == null || Date.parse(t.status?.timestamp ?? '') > after)
      .sort((a, b) => (b.status?.timestamp ?? '').localeCompare(a.status?.timestamp ?? '') || b.id.localeCompare(a.id))
    const pageSize = params.pageSize ?? 50
    const start = params.pageToken != null && params.pageToken !== '' ? tasks.findIndex(t => t.id === params.pageToken) : 0
    const page = start < 0 ? [] : tasks.slice(start, start + pageSize)
    const next = start < 0 ? undefined : tasks[start + pageSize]
    return {
      tasks: page.map(t => {
        const { tenant: _, ...copy } = structuredClone(t)
        if (params.includeArtifacts !== true) copy.artifacts = []
        return copy
      }),
      nextPageToken: next?.id ?? '',
      pageSize,
      totalSize: tasks.length
    }
  }
}

function key (context: ServerCallContext, taskId: string): string {
  return `${context.tenant ?? ''}\0${taskId}`
}

function isFinished (task: Task): boolean {
  return task.status != null && FINISHED.has(task.status.state)
}
