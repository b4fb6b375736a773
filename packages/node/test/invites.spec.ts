import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { generateKey } from '@libp2p/pnet'
import { Invites, redeemInvite } from '../src/invites.js'

describe('Invites', () => {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => { for (const cleanup of cleanups.splice(0)) await cleanup() })

  async function invites (): Promise<Invites> {
    const dir = await mkdtemp(join(tmpdir(), 'overmind-invites-'))
    const meshKey = new Uint8Array(95)
    generateKey(meshKey)
    const made = new Invites({ file: join(dir, 'invites.json'), mesh: 'lab', meshKey, listen: ['/ip4/127.0.0.1/tcp/0'], nodeAddresses: () => [] })
    await made.start()
    cleanups.push(async () => { await made.stop(); await rm(dir, { recursive: true, force: true }) })
    return made
  }
  const joiner = async (): Promise<{ peerId: ReturnType<typeof peerIdFromPrivateKey> }> => ({ peerId: peerIdFromPrivateKey(await generateKeyPair('Ed25519')) })

  it('answers used-up, not unknown, to a redeem right after the last use, while its door closes', async () => {
    const made = await invites()
    const { ticket, id } = await made.create({ uses: 1 })
    const first = await redeemInvite(ticket, await joiner())
    assert.deepEqual([first.mesh, first.usesLeft], ['lab', 0])
    await assert.rejects(redeemInvite(ticket, await joiner()), { name: 'InviteRefusedError', reason: 'used-up' })
    assert.deepEqual(made.list(), [], 'a used-up invite is not listed')
    assert.equal(await made.revoke(id), false, 'nor revoked: no live invite has its id')
  })
})
