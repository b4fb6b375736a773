/**
 * What the node relies on in the dependencies it patches (patches/): the
 * patched behaviour is there, and nothing else changed.
 */
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { generateKeyPair, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { noise } from '@libp2p/noise'
import { tcp } from '@libp2p/tcp'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { createLibp2p } from 'libp2p'
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, it } from 'vitest'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Identify } from '@libp2p/identify'
import type { Connection, Ed25519PrivateKey, Libp2p } from '@libp2p/interface'

/** A uint16 length decoder, as noise's, that counts how often it is asked */
function countingDecoder (): { decode: (data: Uint8Array | Uint8ArrayList) => number, calls: () => number } {
  let calls = 0
  return {
    decode: (data) => {
      calls++
      if (data.byteLength < 2) throw new RangeError('Could not decode int16BE')
      return data instanceof Uint8Array ? (data[0] << 8) + data[1] : data.getUint16(0)
    },
    calls: () => calls
  }
}

const frame = (body: Uint8Array): Uint8Array => Uint8Array.from([body.length >> 8, body.length & 0xff, ...body])

describe('@libp2p/utils LengthPrefixedDecoder (patched)', () => {
  it('does not ask for a length once a chunk is used up, so no error is made per chunk', () => {
    const counter = countingDecoder()
    const decoder = new LengthPrefixedDecoder({ lengthDecoder: counter.decode, encodingLength: () => 2 })
    const out = [...decoder.decode(frame(Uint8Array.from([1, 2, 3])))]
    assert.equal(out.length, 1)
    assert.deepEqual(out[0].subarray(), Uint8Array.from([1, 2, 3]))
    // unpatched, the decoder is asked a second time, of an empty buffer, and throws
    assert.equal(counter.calls(), 1)
  })

  it('still yields every frame of a chunk, and frames split over chunks at any byte', () => {
    const bodies = [Uint8Array.from([9]), new Uint8Array(300).fill(4), Uint8Array.from([1, 2])]
    const stream = Uint8Array.from(bodies.flatMap(b => [...frame(b)]))
    const whole = new LengthPrefixedDecoder({ lengthDecoder: countingDecoder().decode, encodingLength: () => 2 })
    assert.deepEqual([...whole.decode(stream)].map(b => b.subarray()), bodies)
    for (let cut = 1; cut < stream.length; cut++) {
      const split = new LengthPrefixedDecoder({ lengthDecoder: countingDecoder().decode, encodingLength: () => 2 })
      const got = [...split.decode(stream.subarray(0, cut)), ...split.decode(stream.subarray(cut))]
      assert.deepEqual(got.map(b => b.subarray()), bodies, `cut at ${cut}`)
    }
  })
})

describe('@libp2p/crypto Ed25519 verification (patched: key objects kept)', () => {
  const message = new TextEncoder().encode('a beat of the mesh')

  it('verifies each signer\'s signature only under its own key, however often keys repeat', async () => {
    const keys = await Promise.all(Array.from({ length: 3 }, async () => generateKeyPair('Ed25519'))) as Ed25519PrivateKey[]
    const signatures = await Promise.all(keys.map(async key => key.sign(message)))
    for (let round = 0; round < 3; round++) {
      for (const [i, key] of keys.entries()) {
        for (const [j, signature] of signatures.entries()) {
          assert.equal(await key.publicKey.verify(message, signature), i === j, `round ${round}: key ${i}, signature ${j}`)
        }
        // a key made again from its bytes is the same key
        assert.equal(await publicKeyFromRaw(key.publicKey.raw).verify(message, signatures[i]), true)
      }
    }
  })

  it('refuses a forged signature or message from a key it has verified before', async () => {
    const key = await generateKeyPair('Ed25519')
    const signature = await key.sign(message)
    assert.equal(await key.publicKey.verify(message, signature), true)
    const forged = Uint8Array.from(signature)
    forged[5] ^= 1
    assert.equal(await key.publicKey.verify(message, forged), false)
    assert.equal(await key.publicKey.verify(Uint8Array.from([...message, 0]), signature), false)
  })

  it('stays right when more signers come than it keeps key objects for', async () => {
    const keys = await Promise.all(Array.from({ length: 1100 }, async () => generateKeyPair('Ed25519')))
    const signatures = await Promise.all(keys.map(async key => key.sign(message)))
    for (const pass of [0, 1]) {
      for (let i = 0; i < keys.length; i++) {
        assert.equal(await keys[i].publicKey.verify(message, signatures[i]), true, `pass ${pass}: signer ${i}`)
        assert.equal(await keys[i].publicKey.verify(message, signatures[(i + 1) % keys.length]), false, `pass ${pass}: signer ${i}, another's signature`)
      }
    }
  })
})

/** Polls `check` until it holds; fails naming `what` after `timeout` ms */
async function until (check: () => boolean | Promise<boolean>, what: string, timeout = 10_000): Promise<void> {
  const end = Date.now() + timeout
  while (!await check()) {
    if (Date.now() > end) assert.fail(`${what}: not within ${timeout} ms`)
    await sleep(50)
  }
}

async function gossipNode (): Promise<Libp2p<{ identify: Identify, pubsub: GossipSub }>> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: { identify: identify(), pubsub: gossipsub({ allowPublishToZeroTopicPeers: true }) }
  })
}

/** Whether `connection` carries this side's gossipsub stream */
const carriesGossip = (connection: Connection): boolean => connection.streams.some(s => s.direction === 'outbound' && s.protocol?.startsWith('/meshsub/') === true)

describe('@libp2p/gossipsub outbound stream (patched)', () => {
  it('opens its stream to a peer again on another open connection once the connection it ran on closes', async () => {
    const topic = 'patched-dependencies'
    const [a, b] = await Promise.all([gossipNode(), gossipNode()])
    try {
      const received: string[] = []
      b.services.pubsub.subscribe(topic)
      b.services.pubsub.addEventListener('message', evt => { received.push(new TextDecoder().decode(evt.detail.data)) })
      const first = await a.dial(b.getMultiaddrs()[0])
      await until(() => a.services.pubsub.getSubscribers(topic).some(p => p.equals(b.peerId)) && carriesGossip(first), 'A knows B\'s subscription, its stream to B on the first connection')
      // a second connection to the same peer, as a direct link beside a relayed one
      const identified = new Set<string>()
      a.addEventListener('peer:identify', evt => { identified.add(evt.detail.connection.id) })
      const second = await a.dial(b.getMultiaddrs()[0], { force: true })
      // identified, the connection is offered to gossipsub, which keeps the stream it has
      await until(() => identified.has(second.id), 'the second connection identified')
      assert.notEqual(first.id, second.id)
      assert.ok(!carriesGossip(second), 'gossipsub keeps its one stream to B on the first connection')

      await first.close()
      // unpatched, gossipsub only drops the stream: no event tells it of the connection left,
      // and every message to B is lost ("no open stream to it available")
      await until(() => carriesGossip(second), 'A\'s stream to B opened again on the second connection')
      let n = 0
      await until(async () => {
        await a.services.pubsub.publish(topic, new TextEncoder().encode(`after the close ${n++}`))
        return received.length > 0
      }, 'a message from A reaches B over the second connection')
      assert.match(received[0], /^after the close \d+$/)
      assert.equal(a.getConnections(b.peerId).length, 1)
    } finally {
      await Promise.all([a.stop(), b.stop()])
    }
  })
})
