import { peerIdFromString } from '@libp2p/peer-id'
import { MAX_CLAIM_WAIT, MAX_LEASE, MAX_QUEUE_TTL, MAX_RUN_INPUT_SIZE, MAX_TASK_OUTPUT, MAX_TASK_PROGRESS, MIN_LEASE } from '@overmind/agents'
import { MAX_DELEGATION, MAX_PACKAGE_CHUNKS, MAX_QUERY_K, MAX_RUN_KEY_LENGTH, MAX_QUERY_TEXT_LENGTH, MAX_SEARCH_K, MAX_STRING_LENGTH, MAX_TAG_LENGTH, MAX_TAGS, MAX_TEXT_LENGTH } from '@overmind/protocols'
import { fromString as uint8ArrayFromString } from 'uint8arrays/from-string'
import { z } from 'zod'
import { InvalidParamsError, MemoryDisabledError, NodeNotRunningError } from './errors.js'
import { VERSION } from './version.js'
import type { DelegationPort, NodePort } from './port.js'
import type { RunOutcome } from '@overmind/agents'
import type { ChunkView, MemoryStore, ZoneName } from '@overmind/memory'

/**
 * What an operation may do besides answering: report progress (a run's
 * output as it comes) and stop when the caller cancels.
 */
export interface OperationContext {
  signal?: AbortSignal
  /** Output of a run as the agent produces it */
  onProgress?(text: string): void | Promise<void>
  /** How a run goes, in words, apart from its output (a session agent's worker reports it) */
  onStatus?(message: string): void
}

/**
 * One thing an agent or a script can ask of the node. The JSON-RPC bridge
 * serves it as `method`, MCP as the tool `tool`; both check params against
 * `params` first, so handlers see valid input only.
 */
export interface Operation<P extends z.ZodRawShape = z.ZodRawShape> {
  /** JSON-RPC method name */
  method: string
  /** MCP tool name, when it is a tool */
  tool?: string
  title: string
  description: string
  params: P
  /** Shape of the result, for MCP's structured content */
  result: z.ZodRawShape
  /** Changes nothing */
  readOnly: boolean
  /** May remove or overwrite something */
  destructive: boolean
  /** Repeating it with the same params has no further effect */
  idempotent: boolean
  /** Reaches other nodes */
  openWorld: boolean
  run(node: NodePort, params: z.output<z.ZodObject<P>>, context: OperationContext): Promise<Record<string, unknown>>
}

const zone = z.enum(['private', 'shared', 'federation'])
/** A string of at most `max` bytes of UTF-8: the limits of the wire, from protocols/src/limits.ts */
function utf8 (max: number): z.ZodString {
  const error = `at most ${max} bytes of UTF-8`
  // more characters than bytes allowed is too long already: one message, and no byte count
  return z.string().max(max, { error, abort: true }).refine(text => Buffer.byteLength(text) <= max, error) as unknown as z.ZodString
}

const agentName = utf8(MAX_STRING_LENGTH).min(1)
const tagList = z.array(utf8(MAX_TAG_LENGTH).min(1)).max(MAX_TAGS)

/** Whether `text` is a peer id as nodes write them (base58btc: `12D3KooW…`, `Qm…`) */
export function isPeerId (text: string): boolean {
  try {
    peerIdFromString(text)
    return true
  } catch {
    return false
  }
}

/** Every param that names a node: refused up front, so no handler meets a malformed one */
const peerId = z.string().refine(isPeerId, { error: issue => `not a peer id: ${JSON.stringify(String(issue.input).slice(0, 64))} (a node's id looks like 12D3KooW…; mesh_status lists them)` })

const chunk = z.looseObject({
  id: z.string(),
  author: z.string(),
  agent: z.string(),
  zone,
  text: z.string(),
  tags: z.array(z.string()),
  createdAt: z.number(),
  confidence: z.number(),
  salience: z.number().describe('1 when written, + 1 per use (reads, feedback, links), each use decaying by 0.99 an hour'),
  uses: z.number().int(),
  archived: z.boolean().describe('Set aside by its author\'s prune rules: search skips it unless asked')
})

const searchResult = chunk.extend({
  score: z.number(),
  node: z.string(),
  via: z.object({ from: z.string(), relation: z.string(), weight: z.number(), hops: z.int() }).optional().describe('When the result came through a link from another result (spread)')
})

const chunkShape = chunk.shape

