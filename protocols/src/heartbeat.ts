import { encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { decodeMessage } from './decode.js'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface AgentAdvert {
  name: string
  version: string
  capabilities: string[]
  concurrency: number
  freeSlots: number
  queueDepth: number
  description: string
  skills: string[]
}

export namespace AgentAdvert {
  let _codec: Codec<AgentAdvert>

  export const codec = (): Codec<AgentAdvert> => {
    if (_codec == null) {
      _codec = message<AgentAdvert>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.version != null && obj.version !== '')) {
          w.uint32(18)
          w.string(obj.version)
        }

        if (obj.capabilities != null && obj.capabilities.length > 0) {
          for (const value of obj.capabilities) {
            w.uint32(26)
            w.string(value)
          }
        }

        if ((obj.concurrency != null && obj.concurrency !== 0)) {
          w.uint32(32)
          w.uint32(obj.concurrency)
        }

        if ((obj.freeSlots != null && obj.freeSlots !== 0)) {
          w.uint32(40)
          w.uint32(obj.freeSlots)
        }

        if ((obj.queueDepth != null && obj.queueDepth !== 0)) {
          w.uint32(48)
          w.uint32(obj.queueDepth)
        }

        if ((obj.description != null && obj.description !== '')) {
          w.uint32(58)
          w.string(obj.description)
        }

        if (obj.skills != null && obj.skills.length > 0) {
          for (const value of obj.skills) {
            w.uint32(66)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          version: '',
          capabilities: [],
          concurrency: 0,
          freeSlots: 0,
          queueDepth: 0,
          description: '',
          skills: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.name = reader.string()
              break
            }
            case 2: {
              obj.version = reader.string()
              break
            }
            case 3: {
              if (opts.limits?.capabilities != null && obj.capabilities.length === opts.limits.capabilities) {
                throw new MaxLengthError('Decode error - repeated field "capabilities" had too many elements')
              }

              obj.capabilities.push(reader.string())
              break
            }
            case 4: {
              obj.concurrency = reader.uint32()
              break
            }
            case 5: {
              obj.freeSlots = reader.uint32()
              break
            }
            case 6: {
              obj.queueDepth = reader.uint32()
              break
            }
            case 7: {
              obj.description = reader.string()
              break
            }
            case 8: {
              if (opts.limits?.skills != null && obj.skills.length === opts.limits.skills) {
                throw new MaxLengthError('Decode error - repeated field "skills" had too many elements')
              }

              obj.skills.push(reader.string())
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
          capabilities: 0,
          skills: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.version`,
                value: reader.string()
              }
              break
            }
            case 3: {
              if (opts.limits?.capabilities != null && obj.capabilities === opts.limits.capabilities) {
                throw new MaxLengthError('Streaming decode error - repeated field "capabilities" had too many elements')
              }

              yield {
                field: `${prefix}.capabilities[]`,
                index: obj.capabilities,
                value: reader.string()
              }

              obj.capabilities++

              break
            }
            case 4: {
              yield {
                field: `${prefix}.concurrency`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.freeSlots`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.queueDepth`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.description`,
                value: reader.string()
              }
              break
            }
            case 8: {
              if (opts.limits?.skills != null && obj.skills === opts.limits.skills) {
                throw new MaxLengthError('Streaming decode error - repeated field "skills" had too many elements')
              }

              yield {
                field: `${prefix}.skills[]`,
                index: obj.skills,
                value: reader.string()
              }

              obj.skills++

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

  export interface AgentAdvertNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface AgentAdvertVersionFieldEvent {
    field: '$.version'
    value: string
  }

  export interface AgentAdvertCapabilitiesFieldEvent {
    field: '$.capabilities[]'
    index: number
    value: string
  }

  export interface AgentAdvertConcurrencyFieldEvent {
    field: '$.concurrency'
    value: number
  }

  export interface AgentAdvertFreeSlotsFieldEvent {
    field: '$.freeSlots'
    value: number
  }

  export interface AgentAdvertQueueDepthFieldEvent {
    field: '$.queueDepth'
    value: number
  }

  export interface AgentAdvertDescriptionFieldEvent {
    field: '$.description'
    value: string
  }

  export interface AgentAdvertSkillsFieldEvent {
    field: '$.skills[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<AgentAdvert>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AgentAdvert.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AgentAdvert>): AgentAdvert {
    return decodeMessage(buf, AgentAdvert.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AgentAdvert>): Generator<AgentAdvertNameFieldEvent | AgentAdvertVersionFieldEvent | AgentAdvertCapabilitiesFieldEvent | AgentAdvertConcurrencyFieldEvent | AgentAdvertFreeSlotsFieldEvent | AgentAdvertQueueDepthFieldEvent | AgentAdvertDescriptionFieldEvent | AgentAdvertSkillsFieldEvent> {
    return streamMessage(buf, AgentAdvert.codec(), opts)
  }
}

export interface Heartbeat {
  nodeId: Uint8Array<ArrayBuffer>
  mesh: string
  addresses: Uint8Array<ArrayBuffer>[]
  agents: AgentAdvert[]
  load: number
  queueDepth: number
  freeSlots: number
  version: string
  hlcWallTime: bigint
  hlcLogical: number
  seq: bigint
  startedAt: bigint
  intervalMs: number
  name: string
  links: Uint8Array<ArrayBuffer>[]
  memoryChunks: bigint
  replicationLagMs: number
  stun: Uint8Array<ArrayBuffer>[]
}

export namespace Heartbeat {
  let _codec: Codec<Heartbeat>

  export const codec = (): Codec<Heartbeat> => {
    if (_codec == null) {
      _codec = message<Heartbeat>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.nodeId != null && obj.nodeId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.nodeId)
        }

        if ((obj.mesh != null && obj.mesh !== '')) {
          w.uint32(18)
          w.string(obj.mesh)
        }

        if (obj.addresses != null && obj.addresses.length > 0) {
          for (const value of obj.addresses) {
            w.uint32(26)
            w.bytes(value)
          }
        }

        if (obj.agents != null && obj.agents.length > 0) {
          for (const value of obj.agents) {
            w.uint32(34)
            AgentAdvert.codec().encode(value, w)
          }
        }

        if ((obj.load != null && obj.load !== 0)) {
          w.uint32(45)
          w.float(obj.load)
        }

        if ((obj.queueDepth != null && obj.queueDepth !== 0)) {
          w.uint32(48)
          w.uint32(obj.queueDepth)
        }

        if ((obj.freeSlots != null && obj.freeSlots !== 0)) {
          w.uint32(56)
          w.uint32(obj.freeSlots)
        }

        if ((obj.version != null && obj.version !== '')) {
          w.uint32(66)
          w.string(obj.version)
        }

        if ((obj.hlcWallTime != null && obj.hlcWallTime !== 0n)) {
          w.uint32(72)
          w.uint64(obj.hlcWallTime)
        }

        if ((obj.hlcLogical != null && obj.hlcLogical !== 0)) {
          w.uint32(80)
          w.uint32(obj.hlcLogical)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(88)
          w.uint64(obj.seq)
        }

        if ((obj.startedAt != null && obj.startedAt !== 0n)) {
          w.uint32(96)
          w.uint64(obj.startedAt)
        }

        if ((obj.intervalMs != null && obj.intervalMs !== 0)) {
          w.uint32(104)
          w.uint32(obj.intervalMs)
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(114)
          w.string(obj.name)
        }

        if (obj.links != null && obj.links.length > 0) {
          for (const value of obj.links) {
            w.uint32(122)
            w.bytes(value)
          }
        }

        if ((obj.memoryChunks != null && obj.memoryChunks !== 0n)) {
          w.uint32(128)
          w.uint64(obj.memoryChunks)
        }

        if ((obj.replicationLagMs != null && obj.replicationLagMs !== 0)) {
          w.uint32(136)
          w.uint32(obj.replicationLagMs)
        }

        if (obj.stun != null && obj.stun.length > 0) {
          for (const value of obj.stun) {
            w.uint32(146)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          nodeId: uint8ArrayAlloc(0),
          mesh: '',
          addresses: [],
          agents: [],
          load: 0,
          queueDepth: 0,
          freeSlots: 0,
          version: '',
          hlcWallTime: 0n,
          hlcLogical: 0,
          seq: 0n,
          startedAt: 0n,
          intervalMs: 0,
          name: '',
          links: [],
          memoryChunks: 0n,
          replicationLagMs: 0,
          stun: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.nodeId = reader.bytes()
              break
            }
            case 2: {
              obj.mesh = reader.string()
              break
            }
            case 3: {
              if (opts.limits?.addresses != null && obj.addresses.length === opts.limits.addresses) {
                throw new MaxLengthError('Decode error - repeated field "addresses" had too many elements')
              }

              obj.addresses.push(reader.bytes())
              break
            }
            case 4: {
              if (opts.limits?.agents != null && obj.agents.length === opts.limits.agents) {
                throw new MaxLengthError('Decode error - repeated field "agents" had too many elements')
              }

              obj.agents.push(AgentAdvert.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.agents$
              }))
              break
            }
            case 5: {
              obj.load = reader.float()
              break
            }
            case 6: {
              obj.queueDepth = reader.uint32()
              break
            }
            case 7: {
              obj.freeSlots = reader.uint32()
              break
            }
            case 8: {
              obj.version = reader.string()
              break
            }
            case 9: {
              obj.hlcWallTime = reader.uint64()
              break
            }
            case 10: {
              obj.hlcLogical = reader.uint32()
              break
            }
            case 11: {
              obj.seq = reader.uint64()
              break
            }
            case 12: {
              obj.startedAt = reader.uint64()
              break
            }
            case 13: {
              obj.intervalMs = reader.uint32()
              break
            }
            case 14: {
              obj.name = reader.string()
              break
            }
            case 15: {
              if (opts.limits?.links != null && obj.links.length === opts.limits.links) {
                throw new MaxLengthError('Decode error - repeated field "links" had too many elements')
              }

              obj.links.push(reader.bytes())
              break
            }
            case 16: {
              obj.memoryChunks = reader.uint64()
              break
            }
            case 17: {
              obj.replicationLagMs = reader.uint32()
              break
            }
            case 18: {
              if (opts.limits?.stun != null && obj.stun.length === opts.limits.stun) {
                throw new MaxLengthError('Decode error - repeated field "stun" had too many elements')
              }

              obj.stun.push(reader.bytes())
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
          addresses: 0,
          agents: 0,
          links: 0,
          stun: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.nodeId`,
                value: reader.bytes()
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
            case 4: {
              if (opts.limits?.agents != null && obj.agents === opts.limits.agents) {
                throw new MaxLengthError('Streaming decode error - repeated field "agents" had too many elements')
              }

              for (const evt of AgentAdvert.codec().stream(reader, reader.uint32(), `${prefix}.agents[]`, {
                limits: opts.limits?.agents$
              })) {
                yield {
                  ...evt,
                  index: obj.agents
                }
              }

              obj.agents++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.load`,
                value: reader.float()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.queueDepth`,
                value: reader.uint32()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.freeSlots`,
                value: reader.uint32()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.version`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.hlcWallTime`,
                value: reader.uint64()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.hlcLogical`,
                value: reader.uint32()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.startedAt`,
                value: reader.uint64()
              }
              break
            }
            case 13: {
              yield {
                field: `${prefix}.intervalMs`,
                value: reader.uint32()
              }
              break
            }
            case 14: {
              yield {
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 15: {
              if (opts.limits?.links != null && obj.links === opts.limits.links) {
                throw new MaxLengthError('Streaming decode error - repeated field "links" had too many elements')
              }

              yield {
                field: `${prefix}.links[]`,
                index: obj.links,
                value: reader.bytes()
              }

              obj.links++

              break
            }
            case 16: {
              yield {
                field: `${prefix}.memoryChunks`,
                value: reader.uint64()
              }
              break
            }
            case 17: {
              yield {
                field: `${prefix}.replicationLagMs`,
                value: reader.uint32()
              }
              break
            }
            case 18: {
              if (opts.limits?.stun != null && obj.stun === opts.limits.stun) {
                throw new MaxLengthError('Streaming decode error - repeated field "stun" had too many elements')
              }

              yield {
                field: `${prefix}.stun[]`,
                index: obj.stun,
                value: reader.bytes()
              }

              obj.stun++

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

  export interface HeartbeatNodeIdFieldEvent {
    field: '$.nodeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HeartbeatMeshFieldEvent {
    field: '$.mesh'
    value: string
  }

  export interface HeartbeatAddressesFieldEvent {
    field: '$.addresses[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface HeartbeatAgentsNameFieldEvent {
    field: '$.agents[].name'
    value: string
    index: number
  }

  export interface HeartbeatAgentsVersionFieldEvent {
    field: '$.agents[].version'
    value: string
    index: number
  }

  export interface HeartbeatAgentsCapabilitiesFieldEvent {
    field: '$.agents[].capabilities[]'
    index: number
    value: string
  }

  export interface HeartbeatAgentsConcurrencyFieldEvent {
    field: '$.agents[].concurrency'
    value: number
    index: number
  }

  export interface HeartbeatAgentsFreeSlotsFieldEvent {
    field: '$.agents[].freeSlots'
    value: number
    index: number
  }

  export interface HeartbeatAgentsQueueDepthFieldEvent {
    field: '$.agents[].queueDepth'
    value: number
    index: number
  }

  export interface HeartbeatAgentsDescriptionFieldEvent {
    field: '$.agents[].description'
    value: string
    index: number
  }

  export interface HeartbeatAgentsSkillsFieldEvent {
    field: '$.agents[].skills[]'
    index: number
    value: string
  }

  export interface HeartbeatLoadFieldEvent {
    field: '$.load'
    value: number
  }

  export interface HeartbeatQueueDepthFieldEvent {
    field: '$.queueDepth'
    value: number
  }

  export interface HeartbeatFreeSlotsFieldEvent {
    field: '$.freeSlots'
    value: number
  }

  export interface HeartbeatVersionFieldEvent {
    field: '$.version'
    value: string
  }

  export interface HeartbeatHlcWallTimeFieldEvent {
    field: '$.hlcWallTime'
    value: bigint
  }

  export interface HeartbeatHlcLogicalFieldEvent {
    field: '$.hlcLogical'
    value: number
  }

  export interface HeartbeatSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface HeartbeatStartedAtFieldEvent {
    field: '$.startedAt'
    value: bigint
  }

  export interface HeartbeatIntervalMsFieldEvent {
    field: '$.intervalMs'
    value: number
  }

  export interface HeartbeatNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface HeartbeatLinksFieldEvent {
    field: '$.links[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface HeartbeatMemoryChunksFieldEvent {
    field: '$.memoryChunks'
    value: bigint
  }

  export interface HeartbeatReplicationLagMsFieldEvent {
    field: '$.replicationLagMs'
    value: number
  }

  export interface HeartbeatStunFieldEvent {
    field: '$.stun[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Heartbeat>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Heartbeat.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Heartbeat>): Heartbeat {
    return decodeMessage(buf, Heartbeat.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Heartbeat>): Generator<HeartbeatNodeIdFieldEvent | HeartbeatMeshFieldEvent | HeartbeatAddressesFieldEvent | HeartbeatAgentsNameFieldEvent | HeartbeatAgentsVersionFieldEvent | HeartbeatAgentsCapabilitiesFieldEvent | HeartbeatAgentsConcurrencyFieldEvent | HeartbeatAgentsFreeSlotsFieldEvent | HeartbeatAgentsQueueDepthFieldEvent | HeartbeatAgentsDescriptionFieldEvent | HeartbeatAgentsSkillsFieldEvent | HeartbeatLoadFieldEvent | HeartbeatQueueDepthFieldEvent | HeartbeatFreeSlotsFieldEvent | HeartbeatVersionFieldEvent | HeartbeatHlcWallTimeFieldEvent | HeartbeatHlcLogicalFieldEvent | HeartbeatSeqFieldEvent | HeartbeatStartedAtFieldEvent | HeartbeatIntervalMsFieldEvent | HeartbeatNameFieldEvent | HeartbeatLinksFieldEvent | HeartbeatMemoryChunksFieldEvent | HeartbeatReplicationLagMsFieldEvent | HeartbeatStunFieldEvent> {
    return streamMessage(buf, Heartbeat.codec(), opts)
  }
}

export interface RelayedBeat {
  from: Uint8Array<ArrayBuffer>
  data: Uint8Array<ArrayBuffer>
  seqno: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
  key?: Uint8Array<ArrayBuffer>
  ageMs: number
}

export namespace RelayedBeat {
  let _codec: Codec<RelayedBeat>

  export const codec = (): Codec<RelayedBeat> => {
    if (_codec == null) {
      _codec = message<RelayedBeat>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.from != null && obj.from.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.from)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.data)
        }

        if ((obj.seqno != null && obj.seqno.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.seqno)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.signature)
        }

        if (obj.key != null) {
          w.uint32(42)
          w.bytes(obj.key)
        }

        if ((obj.ageMs != null && obj.ageMs !== 0)) {
          w.uint32(48)
          w.uint32(obj.ageMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          from: uint8ArrayAlloc(0),
          data: uint8ArrayAlloc(0),
          seqno: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0),
          ageMs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.from = reader.bytes()
              break
            }
            case 2: {
              obj.data = reader.bytes()
              break
            }
            case 3: {
              obj.seqno = reader.bytes()
              break
            }
            case 4: {
              obj.signature = reader.bytes()
              break
            }
            case 5: {
              obj.key = reader.bytes()
              break
            }
            case 6: {
              obj.ageMs = reader.uint32()
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
                field: `${prefix}.from`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.data`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.seqno`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.key`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.ageMs`,
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

  export interface RelayedBeatFromFieldEvent {
    field: '$.from'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RelayedBeatDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RelayedBeatSeqnoFieldEvent {
    field: '$.seqno'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RelayedBeatSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RelayedBeatKeyFieldEvent {
    field: '$.key'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RelayedBeatAgeMsFieldEvent {
    field: '$.ageMs'
    value: number
  }

  export function encode (obj: Partial<RelayedBeat>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RelayedBeat.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RelayedBeat>): RelayedBeat {
    return decodeMessage(buf, RelayedBeat.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RelayedBeat>): Generator<RelayedBeatFromFieldEvent | RelayedBeatDataFieldEvent | RelayedBeatSeqnoFieldEvent | RelayedBeatSignatureFieldEvent | RelayedBeatKeyFieldEvent | RelayedBeatAgeMsFieldEvent> {
    return streamMessage(buf, RelayedBeat.codec(), opts)
  }
}

export interface PeerBeats {
  beats: RelayedBeat[]
}

export namespace PeerBeats {
  let _codec: Codec<PeerBeats>

  export const codec = (): Codec<PeerBeats> => {
    if (_codec == null) {
      _codec = message<PeerBeats>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.beats != null && obj.beats.length > 0) {
          for (const value of obj.beats) {
            w.uint32(10)
            RelayedBeat.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          beats: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.beats != null && obj.beats.length === opts.limits.beats) {
                throw new MaxLengthError('Decode error - repeated field "beats" had too many elements')
              }

              obj.beats.push(RelayedBeat.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.beats$
              }))
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
          beats: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.beats != null && obj.beats === opts.limits.beats) {
                throw new MaxLengthError('Streaming decode error - repeated field "beats" had too many elements')
              }

              for (const evt of RelayedBeat.codec().stream(reader, reader.uint32(), `${prefix}.beats[]`, {
                limits: opts.limits?.beats$
              })) {
                yield {
                  ...evt,
                  index: obj.beats
                }
              }

              obj.beats++

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

  export interface PeerBeatsBeatsFromFieldEvent {
    field: '$.beats[].from'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PeerBeatsBeatsDataFieldEvent {
    field: '$.beats[].data'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PeerBeatsBeatsSeqnoFieldEvent {
    field: '$.beats[].seqno'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PeerBeatsBeatsSignatureFieldEvent {
    field: '$.beats[].signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PeerBeatsBeatsKeyFieldEvent {
    field: '$.beats[].key'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PeerBeatsBeatsAgeMsFieldEvent {
    field: '$.beats[].ageMs'
    value: number
    index: number
  }

  export function encode (obj: Partial<PeerBeats>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PeerBeats.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PeerBeats>): PeerBeats {
    return decodeMessage(buf, PeerBeats.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PeerBeats>): Generator<PeerBeatsBeatsFromFieldEvent | PeerBeatsBeatsDataFieldEvent | PeerBeatsBeatsSeqnoFieldEvent | PeerBeatsBeatsSignatureFieldEvent | PeerBeatsBeatsKeyFieldEvent | PeerBeatsBeatsAgeMsFieldEvent> {
    return streamMessage(buf, PeerBeats.codec(), opts)
  }
}
