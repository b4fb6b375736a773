import assert from 'node:assert/strict'
import { defaultLogger } from '@libp2p/logger'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, it } from 'vitest'
import { dnsResolver } from '../src/dns-resolver.js'

const options = { log: defaultLogger().forComponent('test') }
const PEER = '12D3KooWPUctyKhcmpJqp9A91yeJdhxCmXJRpkSYq5kh6iBkU4U9'

describe('dnsResolver', () => {
  it('resolves /dns4, /dns6 and /dns names with the system resolver, keeping the rest of the address', async () => {
    const asked: Array<{ host: string, family: number }> = []
    const resolver = dnsResolver(async (host, { family }) => {
      asked.push({ host, family })
      return [{ address: '10.0.0.7', family: 4 }, { address: 'fd00::7', family: 6 }, { address: '10.0.0.7', family: 4 }]
    })
    const relayed = multiaddr(`/dns/relay.lab/tcp/4001/p2p/${PEER}/p2p-circuit`)
    assert.equal(resolver.canResolve(relayed), true)
    const out = await resolver.resolve(relayed, options)
    assert.deepEqual(out.map(ma => ma.toString()), [
      `/ip4/10.0.0.7/tcp/4001/p2p/${PEER}/p2p-circuit`,
      `/ip6/fd00::7/tcp/4001/p2p/${PEER}/p2p-circuit`
    ])
    await resolver.resolve(multiaddr('/dns4/relay.lab/tcp/1'), options)
    await resolver.resolve(multiaddr('/dns6/relay.lab/tcp/1'), options)
    assert.deepEqual(asked.map(a => a.family), [0, 4, 6])
  })

  it('leaves addresses, and /dnsaddr names (TXT records, libp2p\'s own resolver), alone', () => {
    const resolver = dnsResolver(async () => { throw new Error('not asked') })
    assert.equal(resolver.canResolve(multiaddr('/ip4/10.0.0.7/tcp/4001')), false)
    assert.equal(resolver.canResolve(multiaddr('/dnsaddr/bootstrap.libp2p.io')), false)
  })

  it('resolves localhost with the machine\'s resolver', async () => {
    const [first] = await dnsResolver().resolve(multiaddr('/dns4/localhost/tcp/4001'), options)
    assert.equal(first.toString(), '/ip4/127.0.0.1/tcp/4001')
  })
})
