import { encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { decodeMessage } from './decode.js'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export enum Zone {
  ZONE_UNSPECIFIED = 'ZONE_UNSPECIFIED',
  PRIVATE = 'PRIVATE',
  SHARED = 'SHARED',
  FEDERATION = 'FEDERATION'
}

enum __ZoneValues {
  ZONE_UNSPECIFIED = 0,
  PRIVATE = 1,
  SHARED = 2,
  FEDERATION = 3
}

export namespace Zone {
  export const codec = (): Codec<Zone> => {
    return enumeration<Zone>(__ZoneValues)
  }
}

export interface Embedding {
  model: string
  dimensions: number
  vector: Uint8Array<ArrayBuffer>
}

export namespace Embedding {
  let _codec: Codec<Embedding>

  export const codec = (): Codec<Embedding> => {
    if (_codec == null) {
      _codec = message<Embedding>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.model != null && obj.model !== '')) {
          w.uint32(10)
          w.string(obj.model)
        }

        if ((obj.dimensions != null && obj.dimensions !== 0)) {
          w.uint32(16)
          w.uint32(obj.dimensions)
        }

        if ((obj.vector != null && obj.vector.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.vector)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          model: '',
          dimensions: 0,
          vector: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.model = reader.string()
              break
            }
            case 2: {
              obj.dimensions = reader.uint32()
              break
            }
            case 3: {
              obj.vector = reader.bytes()
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
                field: `${prefix}.model`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.dimensions`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.vector`,
                value: reader.bytes()
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

  export interface EmbeddingModelFieldEvent {
    field: '$.model'
    value: string
  }

  export interface EmbeddingDimensionsFieldEvent {
    field: '$.dimensions'
    value: number
  }

  export interface EmbeddingVectorFieldEvent {
    field: '$.vector'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Embedding>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Embedding.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Embedding>): Embedding {
    return decodeMessage(buf, Embedding.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Embedding>): Generator<EmbeddingModelFieldEvent | EmbeddingDimensionsFieldEvent | EmbeddingVectorFieldEvent> {
    return streamMessage(buf, Embedding.codec(), opts)
  }
}

export interface Chunk {
  author: Uint8Array<ArrayBuffer>
  agent: string
  zone: Zone
  text: string
  tags: string[]
  embedding?: Embedding
  hlcWallTime: bigint
  hlcLogical: number
  seq: bigint
}

export namespace Chunk {
  let _codec: Codec<Chunk>

  export const codec = (): Codec<Chunk> => {
    if (_codec == null) {
      _codec = message<Chunk>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.author != null && obj.author.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.author)
        }

        if ((obj.agent != null && obj.agent !== '')) {
          w.uint32(18)
          w.string(obj.agent)
        }

        if (obj.zone != null && __ZoneValues[obj.zone] !== 0) {
          w.uint32(24)
          Zone.codec().encode(obj.zone, w)
        }

        if ((obj.text != null && obj.text !== '')) {
          w.uint32(34)
          w.string(obj.text)
        }

        if (obj.tags != null && obj.tags.length > 0) {
          for (const value of obj.tags) {
            w.uint32(42)
            w.string(value)
          }
        }

        if (obj.embedding != null) {
          w.uint32(50)
          Embedding.codec().encode(obj.embedding, w)
        }

        if ((obj.hlcWallTime != null && obj.hlcWallTime !== 0n)) {
          w.uint32(56)
          w.uint64(obj.hlcWallTime)
        }

        if ((obj.hlcLogical != null && obj.hlcLogical !== 0)) {
          w.uint32(64)
          w.uint32(obj.hlcLogical)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(72)
          w.uint64(obj.seq)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          author: uint8ArrayAlloc(0),
          agent: '',
          zone: Zone.ZONE_UNSPECIFIED,
          text: '',
          tags: [],
          hlcWallTime: 0n,
          hlcLogical: 0,
          seq: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.author = reader.bytes()
              break
            }
            case 2: {
              obj.agent = reader.string()
              break
            }
            case 3: {
              obj.zone = Zone.codec().decode(reader)
              break
            }
            case 4: {
              obj.text = reader.string()
              break
            }
            case 5: {
              if (opts.limits?.tags != null && obj.tags.length === opts.limits.tags) {
                throw new MaxLengthError('Decode error - repeated field "tags" had too many elements')
              }

              obj.tags.push(reader.string())
              break
            }
            case 6: {
              obj.embedding = Embedding.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.embedding
              })
              break
            }
            case 7: {
              obj.hlcWallTime = reader.uint64()
              break
            }
            case 8: {
              obj.hlcLogical = reader.uint32()
              break
            }
            case 9: {
              obj.seq = reader.uint64()
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
          tags: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.author`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.agent`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.zone`,
                value: Zone.codec().decode(reader)
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.text`,
                value: reader.string()
              }
              break
            }
            case 5: {
              if (opts.limits?.tags != null && obj.tags === opts.limits.tags) {
                throw new MaxLengthError('Streaming decode error - repeated field "tags" had too many elements')
              }

              yield {
                field: `${prefix}.tags[]`,
                index: obj.tags,
                value: reader.string()
              }

              obj.tags++

              break
            }
            case 6: {
              yield * Embedding.codec().stream(reader, reader.uint32(), `${prefix}.embedding`, {
                limits: opts.limits?.embedding
              })

              break
            }
            case 7: {
              yield {
                field: `${prefix}.hlcWallTime`,
                value: reader.uint64()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.hlcLogical`,
                value: reader.uint32()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.seq`,
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

  export interface ChunkAuthorFieldEvent {
    field: '$.author'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChunkAgentFieldEvent {
    field: '$.agent'
    value: string
  }

  export interface ChunkZoneFieldEvent {
    field: '$.zone'
    value: Zone
  }

  export interface ChunkTextFieldEvent {
    field: '$.text'
    value: string
  }

  export interface ChunkTagsFieldEvent {
    field: '$.tags[]'
    index: number
    value: string
  }

  export interface ChunkEmbeddingModelFieldEvent {
    field: '$.embedding.model'
    value: string
  }

  export interface ChunkEmbeddingDimensionsFieldEvent {
    field: '$.embedding.dimensions'
    value: number
  }

  export interface ChunkEmbeddingVectorFieldEvent {
    field: '$.embedding.vector'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChunkHlcWallTimeFieldEvent {
    field: '$.hlcWallTime'
    value: bigint
  }

  export interface ChunkHlcLogicalFieldEvent {
    field: '$.hlcLogical'
    value: number
  }

  export interface ChunkSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export function encode (obj: Partial<Chunk>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Chunk.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Chunk>): Chunk {
    return decodeMessage(buf, Chunk.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Chunk>): Generator<ChunkAuthorFieldEvent | ChunkAgentFieldEvent | ChunkZoneFieldEvent | ChunkTextFieldEvent | ChunkTagsFieldEvent | ChunkEmbeddingModelFieldEvent | ChunkEmbeddingDimensionsFieldEvent | ChunkEmbeddingVectorFieldEvent | ChunkHlcWallTimeFieldEvent | ChunkHlcLogicalFieldEvent | ChunkSeqFieldEvent> {
    return streamMessage(buf, Chunk.codec(), opts)
  }
}

export enum EventKind {
  EVENT_KIND_UNSPECIFIED = 'EVENT_KIND_UNSPECIFIED',
  FEEDBACK = 'FEEDBACK',
  TOMBSTONE = 'TOMBSTONE',
  LINK = 'LINK',
  USE = 'USE',
  ARCHIVE = 'ARCHIVE',
  SIGNAL = 'SIGNAL'
}

enum __EventKindValues {
  EVENT_KIND_UNSPECIFIED = 0,
  FEEDBACK = 1,
  TOMBSTONE = 2,
  LINK = 3,
  USE = 4,
  ARCHIVE = 5,
  SIGNAL = 6
}

export namespace EventKind {
  export const codec = (): Codec<EventKind> => {
    return enumeration<EventKind>(__EventKindValues)
  }
}

export interface Event {
  author: Uint8Array<ArrayBuffer>
  agent: string
  zone: Zone
  kind: EventKind
  targets: string[]
  success: boolean
  relation: string
  hlcWallTime: bigint
  hlcLogical: number
  seq: bigint
  uses: number
  weight: number
  score: number
  novelty: number
  topic: string
}

export namespace Event {
  let _codec: Codec<Event>

  export const codec = (): Codec<Event> => {
    if (_codec == null) {
      _codec = message<Event>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.author != null && obj.author.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.author)
        }

        if ((obj.agent != null && obj.agent !== '')) {
          w.uint32(18)
          w.string(obj.agent)
        }

        if (obj.zone != null && __ZoneValues[obj.zone] !== 0) {
          w.uint32(24)
          Zone.codec().encode(obj.zone, w)
        }

        if (obj.kind != null && __EventKindValues[obj.kind] !== 0) {
          w.uint32(32)
          EventKind.codec().encode(obj.kind, w)
        }

        if (obj.targets != null && obj.targets.length > 0) {
          for (const value of obj.targets) {
            w.uint32(42)
            w.string(value)
          }
        }

        if ((obj.success != null && obj.success !== false)) {
          w.uint32(48)
          w.bool(obj.success)
        }

        if ((obj.relation != null && obj.relation !== '')) {
          w.uint32(58)
          w.string(obj.relation)
        }

        if ((obj.hlcWallTime != null && obj.hlcWallTime !== 0n)) {
          w.uint32(64)
          w.uint64(obj.hlcWallTime)
        }

        if ((obj.hlcLogical != null && obj.hlcLogical !== 0)) {
          w.uint32(72)
          w.uint32(obj.hlcLogical)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(80)
          w.uint64(obj.seq)
        }

        if ((obj.uses != null && obj.uses !== 0)) {
          w.uint32(88)
          w.uint32(obj.uses)
        }

        if ((obj.weight != null && obj.weight !== 0)) {
          w.uint32(96)
          w.uint32(obj.weight)
        }

        if ((obj.score != null && obj.score !== 0)) {
          w.uint32(104)
          w.uint32(obj.score)
        }

        if ((obj.novelty != null && obj.novelty !== 0)) {
          w.uint32(112)
          w.uint32(obj.novelty)
        }

        if ((obj.topic != null && obj.topic !== '')) {
          w.uint32(122)
          w.string(obj.topic)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          author: uint8ArrayAlloc(0),
          agent: '',
          zone: Zone.ZONE_UNSPECIFIED,
          kind: EventKind.EVENT_KIND_UNSPECIFIED,
          targets: [],
          success: false,
          relation: '',
          hlcWallTime: 0n,
          hlcLogical: 0,
          seq: 0n,
          uses: 0,
          weight: 0,
          score: 0,
          novelty: 0,
          topic: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.author = reader.bytes()
              break
            }
            case 2: {
              obj.agent = reader.string()
              break
            }
            case 3: {
              obj.zone = Zone.codec().decode(reader)
              break
            }
            case 4: {
              obj.kind = EventKind.codec().decode(reader)
              break
            }
            case 5: {
              if (opts.limits?.targets != null && obj.targets.length === opts.limits.targets) {
                throw new MaxLengthError('Decode error - repeated field "targets" had too many elements')
              }

              obj.targets.push(reader.string())
              break
            }
            case 6: {
              obj.success = reader.bool()
              break
            }
            case 7: {
              obj.relation = reader.string()
              break
            }
            case 8: {
              obj.hlcWallTime = reader.uint64()
              break
            }
            case 9: {
              obj.hlcLogical = reader.uint32()
              break
            }
            case 10: {
              obj.seq = reader.uint64()
              break
            }
            case 11: {
              obj.uses = reader.uint32()
              break
            }
            case 12: {
              obj.weight = reader.uint32()
              break
            }
            case 13: {
              obj.score = reader.uint32()
              break
            }
            case 14: {
              obj.novelty = reader.uint32()
              break
            }
            case 15: {
              obj.topic = reader.string()
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
          targets: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.author`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.agent`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.zone`,
                value: Zone.codec().decode(reader)
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.kind`,
                value: EventKind.codec().decode(reader)
              }
              break
            }
            case 5: {
              if (opts.limits?.targets != null && obj.targets === opts.limits.targets) {
                throw new MaxLengthError('Streaming decode error - repeated field "targets" had too many elements')
              }

              yield {
                field: `${prefix}.targets[]`,
                index: obj.targets,
                value: reader.string()
              }

              obj.targets++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.success`,
                value: reader.bool()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.relation`,
                value: reader.string()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.hlcWallTime`,
                value: reader.uint64()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.hlcLogical`,
                value: reader.uint32()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.seq`,
                value: reader.uint64()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.uses`,
                value: reader.uint32()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.weight`,
                value: reader.uint32()
              }
              break
            }
            case 13: {
              yield {
                field: `${prefix}.score`,
                value: reader.uint32()
              }
              break
            }
            case 14: {
              yield {
                field: `${prefix}.novelty`,
                value: reader.uint32()
              }
              break
            }
            case 15: {
              yield {
                field: `${prefix}.topic`,
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

  export interface EventAuthorFieldEvent {
    field: '$.author'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EventAgentFieldEvent {
    field: '$.agent'
    value: string
  }

  export interface EventZoneFieldEvent {
    field: '$.zone'
    value: Zone
  }

  export interface EventKindFieldEvent {
    field: '$.kind'
    value: EventKind
  }

  export interface EventTargetsFieldEvent {
    field: '$.targets[]'
    index: number
    value: string
  }

  export interface EventSuccessFieldEvent {
    field: '$.success'
    value: boolean
  }

  export interface EventRelationFieldEvent {
    field: '$.relation'
    value: string
  }

  export interface EventHlcWallTimeFieldEvent {
    field: '$.hlcWallTime'
    value: bigint
  }

  export interface EventHlcLogicalFieldEvent {
    field: '$.hlcLogical'
    value: number
  }

  export interface EventSeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export interface EventUsesFieldEvent {
    field: '$.uses'
    value: number
  }

  export interface EventWeightFieldEvent {
    field: '$.weight'
    value: number
  }

  export interface EventScoreFieldEvent {
    field: '$.score'
    value: number
  }

  export interface EventNoveltyFieldEvent {
    field: '$.novelty'
    value: number
  }

  export interface EventTopicFieldEvent {
    field: '$.topic'
    value: string
  }

  export function encode (obj: Partial<Event>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Event.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Event>): Event {
    return decodeMessage(buf, Event.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Event>): Generator<EventAuthorFieldEvent | EventAgentFieldEvent | EventZoneFieldEvent | EventKindFieldEvent | EventTargetsFieldEvent | EventSuccessFieldEvent | EventRelationFieldEvent | EventHlcWallTimeFieldEvent | EventHlcLogicalFieldEvent | EventSeqFieldEvent | EventUsesFieldEvent | EventWeightFieldEvent | EventScoreFieldEvent | EventNoveltyFieldEvent | EventTopicFieldEvent> {
    return streamMessage(buf, Event.codec(), opts)
  }
}

export enum EntryKind {
  ENTRY_KIND_UNSPECIFIED = 'ENTRY_KIND_UNSPECIFIED',
  CHUNK = 'CHUNK',
  EVENT = 'EVENT'
}

enum __EntryKindValues {
  ENTRY_KIND_UNSPECIFIED = 0,
  CHUNK = 1,
  EVENT = 2
}

export namespace EntryKind {
  export const codec = (): Codec<EntryKind> => {
    return enumeration<EntryKind>(__EntryKindValues)
  }
}

export interface SignedEntry {
  kind: EntryKind
  body: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace SignedEntry {
  let _codec: Codec<SignedEntry>

  export const codec = (): Codec<SignedEntry> => {
    if (_codec == null) {
      _codec = message<SignedEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __EntryKindValues[obj.kind] !== 0) {
          w.uint32(8)
          EntryKind.codec().encode(obj.kind, w)
        }

        if ((obj.body != null && obj.body.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.body)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: EntryKind.ENTRY_KIND_UNSPECIFIED,
          body: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = EntryKind.codec().decode(reader)
              break
            }
            case 2: {
              obj.body = reader.bytes()
              break
            }
            case 3: {
              obj.signature = reader.bytes()
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
                field: `${prefix}.kind`,
                value: EntryKind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.body`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
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

  export interface SignedEntryKindFieldEvent {
    field: '$.kind'
    value: EntryKind
  }

  export interface SignedEntryBodyFieldEvent {
    field: '$.body'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedEntrySignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SignedEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SignedEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedEntry>): SignedEntry {
    return decodeMessage(buf, SignedEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedEntry>): Generator<SignedEntryKindFieldEvent | SignedEntryBodyFieldEvent | SignedEntrySignatureFieldEvent> {
    return streamMessage(buf, SignedEntry.codec(), opts)
  }
}

export interface KnowledgeBatch {
  entries: Uint8Array<ArrayBuffer>[]
}

export namespace KnowledgeBatch {
  let _codec: Codec<KnowledgeBatch>

  export const codec = (): Codec<KnowledgeBatch> => {
    if (_codec == null) {
      _codec = message<KnowledgeBatch>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(10)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          entries: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(reader.bytes())
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
          entries: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              yield {
                field: `${prefix}.entries[]`,
                index: obj.entries,
                value: reader.bytes()
              }

              obj.entries++

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

  export interface KnowledgeBatchEntriesFieldEvent {
    field: '$.entries[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<KnowledgeBatch>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, KnowledgeBatch.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<KnowledgeBatch>): KnowledgeBatch {
    return decodeMessage(buf, KnowledgeBatch.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<KnowledgeBatch>): Generator<KnowledgeBatchEntriesFieldEvent> {
    return streamMessage(buf, KnowledgeBatch.codec(), opts)
  }
}

export interface VersionEntry {
  author: Uint8Array<ArrayBuffer>
  zone: Zone
  seq: bigint
}

export namespace VersionEntry {
  let _codec: Codec<VersionEntry>

  export const codec = (): Codec<VersionEntry> => {
    if (_codec == null) {
      _codec = message<VersionEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.author != null && obj.author.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.author)
        }

        if (obj.zone != null && __ZoneValues[obj.zone] !== 0) {
          w.uint32(16)
          Zone.codec().encode(obj.zone, w)
        }

        if ((obj.seq != null && obj.seq !== 0n)) {
          w.uint32(24)
          w.uint64(obj.seq)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          author: uint8ArrayAlloc(0),
          zone: Zone.ZONE_UNSPECIFIED,
          seq: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.author = reader.bytes()
              break
            }
            case 2: {
              obj.zone = Zone.codec().decode(reader)
              break
            }
            case 3: {
              obj.seq = reader.uint64()
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
                field: `${prefix}.author`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.zone`,
                value: Zone.codec().decode(reader)
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.seq`,
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

  export interface VersionEntryAuthorFieldEvent {
    field: '$.author'
    value: Uint8Array<ArrayBuffer>
  }

  export interface VersionEntryZoneFieldEvent {
    field: '$.zone'
    value: Zone
  }

  export interface VersionEntrySeqFieldEvent {
    field: '$.seq'
    value: bigint
  }

  export function encode (obj: Partial<VersionEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, VersionEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<VersionEntry>): VersionEntry {
    return decodeMessage(buf, VersionEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<VersionEntry>): Generator<VersionEntryAuthorFieldEvent | VersionEntryZoneFieldEvent | VersionEntrySeqFieldEvent> {
    return streamMessage(buf, VersionEntry.codec(), opts)
  }
}

export interface SyncRequest {
  have: VersionEntry[]
}

export namespace SyncRequest {
  let _codec: Codec<SyncRequest>

  export const codec = (): Codec<SyncRequest> => {
    if (_codec == null) {
      _codec = message<SyncRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.have != null && obj.have.length > 0) {
          for (const value of obj.have) {
            w.uint32(10)
            VersionEntry.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          have: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.have != null && obj.have.length === opts.limits.have) {
                throw new MaxLengthError('Decode error - repeated field "have" had too many elements')
              }

              obj.have.push(VersionEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.have$
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
          have: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.have != null && obj.have === opts.limits.have) {
                throw new MaxLengthError('Streaming decode error - repeated field "have" had too many elements')
              }

              for (const evt of VersionEntry.codec().stream(reader, reader.uint32(), `${prefix}.have[]`, {
                limits: opts.limits?.have$
              })) {
                yield {
                  ...evt,
                  index: obj.have
                }
              }

              obj.have++

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

  export interface SyncRequestHaveAuthorFieldEvent {
    field: '$.have[].author'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncRequestHaveZoneFieldEvent {
    field: '$.have[].zone'
    value: Zone
    index: number
  }

  export interface SyncRequestHaveSeqFieldEvent {
    field: '$.have[].seq'
    value: bigint
    index: number
  }

  export function encode (obj: Partial<SyncRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncRequest>): SyncRequest {
    return decodeMessage(buf, SyncRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncRequest>): Generator<SyncRequestHaveAuthorFieldEvent | SyncRequestHaveZoneFieldEvent | SyncRequestHaveSeqFieldEvent> {
    return streamMessage(buf, SyncRequest.codec(), opts)
  }
}

export interface SyncPage {
  entries: Uint8Array<ArrayBuffer>[]
  done: boolean
}

export namespace SyncPage {
  let _codec: Codec<SyncPage>

  export const codec = (): Codec<SyncPage> => {
    if (_codec == null) {
      _codec = message<SyncPage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(10)
            w.bytes(value)
          }
        }

        if ((obj.done != null && obj.done !== false)) {
          w.uint32(16)
          w.bool(obj.done)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          entries: [],
          done: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(reader.bytes())
              break
            }
            case 2: {
              obj.done = reader.bool()
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
          entries: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              yield {
                field: `${prefix}.entries[]`,
                index: obj.entries,
                value: reader.bytes()
              }

              obj.entries++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.done`,
                value: reader.bool()
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

  export interface SyncPageEntriesFieldEvent {
    field: '$.entries[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncPageDoneFieldEvent {
    field: '$.done'
    value: boolean
  }

  export function encode (obj: Partial<SyncPage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncPage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncPage>): SyncPage {
    return decodeMessage(buf, SyncPage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncPage>): Generator<SyncPageEntriesFieldEvent | SyncPageDoneFieldEvent> {
    return streamMessage(buf, SyncPage.codec(), opts)
  }
}

export interface QueryRequest {
  text: string
  k: number
  tags: string[]
  agent: string
  authors: Uint8Array<ArrayBuffer>[]
  since: bigint
  until: bigint
}

export namespace QueryRequest {
  let _codec: Codec<QueryRequest>

  export const codec = (): Codec<QueryRequest> => {
    if (_codec == null) {
      _codec = message<QueryRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.text != null && obj.text !== '')) {
          w.uint32(10)
          w.string(obj.text)
        }

        if ((obj.k != null && obj.k !== 0)) {
          w.uint32(16)
          w.uint32(obj.k)
        }

        if (obj.tags != null && obj.tags.length > 0) {
          for (const value of obj.tags) {
            w.uint32(26)
            w.string(value)
          }
        }

        if ((obj.agent != null && obj.agent !== '')) {
          w.uint32(34)
          w.string(obj.agent)
        }

        if (obj.authors != null && obj.authors.length > 0) {
          for (const value of obj.authors) {
            w.uint32(42)
            w.bytes(value)
          }
        }

        if ((obj.since != null && obj.since !== 0n)) {
          w.uint32(48)
          w.uint64(obj.since)
        }

        if ((obj.until != null && obj.until !== 0n)) {
          w.uint32(56)
          w.uint64(obj.until)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          text: '',
          k: 0,
          tags: [],
          agent: '',
          authors: [],
          since: 0n,
          until: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.text = reader.string()
              break
            }
            case 2: {
              obj.k = reader.uint32()
              break
            }
            case 3: {
              if (opts.limits?.tags != null && obj.tags.length === opts.limits.tags) {
                throw new MaxLengthError('Decode error - repeated field "tags" had too many elements')
              }

              obj.tags.push(reader.string())
              break
            }
            case 4: {
              obj.agent = reader.string()
              break
            }
            case 5: {
              if (opts.limits?.authors != null && obj.authors.length === opts.limits.authors) {
                throw new MaxLengthError('Decode error - repeated field "authors" had too many elements')
              }

              obj.authors.push(reader.bytes())
              break
            }
            case 6: {
              obj.since = reader.uint64()
              break
            }
            case 7: {
              obj.until = reader.uint64()
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
          tags: 0,
          authors: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.text`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.k`,
                value: reader.uint32()
              }
              break
            }
            case 3: {
              if (opts.limits?.tags != null && obj.tags === opts.limits.tags) {
                throw new MaxLengthError('Streaming decode error - repeated field "tags" had too many elements')
              }

              yield {
                field: `${prefix}.tags[]`,
                index: obj.tags,
                value: reader.string()
              }

              obj.tags++

              break
            }
            case 4: {
              yield {
                field: `${prefix}.agent`,
                value: reader.string()
              }
              break
            }
            case 5: {
              if (opts.limits?.authors != null && obj.authors === opts.limits.authors) {
                throw new MaxLengthError('Streaming decode error - repeated field "authors" had too many elements')
              }

              yield {
                field: `${prefix}.authors[]`,
                index: obj.authors,
                value: reader.bytes()
              }

              obj.authors++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.since`,
                value: reader.uint64()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.until`,
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

  export interface QueryRequestTextFieldEvent {
    field: '$.text'
    value: string
  }

  export interface QueryRequestKFieldEvent {
    field: '$.k'
    value: number
  }

  export interface QueryRequestTagsFieldEvent {
    field: '$.tags[]'
    index: number
    value: string
  }

  export interface QueryRequestAgentFieldEvent {
    field: '$.agent'
    value: string
  }

  export interface QueryRequestAuthorsFieldEvent {
    field: '$.authors[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface QueryRequestSinceFieldEvent {
    field: '$.since'
    value: bigint
  }

  export interface QueryRequestUntilFieldEvent {
    field: '$.until'
    value: bigint
  }

  export function encode (obj: Partial<QueryRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, QueryRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<QueryRequest>): QueryRequest {
    return decodeMessage(buf, QueryRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<QueryRequest>): Generator<QueryRequestTextFieldEvent | QueryRequestKFieldEvent | QueryRequestTagsFieldEvent | QueryRequestAgentFieldEvent | QueryRequestAuthorsFieldEvent | QueryRequestSinceFieldEvent | QueryRequestUntilFieldEvent> {
    return streamMessage(buf, QueryRequest.codec(), opts)
  }
}

export interface QueryResult {
  entry: Uint8Array<ArrayBuffer>
  score: number
  confidence: number
}

export namespace QueryResult {
  let _codec: Codec<QueryResult>

  export const codec = (): Codec<QueryResult> => {
    if (_codec == null) {
      _codec = message<QueryResult>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.entry != null && obj.entry.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.entry)
        }

        if ((obj.score != null && obj.score !== 0)) {
          w.uint32(21)
          w.float(obj.score)
        }

        if ((obj.confidence != null && obj.confidence !== 0)) {
          w.uint32(29)
          w.float(obj.confidence)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          entry: uint8ArrayAlloc(0),
          score: 0,
          confidence: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.entry = reader.bytes()
              break
            }
            case 2: {
              obj.score = reader.float()
              break
            }
            case 3: {
              obj.confidence = reader.float()
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
                field: `${prefix}.entry`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.score`,
                value: reader.float()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.confidence`,
                value: reader.float()
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

  export interface QueryResultEntryFieldEvent {
    field: '$.entry'
    value: Uint8Array<ArrayBuffer>
  }

  export interface QueryResultScoreFieldEvent {
    field: '$.score'
    value: number
  }

  export interface QueryResultConfidenceFieldEvent {
    field: '$.confidence'
    value: number
  }

  export function encode (obj: Partial<QueryResult>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, QueryResult.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<QueryResult>): QueryResult {
    return decodeMessage(buf, QueryResult.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<QueryResult>): Generator<QueryResultEntryFieldEvent | QueryResultScoreFieldEvent | QueryResultConfidenceFieldEvent> {
    return streamMessage(buf, QueryResult.codec(), opts)
  }
}

export interface QueryResponse {
  results: QueryResult[]
  error: string
}

export namespace QueryResponse {
  let _codec: Codec<QueryResponse>

  export const codec = (): Codec<QueryResponse> => {
    if (_codec == null) {
      _codec = message<QueryResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.results != null && obj.results.length > 0) {
          for (const value of obj.results) {
            w.uint32(10)
            QueryResult.codec().encode(value, w)
          }
        }

        if ((obj.error != null && obj.error !== '')) {
          w.uint32(18)
          w.string(obj.error)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          results: [],
          error: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.results != null && obj.results.length === opts.limits.results) {
                throw new MaxLengthError('Decode error - repeated field "results" had too many elements')
              }

              obj.results.push(QueryResult.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.results$
              }))
              break
            }
            case 2: {
              obj.error = reader.string()
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
          results: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.results != null && obj.results === opts.limits.results) {
                throw new MaxLengthError('Streaming decode error - repeated field "results" had too many elements')
              }

              for (const evt of QueryResult.codec().stream(reader, reader.uint32(), `${prefix}.results[]`, {
                limits: opts.limits?.results$
              })) {
                yield {
                  ...evt,
                  index: obj.results
                }
              }

              obj.results++

              break
            }
            case 2: {
              yield {
                field: `${prefix}.error`,
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

  export interface QueryResponseResultsEntryFieldEvent {
    field: '$.results[].entry'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface QueryResponseResultsScoreFieldEvent {
    field: '$.results[].score'
    value: number
    index: number
  }

  export interface QueryResponseResultsConfidenceFieldEvent {
    field: '$.results[].confidence'
    value: number
    index: number
  }

  export interface QueryResponseErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export function encode (obj: Partial<QueryResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, QueryResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<QueryResponse>): QueryResponse {
    return decodeMessage(buf, QueryResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<QueryResponse>): Generator<QueryResponseResultsEntryFieldEvent | QueryResponseResultsScoreFieldEvent | QueryResponseResultsConfidenceFieldEvent | QueryResponseErrorFieldEvent> {
    return streamMessage(buf, QueryResponse.codec(), opts)
  }
}
