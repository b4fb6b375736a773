import { TypedEventEmitter, setMaxListeners } from '@libp2p/interface'
import { peerIdFromMultihash, peerIdFromString } from '@libp2p/peer-id'
import { chunkView, outboundEntry, verifyEntry } from '@overmind/memory'
import {
  EntryKind, QueryRequest, QueryResponse, MAX_QUERY_K, MAX_QUERY_REQUEST_SIZE, MAX_QUERY_RESPONSE_SIZE, MAX_QUERY_TEXT_LENGTH,
  QUERY_REQUEST_LIMITS, QUERY_RESPONSE_LIMITS, lengthPrefixed, openStream
} from '@overmind/protocols'
import * as Digest from 'multiformats/hashes/digest'
import { pbStream } from '@libp2p/utils'
import { MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, QUERY_DEADLINE, QUERY_FANOUT, QUERY_PROTOCOL } from './constants.js'
import type {
  FederatedSearchOptions, FederatedSearchResult, MemoryQueryComponents, MemoryQueryInit, MemoryQueryService,
  MemoryQueryEvents, PeerAnswer, QueryError
} from './index.js'
import type { Connection, Logger, PeerId, Startable, Stream } from '@libp2p/interface'
import type { MemoryStore, SearchQuery, SearchResult, VerifiedChunk } from '@overmind/memory'

/**
 * Federated search. A node answers a peer's query from its replicated zones
 * only; a caller asks its peers in parallel with one deadline, verifies every
 * chunk it gets back, and merges the answers with its own by chunk id. A slow
 * or dead peer only costs its own answer.
 */
export class MemoryQuery extends TypedEventEmitter<MemoryQueryEvents> implements MemoryQueryService, Startable {
  readonly protocol = QUERY_PROTOCOL
  private readonly components: MemoryQueryComponents
  private readonly store: MemoryStore
  private readonly log: Logger
  private readonly deadline: number
  private readonly shutdown = new AbortController()
  private started = false

  constructor (components: MemoryQueryComponents, init: MemoryQueryInit) {
    super()
    this.components = components
    this.store = init.store
    this.deadline = init.deadline ?? QUERY_DEADLINE
    this.log = components.logger.forComponent('overmind:memory-query')
    setMaxListeners(Infinity, this.shutdown.signal)
  }

  readonly [Symbol.toStringTag] = '@overmind/memory-query'

  async start (): Promise<void> {
    await this.components.registrar.handle(this.protocol, (stream, connection) => {
      this.serve(stream, connection).catch(err => {
        this.log('answering %s failed: %s', connection.remotePeer.toString(), err.message)
        stream.abort(err)
      })
    }, {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      maxOutboundStreams: MAX_OUTBOUND_STREAMS,
      runOnLimitedConnection: true
    })
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    this.shutdown.abort()
    await this.components.registrar.unhandle(this.protocol)
  }

  /**
   * Searches this node and its connected peers. Resolves by the deadline
   * with whatever answered; `peers` tells who did, who failed and why.
   */
  async search (query: SearchQuery, options: FederatedSearchOptions = {}): Promise<FederatedSearchResult> {
    const k = Math.max(1, Math.min(query.k ?? 10, MAX_QUERY_K))
    const deadline = options.deadline ?? this.deadline
    const signal = AbortSignal.any([AbortSignal.timeout(deadline), this.shutdown.signal, ...(options.signal != null ? [options.signal] : [])])
    setMaxListeners(Infinity, signal)
    const peers = options.peers ?? this.connectedPeers().slice(0, options.fanout ?? QUERY_FANOUT)
    const request: QueryRequest = {
      text: query.text,
      k,
      tags: query.tags ?? [],
      agent: query.agents?.[0] ?? '',
      authors: (query.authors ?? []).map(a => peerIdFromString(a).toMultihash().bytes as Uint8Array<ArrayBuffer>),
      since: BigInt(query.since ?? 0),
      until: BigInt(query.until ?? 0)
    }
    const started = Date.now()
    const [local, ...remote] = await Promise.allSettled([
      this.store.search({ ...query, k }),
      ...peers.map(async peer => await this.ask(peer, request, signal))
    ])
    const merged = new Map<string, SearchResult>()
    const answers: PeerAnswer[] = []
    if (local.status === 'fulfilled') {
      for (const r of local.value) merged.set(r.id, r)
    }
    remote.forEach((outcome, i) => {
      const peer = peers[i].toString()
      if (outcome.status === 'rejected') {
        answers.push({ peer, ok: false, results: 0, ms: Date.now() - started, error: signal.aborted ? 'deadline' : outcome.reason?.message ?? String(outcome.reason) })
        return
      }
      answers.push({ peer, ok: true, results: outcome.value.results.length, ms: outcome.value.ms })
      for (const r of outcome.value.results) {
        const known = merged.get(r.id)
        if (known == null || r.score > known.score) merged.set(r.id, known == null ? r : { ...r, node: known.node })
      }
    })
    const results = [...merged.values()].sort((a, b) => b.score - a.score).slice(0, k)
    const detail = { results: results.length, peers: answers, ms: Date.now() - started }
    this.safeDispatchEvent('query', { detail })
    return { results, peers: answers }
  }

