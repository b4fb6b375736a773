import { TypedEventEmitter } from '@libp2p/interface'
import { Registry } from 'prom-client'
import { NodeNotRunningError } from './errors.js'
import type { MeshEvents, NodePort } from './port.js'
import type { Logger } from '@libp2p/interface'
import type { RunAgentEvents } from '@overmind/agents'
import type { MemoryStore } from '@overmind/memory'

/** A logger that says nothing: an offline store has no node to log for */
const silent = Object.assign(() => {}, { error: () => {}, trace: () => {}, enabled: false }) as unknown as Logger

/**
 * The port of a data dir whose node is not running: its memory store,
 * opened by the CLI, and nothing else. Memory operations run through the
 * same `OPERATIONS` as over the API (the same checks and limits); whatever
 * needs the running node (the mesh, runs, a federated search) says to
 * start it.
 */
export function offlinePort (memory: MemoryStore, identity: { peerId: string, mesh: string }): NodePort {
  const start = (what: string): never => {
    throw new NodeNotRunningError(`${what} needs the running node: start it first (\`overmind start\`)`)
  }
  const runs = new (class extends TypedEventEmitter<RunAgentEvents> {
    run = async (): Promise<never> => start('a run')
    agents = (): never => start('the list of agents')
    runs = (): never => start('the list of runs')
    enqueue = async (): Promise<never> => start('a queued run')
    queued = (): never => start('the queued runs')
    get tasks (): never { return start('the runs of session agents') }
  })()
  return {
    peerId: identity.peerId,
    mesh: identity.mesh,
    name: '',
    version: '',
    memory,
    federated: { search: async () => start('a federated search, which asks the mesh,') },
    runs,
    events: new TypedEventEmitter<MeshEvents>(),
    registry: new Registry(),
    status: () => start('the status of the mesh'),
    peers: () => start('the peer table'),
    connections: () => start('the connections'),
    logger: () => silent
  }
}
