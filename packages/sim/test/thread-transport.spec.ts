import assert from 'node:assert/strict'
import { once } from 'node:events'
import { MessageChannel } from 'node:worker_threads'
import { describe, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ThreadRouter } from '../src/thread-transport.js'
import type { MessagePort } from 'node:worker_threads'

/** Two routers joined as two threads would be, node i listening in thread i % 2 */
function routers (): [ThreadRouter, ThreadRouter] {
  const { port1, port2 } = new MessageChannel()
  const threadOf = (address: string): number | undefined => {
    const index = Number(/-(\d+)$/.exec(address)?.[1])
    return Number.isInteger(index) ? index % 2 : undefined
  }
  return [new ThreadRouter(0, new Map([[1, port1]]), threadOf), new ThreadRouter(1, new Map([[0, port2]]), threadOf)]
}

describe('ThreadRouter', () => {
  it('hands a dial to the listener of the other thread, with the dialer\'s peer id, and carries bytes both ways in order', async () => {
    const [a, b] = routers()
    const dialer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const accepted = Promise.withResolvers<{ port: MessagePort, from: string }>()
    b.register('/memory/sim-1', { inbound: (port: MessagePort, from: string) => { accepted.resolve({ port, from }) } } as any)
    const near = await a.connect('/memory/sim-1', dialer, {})
    const far = await accepted.promise
    assert.equal(far.from, dialer.toString())
    const got: number[] = []
    far.port.on('message', (msg: Uint8Array) => { got.push(msg[0]) })
    for (let i = 0; i < 5; i++) near.postMessage(new Uint8Array([i]))
    while (got.length < 5) await once(far.port, 'message')
    assert.deepEqual(got, [0, 1, 2, 3, 4])
    far.port.postMessage(new Uint8Array([42]))
    const [back] = await once(near, 'message') as [Uint8Array]
    assert.equal(back[0], 42)
    near.close()
    far.port.close()
  })

  it('refuses a dial to an address nobody listens on, in either thread, and to one that names no node', async () => {
    const [a, b] = routers()
    const dialer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    await assert.rejects(a.connect('/memory/sim-3', dialer, {}), { name: 'ConnectionFailedError' })
    await assert.rejects(a.connect('/memory/sim-2', dialer, {}), { name: 'ConnectionFailedError' })
    await assert.rejects(b.connect('/memory/nobody', dialer, {}), { name: 'ConnectionFailedError' })
  })

  it('stops handing dials to a listener once it is unregistered, and refuses a second listener on one address', async () => {
    const [a, b] = routers()
    const dialer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const listener = { inbound: () => {} } as any
    b.register('/memory/sim-5', listener)
    assert.throws(() => { b.register('/memory/sim-5', { inbound: () => {} } as any) }, { name: 'ListenError' })
    b.unregister('/memory/sim-5', listener)
    await assert.rejects(a.connect('/memory/sim-5', dialer, {}), { name: 'ConnectionFailedError' })
  })
})
