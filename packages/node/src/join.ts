import { hostname } from 'node:os'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { initDataDir, refuseInitialised } from './data-dir.js'
import { decodeTicket, redeemInvite } from './invites.js'
import type { InitResult } from './data-dir.js'

export interface JoinResult extends InitResult {
  /** The inviting node's addresses, now the config's bootstrap list */
  bootstrap: string[]
  /** Redeems the invite still allows */
  usesLeft: number
}

/**
 * Makes a data dir that joins the mesh of an invite: the identity is made
 * first, the invite redeemed at its door (which hands over the mesh name,
 * key and the inviting node's addresses), then the data dir is written with
 * them. Nothing is written when the invite is refused.
 */
export async function joinMesh (dir: string, ticket: string, options: { name?: string } = {}): Promise<JoinResult> {
  // every check that needs no network comes before the invite is used
  await refuseInitialised(dir)
  decodeTicket(ticket)
  const privateKey = await generateKeyPair('Ed25519')
  const admission = await redeemInvite(ticket, { peerId: peerIdFromPrivateKey(privateKey), name: options.name ?? hostname() })
  const result = await initDataDir(dir, {
    mesh: admission.mesh,
    meshKey: admission.meshKey,
    bootstrap: admission.bootstrap,
    name: options.name,
    privateKey
  })
  return { ...result, bootstrap: admission.bootstrap, usesLeft: admission.usesLeft }
}
