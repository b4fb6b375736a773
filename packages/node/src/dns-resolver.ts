import { lookup } from 'node:dns/promises'
import { CODE_IP4, CODE_IP6, multiaddr } from '@multiformats/multiaddr'
import type { MultiaddrResolver, MultiaddrResolveOptions } from '@libp2p/interface'
import type { Component, Multiaddr } from '@multiformats/multiaddr'

/** Addresses a name may resolve to, at most: a dial tries each */
const MAX_ADDRESSES = 8

type Lookup = (host: string, options: { family: 0 | 4 | 6, all: true }) => Promise<Array<{ address: string, family: number }>>

/**
 * Resolves `/dns4`, `/dns6` and `/dns` names to `/ip4` and `/ip6` before a
 * dial, with the operating system's resolver (`getaddrinfo`: /etc/hosts,
 * then DNS), as every other program on the machine resolves them.
 *
 * libp2p hands such names to the transport as they are, and a connection
 * made that way keeps the name as its remote address: the connection
 * manager then throws "Invalid ip" when it matches a relayed connection
 * through that relay against its allow list, and refuses it. Dialled by IP,
 * a relay named by DNS works as one named by address. `/dnsaddr` (TXT
 * records) stays with libp2p's own resolver.
 */
export function dnsResolver (resolve: Lookup = lookup as unknown as Lookup): MultiaddrResolver {
  return {
    canResolve (address: Multiaddr): boolean {
      const first = address.getComponents()[0]
      return first != null && (first.name === 'dns4' || first.name === 'dns6' || first.name === 'dns')
    },
    async resolve (address: Multiaddr, options: MultiaddrResolveOptions): Promise<Multiaddr[]> {
      options.signal?.throwIfAborted()
      const [name, ...rest] = address.getComponents()
      const family = name.name === 'dns4' ? 4 : name.name === 'dns6' ? 6 : 0
      const found = await resolve(name.value ?? '', { family, all: true })
      const seen = new Set<string>()
      const out: Multiaddr[] = []
      for (const { address: ip, family: f } of found) {
        if (seen.has(ip) || out.length === MAX_ADDRESSES) continue
        seen.add(ip)
        const component: Component = f === 6 ? { code: CODE_IP6, name: 'ip6', value: ip } : { code: CODE_IP4, name: 'ip4', value: ip }
        out.push(multiaddr([component, ...rest]))
      }
      return out
    }
  }
}