/** What a chunk to store is made of: `memory.store`'s params, and each chunk of `memory.import` */
const chunkInput = {
  text: utf8(MAX_TEXT_LENGTH).min(1).describe(`The knowledge to remember (at most ${MAX_TEXT_LENGTH / 1024} KiB)`),
  zone: zone.optional().describe('private, shared or federation (default: the node\'s memory.defaultZone)'),
  tags: tagList.optional().describe(`Labels to filter by later (at most ${MAX_TAGS}, each at most ${MAX_TAG_LENGTH} bytes)`),
  agent: agentName.optional().describe('The agent writing; owns the chunk in the private zone (default "default")')
}

/** One chunk as a line of an import file: memory.store's params; other keys (an export's id, author…) are ignored */
export const IMPORT_LINE = z.object(chunkInput)

/** Chunks per `memory.import` call, at most: one durable batch */
export const MAX_IMPORT_BATCH = 500

/** A `memory.list` cursor: the zone, author and seq of the last chunk of a page */
const LIST_CURSOR = /^(private|shared|federation):[1-9A-HJ-NP-Za-km-z]{1,128}:\d{1,16}$/

function parseListCursor (cursor: string): { zone: ZoneName, author: string, seq: number } {
  const [zone, author, seq] = cursor.split(':')
  return { zone: zone as ZoneName, author, seq: Number(seq) }
}

/** `agent.run` names an agent or a skill, not both: an `InvalidParamsError` otherwise */
export function checkRunTarget ({ agent, skill }: { agent?: unknown, skill?: unknown }): void {
  if ((agent == null) === (skill == null)) {
    const message = agent == null ? 'name an agent or a skill' : 'name an agent or a skill, not both'
    throw new InvalidParamsError(message, [{ path: agent == null ? 'agent' : 'skill', message }])
  }
}

function define<P extends z.ZodRawShape> (op: Operation<P>): Operation<P> {
  return op
}

function delegations (node: NodePort): DelegationPort {
  if (node.delegation == null) throw new NodeNotRunningError('agent delegation needs the running node: start it first (`overmind start`)')
  return node.delegation
}

function store (node: NodePort): MemoryStore {
  if (node.memory == null) throw new MemoryDisabledError('this node has no memory store')
  return node.memory
}

/** Chunks per page of `memory.list`, by default and at most */
const DEFAULT_LIST_PAGE = 200
const MAX_LIST_PAGE = 500

