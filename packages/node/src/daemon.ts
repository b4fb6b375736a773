import { LevelDatastore } from 'datastore-level'
import { StorageError, checkStoreFolder, folderState, storageError } from '@overmind/memory'
import { rm, writeFile, readFile } from 'node:fs/promises'
import { isAbsolute, join, resolve as resolvePath } from 'node:path'
import { startApiServer } from '@overmind/api'
import { mayCreateMemory, openDataDir } from './data-dir.js'
import { INVITES_FILE } from './files.js'
import { DataDirError } from './errors.js'
import { createNodeLog } from './log.js'
import { createRejectionLog } from './rejection-log.js'
import { OvermindNode } from './node.js'
import { Invites } from './invites.js'
import type { ApiServer, ApiState, OtherMeshPeer } from '@overmind/api'
import type { DataDir } from './data-dir.js'
import type { NodeLog } from './log.js'
import type { PeerStatusChange, HeartbeatRejection } from '@overmind/heartbeat'
import type { EntryRejection } from '@overmind/replication'
import type { BootstrapFailure } from './mesh-dialer.js'

export interface RunNodeOptions {
  dataDir: string
  /** Replace the config's listen addresses */
  listen?: string[]
  /** Replace the config's bootstrap list */
  bootstrap?: string[]
  /** Turn mDNS discovery on or off */
  mdns?: boolean
  /** Replace api.port */
  apiPort?: number
  /** Replace api.host */
  apiHost?: string
  /** Allow plain HTTP on an address other than loopback (api.insecure) */
  insecure?: boolean
  /** Serve the live mesh page (api.ui) */
  ui?: boolean
  env?: Record<string, string | undefined>
  /** Defaults to a log on stderr configured by the config file */
  log?: NodeLog
}

export interface RunningNode {
  node: OvermindNode
  api: ApiServer
  dataDir: DataDir
  log: NodeLog
  stop(): Promise<void>
}

/**
 * Opens a data dir, starts its node and local API, and reports what happens
 * in the mesh to the operator log. `overmind start` runs this in the
 * foreground until SIGINT or SIGTERM.
 */
