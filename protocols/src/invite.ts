import { encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { decodeMessage } from './decode.js'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Ticket {
  version: number
  mesh: string
  id: Uint8Array<ArrayBuffer>
  secret: Uint8Array<ArrayBuffer>
  addresses: Uint8Array<ArrayBuffer>[]
  expiresAt: bigint
}

export namespace Ticket {
  let _codec: Codec<Ticket>

  export const codec = (): Codec<Ticket> => {
    if (_codec == null) {
      _codec = message<Ticket>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.version != null && obj.version !== 0)) {
          w.uint32(8)
          w.uint32(obj.version)
        }

        if ((obj.mesh != null && obj.mesh !== '')) {
          w.uint32(18)
          w.string(obj.mesh)
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.id)
        }

        if ((obj.secret != null && obj.secret.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.secret)
        }

        if (obj.addresses != null && obj.addresses.length > 0) {
          for (const value of obj.addresses) {
            w.uint32(42)
            w.bytes(value)
          }
        }

        if ((obj.expiresAt != null && obj.expiresAt !== 0n)) {
          w.uint32(48)
          w.uint64(obj.expiresAt)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          mesh: '',
          id: uint8ArrayAlloc(0),
          secret: uint8ArrayAlloc(0),
          addresses: [],
          expiresAt: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.version = reader.uint32()
              break
            }
            case 2: {
              obj.mesh = reader.string()
              break
            }
            case 3: {
              obj.id = reader.bytes()
              break
            }
            case 4: {
              obj.secret = reader.bytes()
              break
            }
            case 5: {
              if (opts.limits?.addresses != null && obj.addresses.length === opts.limits.addresses) {
                throw new MaxLengthError('Decode error - repeated field "addresses" had too many elements')
              }

              obj.addresses.push(reader.bytes())
              break
            }
            case 6: {
              obj.expiresAt = reader.uint64()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          addresses: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.version`,
                value: reader.uint32()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.mesh`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.secret`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              if (opts.limits?.addresses != null && obj.addresses === opts.limits.addresses) {
                throw new MaxLengthError('Streaming decode error - repeated field "addresses" had too many elements')
              }

              yield {
                field: `${prefix}.addresses[]`,
                index: obj.addresses,
                value: reader.bytes()
              }

              obj.addresses++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.expiresAt`,
                value: reader.uint64()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface TicketVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface TicketMeshFieldEvent {
    field: '$.mesh'
    value: string
  }

  export interface TicketIdFieldEvent {
    field: '$.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TicketSecretFieldEvent {
    field: '$.secret'
    value: Uint8Array<ArrayBuffer>
  }

  export interface TicketAddressesFieldEvent {
    field: '$.addresses[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface TicketExpiresAtFieldEvent {
    field: '$.expiresAt'
    value: bigint
  }

  export function encode (obj: Partial<Ticket>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Ticket.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ticket>): Ticket {
    return decodeMessage(buf, Ticket.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ticket>): Generator<TicketVersionFieldEvent | TicketMeshFieldEvent | TicketIdFieldEvent | TicketSecretFieldEvent | TicketAddressesFieldEvent | TicketExpiresAtFieldEvent> {
    return streamMessage(buf, Ticket.codec(), opts)
  }
}

export interface Redeem {
  id: Uint8Array<ArrayBuffer>
  peerId: Uint8Array<ArrayBuffer>
  name: string
}

export namespace Redeem {
  let _codec: Codec<Redeem>

  export const codec = (): Codec<Redeem> => {
    if (_codec == null) {
      _codec = message<Redeem>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.id)
        }

        if ((obj.peerId != null && obj.peerId.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.peerId)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(26)
          w.string(obj.name)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: uint8ArrayAlloc(0),
          peerId: uint8ArrayAlloc(0),
          name: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.bytes()
              break
            }
            case 2: {
              obj.peerId = reader.bytes()
              break
            }
            case 3: {
              obj.name = reader.string()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.peerId`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface RedeemIdFieldEvent {
    field: '$.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RedeemPeerIdFieldEvent {
    field: '$.peerId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RedeemNameFieldEvent {
    field: '$.name'
    value: string
  }

  export function encode (obj: Partial<Redeem>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Redeem.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Redeem>): Redeem {
    return decodeMessage(buf, Redeem.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Redeem>): Generator<RedeemIdFieldEvent | RedeemPeerIdFieldEvent | RedeemNameFieldEvent> {
    return streamMessage(buf, Redeem.codec(), opts)
  }
}

export enum RedeemStatus {
  REDEEM_STATUS_UNSPECIFIED = 'REDEEM_STATUS_UNSPECIFIED',
  ADMITTED = 'ADMITTED',
  UNKNOWN = 'UNKNOWN',
  EXPIRED = 'EXPIRED',
  USED_UP = 'USED_UP'
}

enum __RedeemStatusValues {
  REDEEM_STATUS_UNSPECIFIED = 0,
  ADMITTED = 1,
  UNKNOWN = 2,
  EXPIRED = 3,
  USED_UP = 4
}

export namespace RedeemStatus {
  export const codec = (): Codec<RedeemStatus> => {
    return enumeration<RedeemStatus>(__RedeemStatusValues)
  }
}

export interface Admission {
  status: RedeemStatus
  mesh: string
  meshKey: Uint8Array<ArrayBuffer>
  bootstrap: Uint8Array<ArrayBuffer>[]
  usesLeft: number
}

export namespace Admission {
  let _codec: Codec<Admission>

  export const codec = (): Codec<Admission> => {
    if (_codec == null) {
      _codec = message<Admission>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __RedeemStatusValues[obj.status] !== 0) {
          w.uint32(8)
          RedeemStatus.codec().encode(obj.status, w)
        }

        if ((obj.mesh != null && obj.mesh !== '')) {
          w.uint32(18)
          w.string(obj.mesh)
        }

        if ((obj.meshKey != null && obj.meshKey.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.meshKey)
        }

        if (obj.bootstrap != null && obj.bootstrap.length > 0) {
          for (const value of obj.bootstrap) {
            w.uint32(34)
            w.bytes(value)
          }
        }

        if ((obj.usesLeft != null && obj.usesLeft !== 0)) {
          w.uint32(40)
          w.uint32(obj.usesLeft)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: RedeemStatus.REDEEM_STATUS_UNSPECIFIED,
          mesh: '',
          meshKey: uint8ArrayAlloc(0),
          bootstrap: [],
          usesLeft: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = RedeemStatus.codec().decode(reader)
              break
            }
            case 2: {
              obj.mesh = reader.string()
              break
            }
            case 3: {
              obj.meshKey = reader.bytes()
              break
            }
            case 4: {
              if (opts.limits?.bootstrap != null && obj.bootstrap.length === opts.limits.bootstrap) {
                throw new MaxLengthError('Decode error - repeated field "bootstrap" had too many elements')
              }

              obj.bootstrap.push(reader.bytes())
              break
            }
            case 5: {
              obj.usesLeft = reader.uint32()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          bootstrap: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: RedeemStatus.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.mesh`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.meshKey`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              if (opts.limits?.bootstrap != null && obj.bootstrap === opts.limits.bootstrap) {
                throw new MaxLengthError('Streaming decode error - repeated field "bootstrap" had too many elements')
              }

              yield {
                field: `${prefix}.bootstrap[]`,
                index: obj.bootstrap,
                value: reader.bytes()
              }

              obj.bootstrap++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.usesLeft`,
                value: reader.uint32()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface AdmissionStatusFieldEvent {
    field: '$.status'
    value: RedeemStatus
  }

  export interface AdmissionMeshFieldEvent {
    field: '$.mesh'
    value: string
  }

  export interface AdmissionMeshKeyFieldEvent {
    field: '$.meshKey'
    value: Uint8Array<ArrayBuffer>
  }

  export interface AdmissionBootstrapFieldEvent {
    field: '$.bootstrap[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface AdmissionUsesLeftFieldEvent {
    field: '$.usesLeft'
    value: number
  }

  export function encode (obj: Partial<Admission>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Admission.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Admission>): Admission {
    return decodeMessage(buf, Admission.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Admission>): Generator<AdmissionStatusFieldEvent | AdmissionMeshFieldEvent | AdmissionMeshKeyFieldEvent | AdmissionBootstrapFieldEvent | AdmissionUsesLeftFieldEvent> {
    return streamMessage(buf, Admission.codec(), opts)
  }
}