/** Every operation of the bridge and the MCP server, in the order tools are listed */
export const OPERATIONS = [
  define({
    method: 'memory.store',
    tool: 'memory_store',
    title: 'Store a memory chunk',
    description: 'Stores a piece of knowledge in federated memory. Zone: private (only this agent on this node), shared (every agent on this node) or federation (replicated to the whole mesh; the default).',
    params: chunkInput,
    result: chunkShape,
    readOnly: false,
    destructive: false,
    idempotent: false,
    openWorld: false,
    async run (node, params) {
      return { ...await store(node).put(params) }
    }
  }),
  define({
    method: 'memory.search',
    tool: 'memory_search',
    title: 'Search memory',
    description: 'Finds the chunks closest in meaning to a query, best first. With federated: true the connected nodes are asked as well (their federation zone, and shared zones they replicate).',
    params: {
      query: utf8(MAX_QUERY_TEXT_LENGTH).min(1).describe('What to look for, in words (at most 4 KiB)'),
      k: z.int().min(1).max(MAX_SEARCH_K).optional().describe(`How many results (default 10; at most ${MAX_SEARCH_K}, or ${MAX_QUERY_K} when federated)`),
      zone: zone.optional().describe('Only this zone'),
      zones: z.array(zone).optional().describe('Only these zones'),
      federated: z.boolean().optional().describe('Ask the mesh too (default false: this node only)'),
      agent: agentName.optional().describe('The agent reading: sees its own private chunks (default "default")'),
      tags: tagList.optional().describe('Only chunks with all these tags'),
      agents: z.array(z.string()).optional().describe('Only chunks written by these agents'),
      authors: z.array(peerId).optional().describe('Only chunks of these author nodes (peer ids)'),
      since: z.number().optional().describe('Created at or after (ms since the epoch)'),
      until: z.number().optional().describe('Created at or before (ms since the epoch)'),
      deadline: z.int().min(1).max(60_000).optional().describe('ms to wait for other nodes in a federated search'),
      archived: z.boolean().optional().describe('Archived chunks too (the prune rules set aside chunks long unused and faded or distrusted; default false)'),
      spread: z.int().min(0).max(2).optional().describe('Also follow links from the results this many hops (0 to 2; default 0): a linked chunk scores its source\'s score × the link\'s weight × 0.5 a hop')
    },
    result: {
      results: z.array(searchResult),
      peers: z.array(z.looseObject({ peer: z.string(), ok: z.boolean(), results: z.number() }))
    },
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: true,
    async run (node, { query, zone, zones, federated, deadline, ...filters }) {
      const q = { ...filters, text: query, zones: zones ?? (zone != null ? [zone] as ZoneName[] : undefined) }
      if (federated === true) {
        if ((filters.k ?? 10) > MAX_QUERY_K) throw new InvalidParamsError(`k: at most ${MAX_QUERY_K} when federated (each node answers at most ${MAX_QUERY_K})`, [{ path: 'k', message: `at most ${MAX_QUERY_K} when federated` }])
        const service = node.federated
        if (service == null) throw new MemoryDisabledError('this node does not run federated search')
        return { ...await service.search(q, { deadline }) }
      }
      return { results: await store(node).search(q), peers: [] }
    }
  }),
  define({
    method: 'memory.get',
    tool: 'memory_get',
    title: 'Read a memory chunk',
    description: 'Reads one chunk by id, with its provenance and feedback counts.',
    params: {
      id: z.string().min(1).describe('Chunk id'),
      agent: agentName.optional().describe('The agent reading (needed for its private chunks)')
    },
    result: chunkShape,
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node, { id, agent }) {
      return { ...await store(node).get(id, { agent }) }
    }
  }),
  define({
    method: 'memory.list',
    title: 'List memory chunks',
    description: 'Pages through the chunks of this node in log order (zone, then author, then seq): by default the zones it shares (federation, then shared). nextCursor leads to the next page; a page costs the same wherever it starts.',
    params: {
      cursor: z.string().regex(LIST_CURSOR, 'a cursor from a previous page (nextCursor)').optional().describe('Where the page starts (nextCursor of the page before)'),
      limit: z.int().min(1).max(MAX_LIST_PAGE).optional().describe(`Chunks per page (default ${DEFAULT_LIST_PAGE}, at most ${MAX_LIST_PAGE})`),
      zones: z.array(zone).min(1).max(3).optional().describe('These zones, in this order (default federation, shared)'),
      agent: agentName.optional().describe('The agent reading: its own private chunks are listed with the private zone (default "default")')
    },
    result: {
      chunks: z.array(z.looseObject(chunkShape)),
      nextCursor: z.string().optional()
    },
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node, { cursor, limit, zones, agent }) {
      const order = [...new Set(zones ?? ['federation', 'shared'] as ZoneName[])]
      const size = limit ?? DEFAULT_LIST_PAGE
      // the cursor is the position of the last chunk of the page before:
      // the next page reads on from there (chunks written meanwhile behind it are not listed)
      const from = cursor != null ? parseListCursor(cursor) : undefined
      let first = 0
      if (from != null) {
        first = order.indexOf(from.zone)
        if (first < 0) throw new InvalidParamsError(`cursor: a page of zone ${from.zone}, which zones does not list`, [{ path: 'cursor', message: `zone ${from.zone} is not in zones` }])
      }
      const chunks: ChunkView[] = []
      for (let i = first; i < order.length; i++) {
        const after = from != null && i === first ? { author: from.author, seq: from.seq } : undefined
        for await (const chunk of store(node).chunks({ zone: order[i], agent, after })) {
          if (chunks.length === size) {
            const last = chunks[chunks.length - 1]
            return { chunks, nextCursor: `${last.zone}:${last.author}:${last.seq}` }
          }
          chunks.push(chunk)
        }
      }
      return { chunks }
    }
  }),
  define({
    method: 'memory.import',
    title: 'Store many memory chunks',
    description: `Stores up to ${MAX_IMPORT_BATCH} chunks at once, embedded, signed and written as one durable batch: answered once all of them survive a crash. What POST /v1/memory/import and \`overmind memory import\` run for each batch of a file.`,
    params: {
      chunks: z.array(z.object(chunkInput)).min(1).max(MAX_IMPORT_BATCH).describe('The chunks, each as memory.store takes it')
    },
    result: {
      stored: z.number(),
      ids: z.array(z.string())
    },
    readOnly: false,
    destructive: false,
    idempotent: false,
    openWorld: false,
    async run (node, { chunks }, context) {
      const stored = await store(node).putMany(chunks, { signal: context.signal })
      return { stored: stored.length, ids: stored.map(c => c.id) }
    }
  }),
  define({
    method: 'memory.forget',
    tool: 'memory_forget',
    title: 'Forget a memory chunk',
    description: 'Forgets a chunk this node wrote. A federation chunk is forgotten on every node that holds it.',
    params: {
      id: z.string().min(1).describe('Chunk id'),
      agent: agentName.optional().describe('The agent asking (needed for its private chunks)')
    },
    result: { id: z.string(), forgotten: z.boolean() },
    readOnly: false,
    destructive: true,
    idempotent: true,
    openWorld: false,
    async run (node, { id, agent }) {
      await store(node).forget(id, { agent })
      return { id, forgotten: true }
    }
  }),
  define({
    method: 'memory.feedback',
    tool: 'memory_feedback',
    title: 'Report whether chunks helped',
    description: 'Records that the given chunks helped (success: true) or misled (false); confidence and ranking follow.',
    params: {
      ids: z.array(z.string().min(1)).min(1).max(100).describe('Chunk ids'),
      success: z.boolean().describe('Did they help?'),
      agent: agentName.optional().describe('The agent reporting')
    },
    result: { ids: z.array(z.string()), success: z.boolean() },
    readOnly: false,
    destructive: false,
    idempotent: false,
    openWorld: false,
    async run (node, { ids, success, agent }) {
      await store(node).feedback(ids, success, { agent })
      return { ids, success }
    }
  }),
  define({
    method: 'memory.link',
    tool: 'memory_link',
    title: 'Link two chunks',
    description: 'Records that one chunk relates to another (a cause, a fix, a duplicate…), with a weight; searches with spread follow links, and links count as uses of both chunks.',
    params: {
      from: z.string().min(1).describe('Chunk id the link starts from'),
      to: z.string().min(1).describe('Chunk id it points to (in the same zone)'),
      relation: utf8(MAX_STRING_LENGTH).optional().describe('How they relate, e.g. caused-by, fixed-by (default "related")'),
      weight: z.number().gt(0).max(1).optional().describe('How strong the link is, above 0 and at most 1 (default 1)'),
      agent: agentName.optional().describe('The agent linking (needed for its private chunks)')
    },
    result: { from: z.string(), to: z.string(), relation: z.string(), weight: z.number() },
    readOnly: false,
    destructive: false,
    idempotent: false,
    openWorld: false,
    async run (node, { from, to, relation, weight, agent }) {
      await store(node).link(from, to, relation ?? '', { agent, weight })
      return { from, to, relation: relation === undefined || relation === '' ? 'related' : relation, weight: weight ?? 1 }
    }
  }),
  define({
    method: 'memory.signals',
    tool: 'memory_signals',
    title: 'Convergence signals',
    description: 'Knowledge that several agents on several nodes reached on their own: each signal names its chunks, agents and nodes, a topic (the text nearest their centroid), how close they are (score) and how new (novelty against older memory). Every node holds the same signals; newest first.',
    params: {
      limit: z.int().min(1).max(1000).optional().describe('Signals to return, newest first (default 100)')
    },
    result: {
      signals: z.array(z.looseObject({
        id: z.string(),
        topic: z.string(),
        score: z.number(),
        novelty: z.number(),
        chunks: z.array(z.string()),
        agents: z.array(z.object({ node: z.string(), agent: z.string() })),
        nodes: z.array(z.string()),
        raisedAt: z.number(),
        raisedBy: z.array(z.string())
      })),
      total: z.int()
    },
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node, { limit }) {
      const memory = store(node)
      return { signals: memory.signals(limit ?? 100), total: memory.signalCount }
    }
  }),
  define({
    method: 'memory.consolidate',
    tool: 'memory_consolidate',
    title: 'Consolidate memory',
    description: 'Runs the consolidation pass now (it also runs every memory.consolidateInterval): links chunks used together, links near-duplicates to the oldest of them, and applies the prune rules. Reports what it did.',
    params: {},
    result: { strengthened: z.int(), duplicates: z.int(), pruned: z.int(), scanned: z.int(), ms: z.number() },
    readOnly: false,
    destructive: false,
    idempotent: false,
    openWorld: false,
    async run (node) {
      return { ...await store(node).consolidate() }
    }
  }),
  define({
    method: 'memory.stats',
    title: 'Memory statistics',
    description: 'Chunks per zone, authors and the embedding model of this node\'s memory.',
    params: {},
    result: { chunks: z.record(z.string(), z.number()) },
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node) {
      return { ...await store(node).stats() }
    }
  }),
  define({
    method: 'agent.run',
    tool: 'run_agent',
    title: 'Run a mesh agent',
    description: 'Runs an agent of the mesh with the given input, named by agent or by skill: on this node when it hosts one, otherwise on the least loaded host in the mesh. Output streams as progress; the result holds all of it.',
    params: {
      agent: agentName.optional().describe('Agent name (see list_agents); give agent or skill'),
      skill: utf8(MAX_STRING_LENGTH).min(1).optional().describe('Run any agent that declares this skill (see list_agents), on the least loaded host'),
      input: utf8(MAX_RUN_INPUT_SIZE).optional().describe('Input text for the agent'),
      deadline: z.int().min(1).max(24 * 3600 * 1000).optional().describe('ms the whole run may take (default runs.deadline)'),
      node: peerId.optional().describe('Peer id of the node that must run it'),
      callerAgent: agentName.optional().describe('The agent asking, as the host sees it'),
      queueTtl: z.int().min(1000).max(MAX_QUEUE_TTL).optional().describe('When no host is reachable now, keep the run this many ms and deliver it when one is; the answer is then {queued: {id, expiresAt}} and queued_runs tells how it went'),
      key: utf8(MAX_RUN_KEY_LENGTH).min(1).optional().describe('Names this run: asked again with the same key from this node (after a crash, a lost answer), a host that journals runs (session agents) answers with the output it journaled instead of running it again')
    },
    result: {
      queued: z.object({ id: z.string(), expiresAt: z.number() }).optional().describe('Set when the run was kept for a host that is away'),
      output: z.string(),
      host: z.string(),
      agent: z.string().optional().describe('The agent that ran (a run by skill may go to any agent with it)'),
      frames: z.number(),
      durationMs: z.number(),
      exitCode: z.number().optional(),
      attempts: z.array(z.looseObject({ host: z.string(), outcome: z.string(), ms: z.number() }))
    },
    readOnly: false,
    destructive: false,
    idempotent: false,
    openWorld: true,
    async run (node, { agent, skill, input, deadline, node: host, callerAgent, queueTtl, key }, context) {
      checkRunTarget({ agent, skill })
      const target = agent ?? { skill: skill as string }
      const bytes = uint8ArrayFromString(input ?? '')
      const decoder = new TextDecoder()
      let output = ''
      const started = Date.now()
      const run = async (): Promise<RunOutcome> => await node.runs.run(target, bytes, {
        deadline,
        node: host,
        callerAgent,
        key,
        signal: context.signal,
        onProgress: context.onStatus,
        onOutput: async data => {
          const text = decoder.decode(data, { stream: true })
          output += text
          if (text !== '') await context.onProgress?.(text)
        }
      })
      let outcome: RunOutcome
      try {
        outcome = await run()
      } catch (err: any) {
        // no host reachable now (none known, or every one failed before any output): kept for later when asked
        if (queueTtl == null || output !== '' || !['AgentNotFoundError', 'HostFailedError'].includes(err.name)) throw err
        const queued = await node.runs.enqueue(target, bytes, { ttl: queueTtl, callerAgent })
        return { queued: { id: queued.id, expiresAt: queued.expiresAt }, output: '', host: '', frames: 0, durationMs: Date.now() - started, attempts: err.attempts ?? [] }
      }
      const rest = decoder.decode()
      output += rest
      if (rest !== '') await context.onProgress?.(rest)
      return { output, host: outcome.host, agent: outcome.agent, frames: outcome.frames, durationMs: outcome.durationMs, exitCode: outcome.exitCode, attempts: outcome.attempts }
    }
  }),
  define({
    method: 'agent.queued',
    tool: 'queued_runs',
    title: 'Runs kept for absent hosts',
    description: 'The runs this node keeps until a host of their agent or skill is reachable (run_agent with queueTtl), and those that ended in the last day: state queued, running, ok (with the output), failed or expired (QueueExpiredError). Give id for one.',
    params: {
      id: z.string().regex(/^[0-9a-f]{24}$/).optional().describe('The id run_agent answered with')
    },
    result: {
      runs: z.array(z.looseObject({ id: z.string(), state: z.string(), queuedAt: z.number(), expiresAt: z.number(), output: z.string().optional(), error: z.looseObject({ name: z.string(), message: z.string() }).optional() }))
    },
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node, { id }) {
      if (id == null) return { runs: node.runs.queued() }
      const run = node.runs.queued(id)
      if (run == null) throw new InvalidParamsError(`no queued run ${id} on this node (ended runs are kept a day)`, [{ path: 'id', message: 'unknown' }])
      return { runs: [run] }
    }
  }),
  define({
    method: 'task.claim',
    tool: 'task_claim',
    title: 'Claim a run to work on',
    description: 'For an agent session serving a runner: session agent of this node: takes the oldest run waiting for a worker and holds it for a lease. Report with task_progress (each call renews the lease), end with task_complete or task_fail. A run whose lease runs out goes back to wait for another worker, and the first worker\'s lease token is refused from then on. Answers {task: null} when no run came within wait ms.',
    params: {
      agent: agentName.optional().describe('Only runs of this session agent (default: any session agent of this node)'),
      lease: z.int().min(MIN_LEASE).max(MAX_LEASE).optional().describe(`ms the claim holds without a task_progress (default 60000; ${MIN_LEASE} to ${MAX_LEASE})`),
      wait: z.int().min(0).max(MAX_CLAIM_WAIT).optional().describe(`ms to wait for a run when none is waiting (default 0; at most ${MAX_CLAIM_WAIT})`)
    },
    result: {
      task: z.looseObject({
        id: z.string(),
        lease: z.string().describe('Token for task_progress, task_complete and task_fail'),
        agent: z.string(),
        input: z.string(),
        caller: z.string().describe('Peer id of the node that asked'),
        callerAgent: z.string(),
        attempt: z.int().describe('1 for a first claim; more when an earlier worker\'s lease ran out'),
        leaseExpiresAt: z.number(),
        deadline: z.number().describe('When the caller stops waiting (ms since the epoch)')
      }).nullable()
    },
    readOnly: false,
    destructive: false,
    idempotent: false,
    openWorld: false,
    async run (node, { agent, lease, wait }, context) {
      const task = await node.runs.tasks.claim({ agents: agent == null ? undefined : [agent], lease, wait, signal: context.signal })
      return { task: task ?? null }
    }
  }),
  define({
    method: 'task.progress',
    tool: 'task_progress',
    title: 'Report progress on a claimed run',
    description: 'Renews the lease on a run claimed with task_claim; a message goes to the caller as progress (not part of the output). Fails with LeaseLostError once the lease ran out, and TaskNotFoundError when the run ended or its caller cancelled it: stop working on it then.',
    params: {
      id: z.string().regex(/^[0-9a-f]{24}$/).describe('The run\'s id from task_claim'),
      lease: z.string().min(1).max(64).describe('The lease token from task_claim'),
      message: utf8(MAX_TASK_PROGRESS).optional().describe(`How the run goes, in words (at most ${MAX_TASK_PROGRESS} bytes)`)
    },
    result: { leaseExpiresAt: z.number() },
    readOnly: false,
    destructive: false,
    idempotent: false,
    openWorld: false,
    async run (node, { id, lease, message }) {
      return { ...node.runs.tasks.progress(id, lease, message) }
    }
  }),
  define({
    method: 'task.complete',
    tool: 'task_complete',
    title: 'Complete a claimed run',
    description: 'Ends a run claimed with task_claim: its output goes to the caller. A run with a key is journaled before this answers, so it is not run again. Repeating the call with the same lease answers the same.',
    params: {
      id: z.string().regex(/^[0-9a-f]{24}$/).describe('The run\'s id from task_claim'),
      lease: z.string().min(1).max(64).describe('The lease token from task_claim'),
      output: utf8(MAX_TASK_OUTPUT).optional().describe(`The run's output (at most ${MAX_TASK_OUTPUT / 1024} KiB)`)
    },
    result: { ok: z.boolean() },
    readOnly: false,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node, { id, lease, output }) {
      await node.runs.tasks.complete(id, lease, output ?? '')
      return { ok: true }
    }
  }),
  define({
    method: 'task.fail',
    tool: 'task_fail',
    title: 'Fail a claimed run',
    description: 'Ends a run claimed with task_claim as failed: its caller gets AgentFailedError with the message.',
    params: {
      id: z.string().regex(/^[0-9a-f]{24}$/).describe('The run\'s id from task_claim'),
      lease: z.string().min(1).max(64).describe('The lease token from task_claim'),
      message: utf8(MAX_TASK_PROGRESS).min(1).describe('Why it failed')
    },
    result: { ok: z.boolean() },
    readOnly: false,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node, { id, lease, message }) {
      node.runs.tasks.fail(id, lease, message)
      return { ok: true }
    }
  }),
  define({
    method: 'task.list',
    tool: 'task_list',
    title: 'Runs waiting for workers',
    description: 'The runs of this node\'s session agents: waiting for a worker, or claimed (with the lease\'s end and the latest progress), oldest first; and per agent, the runs waiting and claimed, the claims waiting for a run now and when a worker last asked.',
    params: {},
    result: {
      tasks: z.array(z.looseObject({ id: z.string(), agent: z.string(), state: z.enum(['waiting', 'claimed']), attempt: z.int(), caller: z.string(), offeredAt: z.number() })),
      workers: z.array(z.looseObject({ agent: z.string(), waiting: z.int(), claimed: z.int(), claimsWaiting: z.int(), lastAskedAt: z.number().optional() }))
    },
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node) {
      return { tasks: node.runs.tasks.list(), workers: node.runs.tasks.workers() }
    }
  }),
  define({
    method: 'agent.export',
    title: 'Export an agent package',
    description: 'The package of one of this node\'s agents, signed by the node: its config without secrets, and its top shared and federation chunks by salience × confidence (the private zone never leaves the node).',
    params: {
      name: agentName.describe('An agent this node\'s config declares'),
      top: z.int().min(0).max(MAX_PACKAGE_CHUNKS).optional().describe(`Chunks to carry (default 20; at most ${MAX_PACKAGE_CHUNKS})`)
    },
    result: {
      format: z.string(),
      node: z.string(),
      agent: z.looseObject({ name: z.string(), runner: z.string() }),
      memory: z.array(z.looseObject({ id: z.string(), text: z.string() })),
      signed: z.string()
    },
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node, { name, top }) {
      return { ...await delegations(node).export(name, { top }) }
    }
  }),
  define({
    method: 'agent.delegate',
    title: 'Lend an agent to a node',
    description: 'Installs one of this node\'s agents on another node for a time (the peer\'s delegation config must allow it). Runs go there meanwhile; at the end the agent leaves the peer and what it wrote there comes back.',
    params: {
      name: agentName.describe('An agent this node\'s config declares'),
      to: peerId.describe('Peer id of the node to host it'),
      duration: z.int().min(1_000).max(MAX_DELEGATION).describe('ms the peer hosts it')
    },
    result: { agent: z.string(), peer: z.string(), state: z.string(), expiresAt: z.number() },
    readOnly: false,
    destructive: false,
    idempotent: false,
    openWorld: true,
    async run (node, { name, to, duration }) {
      return { ...await delegations(node).delegate(name, to, duration) }
    }
  }),
  define({
    method: 'agent.recall',
    title: 'Take a lent agent back',
    description: 'Ends a delegation before its time: the peer removes the agent and gives back what it wrote.',
    params: { name: agentName },
    result: { agent: z.string(), peer: z.string(), state: z.string() },
    readOnly: false,
    destructive: false,
    idempotent: false,
    openWorld: true,
    async run (node, { name }) {
      return { ...await delegations(node).recall(name) }
    }
  }),
  define({
    method: 'agent.delegations',
    title: 'Agents lent and hosted',
    description: 'Agents this node lent (outgoing: lent, back, with the chunks given back) and agents it hosts for others (incoming).',
    params: {},
    result: { outgoing: z.array(z.looseObject({ agent: z.string(), peer: z.string(), state: z.string() })), incoming: z.array(z.looseObject({ agent: z.string(), peer: z.string(), state: z.string() })) },
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node) {
      return { ...delegations(node).list() }
    }
  }),
  define({
    method: 'agent.list',
    tool: 'list_agents',
    title: 'List mesh agents',
    description: 'Every agent this node can route a run to, on this node or on other nodes: what it does (description, skills), free slots, queue depth and status.',
    params: {},
    result: {
      agents: z.array(z.looseObject({ name: z.string(), description: z.string(), skills: z.array(z.string()), host: z.string(), self: z.boolean(), status: z.string() }))
    },
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node) {
      return { agents: node.runs.agents() }
    }
  }),
  define({
    method: 'agent.runs',
    title: 'Runs of this node',
    description: 'Runs in progress and the latest finished ones, as caller and as host.',
    params: {},
    result: {},
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node) {
      return { ...node.runs.runs() }
    }
  }),
  define({
    method: 'mesh.status',
    tool: 'mesh_status',
    title: 'Mesh status',
    description: 'This node (peer id, mesh, addresses, uptime, memory per zone) and the mesh around it: every member it knows with its status, round-trip time and connections.',
    params: {
      members: z.boolean().optional().describe('List every member too (default true)')
    },
    result: {
      peerId: z.string(),
      mesh: z.string(),
      version: z.string(),
      addresses: z.array(z.string()),
      peers: z.record(z.string(), z.number()),
      members: z.array(z.looseObject({ peerId: z.string(), status: z.string() })).optional()
    },
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node, { members }) {
      return members === false ? { ...node.status() } : { ...node.status(), members: node.peers() }
    }
  }),
  define({
    method: 'mesh.peers',
    title: 'Mesh members',
    description: 'Every mesh member this node knows, with status, heartbeat and connections.',
    params: {},
    result: { peers: z.array(z.looseObject({ peerId: z.string(), status: z.string() })) },
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node) {
      return { peers: node.peers() }
    }
  }),
  define({
    method: 'health.ping',
    title: 'Ping',
    description: 'Answers at once: whether the node is up, its peer id and version.',
    params: {},
    result: { ok: z.boolean(), peerId: z.string(), version: z.string(), time: z.number() },
    readOnly: true,
    destructive: false,
    idempotent: true,
    openWorld: false,
    async run (node) {
      return { ok: true, peerId: node.peerId, version: VERSION, time: Date.now() }
    }
  })
] as const satisfies ReadonlyArray<Operation<any>>

