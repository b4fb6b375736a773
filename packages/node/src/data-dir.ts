import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateKey } from '@libp2p/pnet'
import { loadConfig, renderConfigTemplate, updateConfigFile } from '@overmind/config'
import { createStore, folderState } from '@overmind/memory'
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { DataDirError, InvalidKeyFileError } from './errors.js'
import type { PrivateKey } from '@libp2p/interface'
import type { OvermindConfig } from '@overmind/config'

export { CONFIG_FILE, DEFAULT_MESH_KEY_FILE, DEFAULT_PEER_KEY_FILE, DEFAULT_TOKEN_FILE, API_STATE_FILE } from './files.js'
import { API_STATE_FILE, CONFIG_FILE, DEFAULT_MESH_KEY_FILE, DEFAULT_PEER_KEY_FILE, DEFAULT_TOKEN_FILE } from './files.js'
export const DATASTORE_DIR = 'datastore'
/** LevelDB of the federated memory */
export const MEMORY_DIR = 'memory'

const PSK_HEADER = '/key/swarm/psk/1.0.0/\n/base16/\n'
const PSK_PATTERN = /^\/key\/swarm\/psk\/1\.0\.0\/\r?\n\/base16\/\r?\n([0-9a-fA-F]{64})\s*$/

export interface InitOptions {
  /** Mesh name written to the config file */
  mesh?: string
  /** Import this mesh key instead of generating a new one */
  meshKeyFile?: string
  /** The mesh key itself, in the pnet file format (an invite's admission) */
  meshKey?: Uint8Array
  /** Written as the config's bootstrap list */
  bootstrap?: string[]
  /** Written as `identity.name` (empty: the host name) */
  name?: string
  /** The node's identity, when it was made before (a join sends its peer id) */
  privateKey?: PrivateKey
}

export interface InitResult {
  dataDir: string
  peerId: string
  mesh: string
  meshKeyFile: string
  configFile: string
  /** true when the mesh key was copied from `meshKeyFile` */
  importedMeshKey: boolean
}

/** Everything a node needs from its data dir */
export interface DataDir {
  path: string
  config: OvermindConfig
  privateKey: PrivateKey
  /** The mesh key in the pnet file format */
  psk: Uint8Array
  apiToken: string
  paths: {
    config: string
    meshKey: string
    peerKey: string
    apiToken: string
    apiState: string
    datastore: string
    memory: string
  }
}

/**
 * Creates a data dir: an Ed25519 identity, a mesh key (new or imported), an
 * API token and a commented config file. Secrets are written with mode 0600.
 * An existing identity is never overwritten.
 */
export async function initDataDir (dir: string, options: InitOptions = {}): Promise<InitResult> {
  const dataDir = resolve(dir)
  const mesh = options.mesh ?? 'overmind'
  const configFile = join(dataDir, CONFIG_FILE)
  const peerKeyFile = join(dataDir, DEFAULT_PEER_KEY_FILE)
  const meshKeyFile = join(dataDir, DEFAULT_MESH_KEY_FILE)
  const tokenFile = join(dataDir, DEFAULT_TOKEN_FILE)
  await refuseInitialised(dataDir)
  let psk: Uint8Array
  if (options.meshKey != null) {
    psk = meshKeyFromText(new TextDecoder().decode(options.meshKey), 'the mesh key given')
  } else if (options.meshKeyFile != null) {
    psk = await readMeshKey(options.meshKeyFile)
  } else {
    psk = new Uint8Array(95)
    generateKey(psk)
  }
  // render first so an invalid mesh name fails before anything is written
  const template = renderConfigTemplate({ mesh })
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const privateKey = options.privateKey ?? await generateKeyPair('Ed25519')
  await writeSecret(peerKeyFile, privateKeyToProtobuf(privateKey))
  await writeSecret(meshKeyFile, psk)
  await writeSecret(tokenFile, randomBytes(32).toString('hex') + '\n')
  await writeFile(configFile, template, { mode: 0o644 })
  const values: Record<string, unknown> = {}
  if (options.bootstrap != null && options.bootstrap.length > 0) values.bootstrap = options.bootstrap
  if (options.name != null && options.name !== '') values['identity.name'] = options.name
  if (Object.keys(values).length > 0) await updateConfigFile(configFile, values)
  // the memory store is created here, and never again over a folder that lost it
  await createStore(join(dataDir, MEMORY_DIR))
  return {
    dataDir,
    peerId: peerIdFromPrivateKey(privateKey).toString(),
    mesh,
    meshKeyFile,
    configFile,
    importedMeshKey: options.meshKeyFile != null || options.meshKey != null
  }
}