export async function runNode (options: RunNodeOptions): Promise<RunningNode> {
  const dataDir = await openDataDir(options.dataDir, { env: options.env })
  const config = structuredClone(dataDir.config)
  if (options.listen != null && options.listen.length > 0) config.listen = options.listen
  if (options.bootstrap != null && options.bootstrap.length > 0) config.bootstrap = options.bootstrap
  if (options.mdns != null) config.discovery.mdns = options.mdns
  if (options.apiPort != null) config.api.port = options.apiPort
  if (options.apiHost != null) config.api.host = options.apiHost
  if (options.insecure != null) config.api.insecure = options.insecure
  if (options.ui != null) config.api.ui = options.ui
  const log = options.log ?? createNodeLog({ level: config.log.level, format: config.log.format })

  const tls = await readTls(dataDir, config.api.tlsCert, config.api.tlsKey)
  await refuseSecondNode(dataDir)
  let node: OvermindNode
  try {
    const createMemory = await mayCreateMemory(dataDir)
    const datastore = await openDatastore(dataDir.paths.datastore)
    node = await OvermindNode.create({ config, privateKey: dataDir.privateKey, psk: dataDir.psk, datastore, memoryPath: dataDir.paths.memory, createMemory, dataDir: dataDir.path, metrics: config.api.metrics })
  } catch (err: any) {
    throw translateOpenError(err, dataDir)
  }
  const detach = reportEvents(node, log)
  try {
    await node.start()
  } catch (err: any) {
    detach()
    await node.stop().catch(() => {})
    throw translateListenError(err, config.listen)
  }
  const invites = new Invites({
    file: join(dataDir.path, INVITES_FILE),
    mesh: config.mesh.name,
    meshKey: dataDir.psk,
    listen: config.listen,
    nodeAddresses: () => node.addresses(),
    onRedeem: ({ id, peerId, name, status }) => {
      if (status === 'admitted') log.info('invite redeemed: a node joins', { invite: id, peer: peerId, name })
      else log.warn(`invite refused: ${status}`, { invite: id, peer: peerId, name })
    }
  })
  let api: ApiServer
  try {
    await invites.start()
    api = await startApiServer({
      node,
      invites,
      token: dataDir.apiToken,
      host: config.api.host,
      port: config.api.port,
      tls,
      insecure: config.api.insecure,
      allowedHosts: config.api.allowedHosts,
      allowedOrigins: config.api.allowedOrigins,
      maxBody: config.api.maxBody,
      rateLimit: config.api.rateLimit,
      ui: config.api.ui,
      metrics: config.api.metrics,
      a2aDefaultAgent: config.api.a2aDefaultAgent !== '' ? config.api.a2aDefaultAgent : undefined
    })
  } catch (err: any) {
    detach()
    await invites.stop()
    await node.stop()
    if (err.name === 'InsecureApiError') throw err
    const hint = err.code === 'EADDRINUSE' ? ' (another node may be using it: set api.port, or --api-port 0 for any free port)' : ''
    throw new Error(`cannot start the local API on ${config.api.host}:${config.api.port}: ${err.message}${hint}`)
  }
  const state: ApiState = { url: api.url, pid: process.pid, peerId: node.peerId, tokenFile: dataDir.paths.apiToken, tlsCert: tls != null ? resolvePath(dataDir.path, config.api.tlsCert) : undefined }
  await writeFile(dataDir.paths.apiState, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 })

  log.info('node started', { peerId: node.peerId, name: node.name, mesh: config.mesh.name, dataDir: dataDir.path })
  for (const addr of node.addresses()) {
    log.info('listening', { address: addr })
  }
  log.info('local API', { url: api.url })

  let stopping: Promise<void> | undefined
  return {
    node,
    api,
    dataDir,
    log,
    stop: async () => {
      stopping ??= (async () => {
        log.info('stopping')
        detach()
        await api.close()
        await invites.stop()
        try {
          await node.stop()
        } finally {
          await removeIfOurs(dataDir.paths.apiState)
        }
        // WebRTC's native threads outlive a peer connection whose ICE failed and hold the process
        // open: the daemon owns the process, so it ends them once the node has stopped
        if (config.nat.webrtc) await import('node-datachannel').then(ndc => { ndc.cleanup() }, () => {})
        log.info('stopped')
      })()
      await stopping
    }
  }
}

function reportEvents (node: OvermindNode, log: NodeLog): () => void {
  const { heartbeat, dialer, knowledge, memorySync } = node.libp2p.services
  const onStatus = (evt: CustomEvent<PeerStatusChange>): void => {
    const { peer, previous } = evt.detail
    if (previous == null) {
      log.info('peer joined', { peer: peer.peerId, name: peer.name, status: peer.status, version: peer.version })
    } else if (peer.status === 'stale' || peer.status === 'gone') {
      log.warn(`peer is ${peer.status}`, { peer: peer.peerId, missedBeats: peer.missedBeats })
    } else if (previous === 'stale' || previous === 'gone') {
      log.info('peer is back', { peer: peer.peerId, status: peer.status })
    } else {
      log.debug('peer status', { peer: peer.peerId, status: peer.status, previous })
    }
  }
  const rejections = createRejectionLog(log)
  const onRejected = (evt: CustomEvent<HeartbeatRejection>): void => {
    rejections.report({ kind: 'heartbeat', ...evt.detail })
  }
  const onEntryRejected = (evt: CustomEvent<EntryRejection>): void => {
    rejections.report({ kind: 'entry', ...evt.detail })
  }
  const onBootstrapFailed = (evt: CustomEvent<BootstrapFailure>): void => {
    const sample = evt.detail.errors[0]
    // a peer that once finished a handshake with this node shares its key: it is down or out of reach
    const message = evt.detail.handshakeSeen
      ? 'lost every bootstrap peer; still trying (they answered before: they may be down or out of reach)'
      : 'cannot join the mesh through any bootstrap peer; still trying. If they are running, check that this node has the mesh\'s key (mesh.key): a node with another key cannot finish a handshake'
    log.warn(message, {
      rounds: evt.detail.rounds,
      address: sample?.address,
      error: sample?.error
    })
  }
  const onOtherMesh = (evt: CustomEvent<OtherMeshPeer>): void => {
    log.warn(`a peer holds this mesh's key but is in mesh "${evt.detail.mesh}", this node in "${node.mesh}": neither sees the other until both use the same mesh.name`, { peer: evt.detail.peerId, theirMesh: evt.detail.mesh, mesh: node.mesh })
  }
  node.addEventListener('mesh:other', onOtherMesh)
  heartbeat.addEventListener('peer:status', onStatus)
  heartbeat.addEventListener('heartbeat:rejected', onRejected)
  knowledge?.addEventListener('entry:rejected', onEntryRejected)
  memorySync?.addEventListener('entry:rejected', onEntryRejected)
  dialer.addEventListener('bootstrap:failed', onBootstrapFailed)
  return () => {
    node.removeEventListener('mesh:other', onOtherMesh)
    heartbeat.removeEventListener('peer:status', onStatus)
    heartbeat.removeEventListener('heartbeat:rejected', onRejected)
    knowledge?.removeEventListener('entry:rejected', onEntryRejected)
    memorySync?.removeEventListener('entry:rejected', onEntryRejected)
    dialer.removeEventListener('bootstrap:failed', onBootstrapFailed)
    rejections.stop()
  }
}

