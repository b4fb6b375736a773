// The part of @msimerson/stun (CommonJS, no types of its own) the STUN server uses
declare module '@msimerson/stun' {
  import type { Socket } from 'node:dgram'

  interface StunMessage {
    readonly transactionId: Uint8Array
    addXorAddress(address: string, port: number): unknown
    addFingerprint(): unknown
  }

  interface StunServer {
    on(event: string, listener: (...args: any[]) => void): this
    send(message: StunMessage, port: number, address: string): boolean
    close(): void
  }

  const stun: {
    constants: Record<string, any>
    createServer(options: { type: 'udp4' | 'udp6', socket?: Socket }): StunServer
    createMessage(type: number, transactionId?: Uint8Array): StunMessage
  }
  export default stun
}