  private connectedPeers (): PeerId[] {
    return [...this.components.connectionManager.getConnectionsMap().entries()]
      .filter(([, connections]) => connections.some(c => c.status === 'open'))
      .map(([peer]) => peer)
  }

  private async ask (peer: PeerId, request: QueryRequest, signal: AbortSignal): Promise<{ results: SearchResult[], ms: number }> {
    const started = Date.now()
    const stream = await openStream(this.components.connectionManager, peer, this.protocol, { signal })
    try {
      const pb = pbStream(stream, lengthPrefixed(MAX_QUERY_RESPONSE_SIZE))
      await pb.write(request, QueryRequest, { signal })
      const response = await pb.read(QueryResponse, { signal, limits: QUERY_RESPONSE_LIMITS })
      await stream.close({ signal }).catch(() => {})
      if (response.error !== '') throw new Error(`peer could not answer: ${response.error}`)
      // a peer vouches for nothing: every chunk must carry its author's signature (checked on the thread pool, in parallel)
      const items = response.results.slice(0, request.k)
      const entries = await Promise.all(items.map(async item => await verifyEntry(item.entry)))
      const results: SearchResult[] = []
      entries.forEach((entry, i) => {
        if (entry.kind !== EntryKind.CHUNK || !this.store.replicatedZones.includes(entry.body.zone)) return
        results.push(resultFrom(entry, items[i].score, items[i].confidence, peer.toString()))
      })
      return { results, ms: Date.now() - started }
    } catch (err: any) {
      stream.abort(err)
      throw err
    }
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const signal = AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(10_000)])
    const pb = pbStream(stream, lengthPrefixed(MAX_QUERY_REQUEST_SIZE))
    const request = await pb.read(QueryRequest, { signal, limits: QUERY_REQUEST_LIMITS })
    const response = await this.answer(request, connection.remotePeer, signal)
    await pb.write(response, QueryResponse, { signal })
    this.log.trace('answered %s with %d results', connection.remotePeer.toString(), response.results.length)
    await stream.close({ signal })
  }

  /**
   * Searches for a peer. A request this node cannot serve is answered with
   * one of the fixed errors of the spec: the detail (a decoder's or the
   * store's words) stays in the local log.
   */
  private async answer (request: QueryRequest, peer: PeerId, signal: AbortSignal): Promise<QueryResponse> {
    const refuse = (error: QueryError, detail: string): QueryResponse => {
      this.log('could not answer a query of %s (%s): %s', peer.toString(), error, detail)
      return { results: [], error }
    }
    if (Buffer.byteLength(request.text) > MAX_QUERY_TEXT_LENGTH) {
      return refuse('text-too-long', `text of ${Buffer.byteLength(request.text)} bytes`)
    }
    let authors: string[]
    try {
      authors = request.authors.map(a => peerIdFromMultihash(Digest.decode(a)).toString())
    } catch (err: any) {
      return refuse('bad-request', `an author is not a peer id: ${err.message}`)
    }
    try {
      const found = await this.store.searchEntries({
        text: request.text,
        k: Math.max(1, Math.min(request.k, MAX_QUERY_K)),
        tags: request.tags,
        agents: request.agent !== '' ? [request.agent] : undefined,
        authors,
        since: request.since > 0n ? Number(request.since) : undefined,
        until: request.until > 0n ? Number(request.until) : undefined,
        replicatedOnly: true,
        signal
      })
      const results = found.map(({ result, bytes }) => ({ entry: outboundEntry(bytes, this.store.replicatedZones), score: result.score, confidence: result.confidence }))
      return { results, error: '' }
    } catch (err: any) {
      this.log.error('could not answer a query of %s: %e', peer.toString(), err)
      return { results: [], error: 'unavailable' }
    }
  }
}

function resultFrom (entry: VerifiedChunk, score: number, confidence: number, node: string): SearchResult {
  // the peer's folded confidence; its events are not here to fold
  return { ...chunkView(entry.id, entry.body), confidence, score, similarity: 0, lexical: 0, node }
}