async function readTls (dataDir: DataDir, cert: string, key: string): Promise<{ cert: Buffer, key: Buffer } | undefined> {
  if (cert === '' && key === '') return undefined
  if (cert === '' || key === '') {
    throw new DataDirError('api.tlsCert and api.tlsKey go together: set both (PEM files) or neither')
  }
  const read = async (file: string, name: string): Promise<Buffer> => {
    const path = isAbsolute(file) ? file : join(dataDir.path, file)
    try {
      return await readFile(path)
    } catch (err: any) {
      throw new DataDirError(`cannot read ${path} (config key api.${name}): ${err.code === 'ENOENT' ? 'no such file' : err.message}`)
    }
  }
  return { cert: await read(cert, 'tlsCert'), key: await read(key, 'tlsKey') }
}

async function refuseSecondNode (dataDir: DataDir): Promise<void> {
  try {
    const state: ApiState = JSON.parse(await readFile(dataDir.paths.apiState, 'utf8'))
    process.kill(state.pid, 0)
    if (state.pid !== process.pid) {
      throw new DataDirError(`a node is already running on ${dataDir.path} (pid ${state.pid})`)
    }
  } catch (err: any) {
    if (err instanceof DataDirError) {
      throw err
    }
    // no state file, or its process is gone: a leftover from a crash
  }
}

async function removeIfOurs (file: string): Promise<void> {
  try {
    const state: ApiState = JSON.parse(await readFile(file, 'utf8'))
    if (state.pid === process.pid) {
      await rm(file, { force: true })
    }
  } catch {}
}

/**
 * libp2p's datastore (peer store, DHT records), checked as the memory store
 * is before LevelDB opens it and never created over a folder that holds one;
 * a missing one is created (it holds nothing that cannot be learnt again)
 */
async function openDatastore (path: string): Promise<LevelDatastore> {
  const state = await folderState(path)
  if (state === 'store') await checkStoreFolder(path)
  return new LevelDatastore(path, { createIfMissing: state !== 'store' })
}

/** A store that does not open, said with the data dir's commands */
function translateOpenError (err: any, dataDir: DataDir): Error {
  const failure = err instanceof StorageError ? err : storageError(err, dataDir.paths.datastore)
  if (failure.problem === 'locked') {
    return new DataDirError(`${failure.message.replace(/\?$/, '')} (${dataDir.path})`, { cause: err })
  }
  if (failure.problem === 'io' && !(err instanceof StorageError)) return err
  return new DataDirError(failure.message.replaceAll('`overmind check`', `\`overmind check --data-dir ${dataDir.path}\``).replaceAll('`overmind repair`', `\`overmind repair --data-dir ${dataDir.path}\``), { cause: err })
}

function translateListenError (err: any, listen: string[]): Error {
  const text = `${err.message} ${err.cause?.message ?? ''} ${(err.errors ?? []).map((e: Error) => e.message).join(' ')}`
  if (/EADDRINUSE/.test(text)) {
    return new Error(`cannot listen on ${listen.join(', ')}: address already in use (pass --listen with another port, e.g. /ip4/0.0.0.0/tcp/0 for any free port)`)
  }
  return err
}