/** Refuses a folder that already holds a node's files: an identity is never overwritten */
export async function refuseInitialised (dir: string): Promise<void> {
  const dataDir = resolve(dir)
  for (const file of [CONFIG_FILE, DEFAULT_PEER_KEY_FILE, DEFAULT_MESH_KEY_FILE, DEFAULT_TOKEN_FILE].map(f => join(dataDir, f))) {
    if (await exists(file)) {
      throw new DataDirError(`${dataDir} is already initialised (${file} exists); choose another --data-dir or remove it first`)
    }
  }
}

/** Loads and checks the config, identity, mesh key and API token of a data dir */
export async function openDataDir (dir: string, options: { env?: Record<string, string | undefined> } = {}): Promise<DataDir> {
  const path = resolve(dir)
  const configFile = join(path, CONFIG_FILE)
  if (!(await exists(path))) {
    throw new DataDirError(`data dir ${path} does not exist: create it with \`overmind init --data-dir ${dir}\``)
  }
  if (!(await exists(configFile))) {
    throw new DataDirError(`${configFile} does not exist: is ${path} a data dir created by \`overmind init\`?`)
  }
  const config = await loadConfig(configFile, { env: options.env ?? process.env })
  const inDir = (file: string): string => isAbsolute(file) ? file : join(path, file)
  const paths = {
    config: configFile,
    meshKey: inDir(config.mesh.keyFile),
    peerKey: inDir(config.identity.keyFile),
    apiToken: inDir(config.api.tokenFile),
    apiState: join(path, API_STATE_FILE),
    datastore: join(path, DATASTORE_DIR),
    memory: join(path, MEMORY_DIR)
  }
  const psk = await readMeshKey(paths.meshKey, 'mesh.keyFile')
  const privateKey = await readPeerKey(paths.peerKey)
  const apiToken = await readToken(paths.apiToken)
  return { path, config, privateKey, psk, apiToken, paths }
}

/** Reads and checks a mesh key file (pnet format: 32 bytes as 64 hex digits) */
export async function readMeshKey (file: string, key?: string): Promise<Uint8Array> {
  const where = key != null ? ` (config key ${key})` : ''
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err: any) {
    throw new InvalidKeyFileError(`cannot read mesh key file ${file}${where}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`)
  }
  return meshKeyFromText(text, `mesh key file ${file}${where}`)
}

/** The mesh key of a key file's text, in the form libp2p reads; `what` names it in the error */
function meshKeyFromText (text: string, what: string): Uint8Array {
  const match = PSK_PATTERN.exec(text)
  if (match == null) {
    throw new InvalidKeyFileError(`${what} is not a mesh key: expected "${PSK_HEADER.replaceAll('\n', '\\n')}" followed by 64 hex digits`)
  }
  return new TextEncoder().encode(PSK_HEADER + match[1].toLowerCase())
}

async function readPeerKey (file: string): Promise<PrivateKey> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (err: any) {
    throw new InvalidKeyFileError(`cannot read the node's identity key ${file} (config key identity.keyFile): ${err.code === 'ENOENT' ? 'no such file' : err.message}`)
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err: any) {
    throw new InvalidKeyFileError(`${file} (config key identity.keyFile) is not a libp2p private key: ${err.message}`)
  }
}

async function readToken (file: string): Promise<string> {
  try {
    const token = (await readFile(file, 'utf8')).trim()
    if (token.length < 16) {
      throw new Error('token is shorter than 16 characters')
    }
    return token
  } catch (err: any) {
    throw new DataDirError(`cannot read the API token ${file} (config key api.tokenFile): ${err.code === 'ENOENT' ? 'no such file' : err.message}`)
  }
}

async function writeSecret (file: string, data: Uint8Array | string): Promise<void> {
  await writeFile(file, data, { mode: 0o600, flag: 'wx' })
  // the umask may have widened the mode
  await chmod(file, 0o600)
}

async function exists (file: string): Promise<boolean> {
  try {
    await stat(file)
    return true
  } catch {
    return false
  }
}

/**
 * Whether a node may create the memory store of a data dir: only one that
 * never ran a node (no memory store and no libp2p datastore; `overmind
 * init` creates the store). Once a node ran, a missing store is an error:
 * nothing is created over what was lost (`overmind repair` makes an empty
 * one, which peers refill).
 */
export async function mayCreateMemory (dir: DataDir): Promise<boolean> {
  return await folderState(dir.paths.memory) === 'absent' && await folderState(dir.paths.datastore) === 'absent'
}