/**
 * JSON Schemas of every operation's params and result, by JSON-RPC method
 * (what `protocols/local-api.schema.json` holds)
 */
export function operationSchemas (): Record<string, unknown> {
  const methods: Record<string, unknown> = {}
  for (const op of OPERATIONS as ReadonlyArray<Operation<any>>) {
    methods[op.method] = {
      title: op.title,
      description: op.description,
      ...(op.tool != null ? { mcpTool: op.tool } : {}),
      readOnly: op.readOnly,
      destructive: op.destructive,
      params: z.toJSONSchema(z.strictObject(op.params), { target: 'draft-2020-12' }),
      result: z.toJSONSchema(z.looseObject(op.result), { target: 'draft-2020-12' })
    }
  }
  return {
    $comment: 'Generated from packages/node/src/operations.ts; the local-api test fails when it drifts (UPDATE_SCHEMAS=1 rewrites it)',
    methods
  }
}

const BY_METHOD = new Map<string, Operation<any>>((OPERATIONS as ReadonlyArray<Operation<any>>).map(op => [op.method, op]))

/** The operation behind a JSON-RPC method name */
export function operation (method: string): Operation<any> | undefined {
  return BY_METHOD.get(method)
}

/** Runs an operation by its method name, its params checked first (unknown keys are ignored) */
export async function callOperation (node: NodePort, method: string, params: unknown, context: OperationContext = {}): Promise<Record<string, unknown>> {
  const op = BY_METHOD.get(method)
  if (op == null) throw new TypeError(`no operation ${method}`)
  return await op.run(node, parseParams(op, params), context)
}

/**
 * Checks params against an operation's schema: an `InvalidParamsError`
 * naming each offending key, or the params as the handler takes them.
 * `strict` refuses keys the schema does not know.
 */
export function parseParams (op: Operation<any>, raw: unknown, options: { strict?: boolean } = {}): Record<string, unknown> {
  const schema = options.strict === true ? z.strictObject(op.params) : z.object(op.params)
  const parsed = schema.safeParse(raw ?? {})
  if (parsed.success) return parsed.data
  const issues = parsed.error.issues.map(i => ({ path: i.path.join('.'), message: i.message }))
  throw new InvalidParamsError(issues.map(i => i.path === '' ? i.message : `${i.path}: ${i.message}`).join('; '), issues)
}
