import { encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { decodeMessage } from './decode.js'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface AgentSpec {
  name: string
  runner: string
  command: string[]
  input: string
  cwd: string
  env: EnvVar[]
  url: string
  model: string
  system: string
  builtin: string
  concurrency: number
  timeoutMs: number
  version: string
  capabilities: string[]
  description: string
  skills: string[]
  needsKey: boolean
}

export namespace AgentSpec {
  let _codec: Codec<AgentSpec>

  export const codec = (): Codec<AgentSpec> => {
    if (_codec == null) {
      _codec = message<AgentSpec>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.runner != null && obj.runner !== '')) {
          w.uint32(18)
          w.string(obj.runner)
        }

        if (obj.command != null && obj.command.length > 0) {
          for (const value of obj.command) {
            w.uint32(26)
            w.string(value)
          }
        }

        if ((obj.input != null && obj.input !== '')) {
          w.uint32(34)
          w.string(obj.input)
        }

        if ((obj.cwd != null && obj.cwd !== '')) {
          w.uint32(42)
          w.string(obj.cwd)
        }

        if (obj.env != null && obj.env.length > 0) {
          for (const value of obj.env) {
            w.uint32(50)
            EnvVar.codec().encode(value, w)
          }
        }

        if ((obj.url != null && obj.url !== '')) {
          w.uint32(58)
          w.string(obj.url)
        }

        if ((obj.model != null && obj.model !== '')) {
          w.uint32(66)
          w.string(obj.model)
        }

        if ((obj.system != null && obj.system !== '')) {
          w.uint32(74)
          w.string(obj.system)
        }

        if ((obj.builtin != null && obj.builtin !== '')) {
          w.uint32(82)
          w.string(obj.builtin)
        }

        if ((obj.concurrency != null && obj.concurrency !== 0)) {
          w.uint32(88)
          w.uint32(obj.concurrency)
        }

        if ((obj.timeoutMs != null && obj.timeoutMs !== 0)) {
          w.uint32(96)
          w.uint32(obj.timeoutMs)
        }

        if ((obj.version != null && obj.version !== '')) {
          w.uint32(106)
          w.string(obj.version)
        }

        if (obj.capabilities != null && obj.capabilities.length > 0) {
          for (const value of obj.capabilities) {
            w.uint32(114)
            w.string(value)
          }
        }

        if ((obj.description != null && obj.description !== '')) {
          w.uint32(122)
          w.string(obj.description)
        }

        if (obj.skills != null && obj.skills.length > 0) {
          for (const value of obj.skills) {
            w.uint32(130)
            w.string(value)
          }
        }

        if ((obj.needsKey != null && obj.needsKey !== false)) {
          w.uint32(136)
          w.bool(obj.needsKey)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          runner: '',
          command: [],
          input: '',
          cwd: '',
          env: [],
          url: '',
          model: '',
          system: '',
          builtin: '',
          concurrency: 0,
          timeoutMs: 0,
          version: '',
          capabilities: [],
          description: '',
          skills: [],
          needsKey: false
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
              obj.runner = reader.string()
              break
            }
            case 3: {
              if (opts.limits?.command != null && obj.command.length === opts.limits.command) {
                throw new MaxLengthError('Decode error - repeated field "command" had too many elements')
              }

              obj.command.push(reader.string())
              break
            }
            case 4: {
              obj.input = reader.string()
              break
            }
            case 5: {
              obj.cwd = reader.string()
              break
            }
            case 6: {
              if (opts.limits?.env != null && obj.env.length === opts.limits.env) {
                throw new MaxLengthError('Decode error - repeated field "env" had too many elements')
              }

              obj.env.push(EnvVar.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.env$
              }))
              break
            }
            case 7: {
              obj.url = reader.string()
              break
            }
            case 8: {
              obj.model = reader.string()
              break
            }
            case 9: {
              obj.system = reader.string()
              break
            }
            case 10: {
              obj.builtin = reader.string()
              break
            }
            case 11: {
              obj.concurrency = reader.uint32()
              break
            }
            case 12: {
              obj.timeoutMs = reader.uint32()
              break
            }
            case 13: {
              obj.version = reader.string()
              break
            }
            case 14: {
              if (opts.limits?.capabilities != null && obj.capabilities.length === opts.limits.capabilities) {
                throw new MaxLengthError('Decode error - repeated field "capabilities" had too many elements')
              }

              obj.capabilities.push(reader.string())
              break
            }
            case 15: {
              obj.description = reader.string()
              break
            }
            case 16: {
              if (opts.limits?.skills != null && obj.skills.length === opts.limits.skills) {
                throw new MaxLengthError('Decode error - repeated field "skills" had too many elements')
              }

              obj.skills.push(reader.string())
              break
            }
            case 17: {
              obj.needsKey = reader.bool()
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
          command: 0,
          env: 0,
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
                field: `${prefix}.runner`,
                value: reader.string()
              }
              break
            }
            case 3: {
              if (opts.limits?.command != null && obj.command === opts.limits.command) {
                throw new MaxLengthError('Streaming decode error - repeated field "command" had too many elements')
              }

              yield {
                field: `${prefix}.command[]`,
                index: obj.command,
                value: reader.string()
              }

              obj.command++

              break
            }
            case 4: {
              yield {
                field: `${prefix}.input`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.cwd`,
                value: reader.string()
              }
              break
            }
            case 6: {
              if (opts.limits?.env != null && obj.env === opts.limits.env) {
                throw new MaxLengthError('Streaming decode error - repeated field "env" had too many elements')
              }

              for (const evt of EnvVar.codec().stream(reader, reader.uint32(), `${prefix}.env[]`, {
                limits: opts.limits?.env$
              })) {
                yield {
                  ...evt,
                  index: obj.env
                }
              }

              obj.env++

              break
            }
            case 7: {
              yield {
                field: `${prefix}.url`,
                value: reader.string()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.model`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.system`,
                value: reader.string()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.builtin`,
                value: reader.string()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.concurrency`,
                value: reader.uint32()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.timeoutMs`,
                value: reader.uint32()
              }
              break
            }
            case 13: {
              yield {
                field: `${prefix}.version`,
                value: reader.string()
              }
              break
            }
            case 14: {
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
            case 15: {
              yield {
                field: `${prefix}.description`,
                value: reader.string()
              }
              break
            }
            case 16: {
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
            case 17: {
              yield {
                field: `${prefix}.needsKey`,
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

  export interface AgentSpecNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface AgentSpecRunnerFieldEvent {
    field: '$.runner'
    value: string
  }

  export interface AgentSpecCommandFieldEvent {
    field: '$.command[]'
    index: number
    value: string
  }

  export interface AgentSpecInputFieldEvent {
    field: '$.input'
    value: string
  }

  export interface AgentSpecCwdFieldEvent {
    field: '$.cwd'
    value: string
  }

  export interface AgentSpecEnvNameFieldEvent {
    field: '$.env[].name'
    value: string
    index: number
  }

  export interface AgentSpecEnvValueFieldEvent {
    field: '$.env[].value'
    value: string
    index: number
  }

  export interface AgentSpecUrlFieldEvent {
    field: '$.url'
    value: string
  }

  export interface AgentSpecModelFieldEvent {
    field: '$.model'
    value: string
  }

  export interface AgentSpecSystemFieldEvent {
    field: '$.system'
    value: string
  }

  export interface AgentSpecBuiltinFieldEvent {
    field: '$.builtin'
    value: string
  }

  export interface AgentSpecConcurrencyFieldEvent {
    field: '$.concurrency'
    value: number
  }

  export interface AgentSpecTimeoutMsFieldEvent {
    field: '$.timeoutMs'
    value: number
  }

  export interface AgentSpecVersionFieldEvent {
    field: '$.version'
    value: string
  }

  export interface AgentSpecCapabilitiesFieldEvent {
    field: '$.capabilities[]'
    index: number
    value: string
  }

  export interface AgentSpecDescriptionFieldEvent {
    field: '$.description'
    value: string
  }

  export interface AgentSpecSkillsFieldEvent {
    field: '$.skills[]'
    index: number
    value: string
  }

  export interface AgentSpecNeedsKeyFieldEvent {
    field: '$.needsKey'
    value: boolean
  }

  export function encode (obj: Partial<AgentSpec>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AgentSpec.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AgentSpec>): AgentSpec {
    return decodeMessage(buf, AgentSpec.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AgentSpec>): Generator<AgentSpecNameFieldEvent | AgentSpecRunnerFieldEvent | AgentSpecCommandFieldEvent | AgentSpecInputFieldEvent | AgentSpecCwdFieldEvent | AgentSpecEnvNameFieldEvent | AgentSpecEnvValueFieldEvent | AgentSpecUrlFieldEvent | AgentSpecModelFieldEvent | AgentSpecSystemFieldEvent | AgentSpecBuiltinFieldEvent | AgentSpecConcurrencyFieldEvent | AgentSpecTimeoutMsFieldEvent | AgentSpecVersionFieldEvent | AgentSpecCapabilitiesFieldEvent | AgentSpecDescriptionFieldEvent | AgentSpecSkillsFieldEvent | AgentSpecNeedsKeyFieldEvent> {
    return streamMessage(buf, AgentSpec.codec(), opts)
  }
}

export interface EnvVar {
  name: string
  value: string
}

export namespace EnvVar {
  let _codec: Codec<EnvVar>

  export const codec = (): Codec<EnvVar> => {
    if (_codec == null) {
      _codec = message<EnvVar>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.name != null && obj.name !== '')) {
          w.uint32(10)
          w.string(obj.name)
        }

        if ((obj.value != null && obj.value !== '')) {
          w.uint32(18)
          w.string(obj.value)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          name: '',
          value: ''
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
              obj.value = reader.string()
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
                field: `${prefix}.name`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.value`,
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

  export interface EnvVarNameFieldEvent {
    field: '$.name'
    value: string
  }

  export interface EnvVarValueFieldEvent {
    field: '$.value'
    value: string
  }

  export function encode (obj: Partial<EnvVar>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, EnvVar.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<EnvVar>): EnvVar {
    return decodeMessage(buf, EnvVar.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<EnvVar>): Generator<EnvVarNameFieldEvent | EnvVarValueFieldEvent> {
    return streamMessage(buf, EnvVar.codec(), opts)
  }
}

export interface PackagedChunk {
  id: string
  text: string
  tags: string[]
  zone: string
  createdAt: bigint
  confidence: number
  salience: number
}

export namespace PackagedChunk {
  let _codec: Codec<PackagedChunk>

  export const codec = (): Codec<PackagedChunk> => {
    if (_codec == null) {
      _codec = message<PackagedChunk>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.id != null && obj.id !== '')) {
          w.uint32(10)
          w.string(obj.id)
        }

        if ((obj.text != null && obj.text !== '')) {
          w.uint32(18)
          w.string(obj.text)
        }

        if (obj.tags != null && obj.tags.length > 0) {
          for (const value of obj.tags) {
            w.uint32(26)
            w.string(value)
          }
        }

        if ((obj.zone != null && obj.zone !== '')) {
          w.uint32(34)
          w.string(obj.zone)
        }

        if ((obj.createdAt != null && obj.createdAt !== 0n)) {
          w.uint32(40)
          w.uint64(obj.createdAt)
        }

        if ((obj.confidence != null && obj.confidence !== 0)) {
          w.uint32(49)
          w.double(obj.confidence)
        }

        if ((obj.salience != null && obj.salience !== 0)) {
          w.uint32(57)
          w.double(obj.salience)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          id: '',
          text: '',
          tags: [],
          zone: '',
          createdAt: 0n,
          confidence: 0,
          salience: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.id = reader.string()
              break
            }
            case 2: {
              obj.text = reader.string()
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
              obj.zone = reader.string()
              break
            }
            case 5: {
              obj.createdAt = reader.uint64()
              break
            }
            case 6: {
              obj.confidence = reader.double()
              break
            }
            case 7: {
              obj.salience = reader.double()
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
                field: `${prefix}.id`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.text`,
                value: reader.string()
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
                field: `${prefix}.zone`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.createdAt`,
                value: reader.uint64()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.confidence`,
                value: reader.double()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.salience`,
                value: reader.double()
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

  export interface PackagedChunkIdFieldEvent {
    field: '$.id'
    value: string
  }

  export interface PackagedChunkTextFieldEvent {
    field: '$.text'
    value: string
  }

  export interface PackagedChunkTagsFieldEvent {
    field: '$.tags[]'
    index: number
    value: string
  }

  export interface PackagedChunkZoneFieldEvent {
    field: '$.zone'
    value: string
  }

  export interface PackagedChunkCreatedAtFieldEvent {
    field: '$.createdAt'
    value: bigint
  }

  export interface PackagedChunkConfidenceFieldEvent {
    field: '$.confidence'
    value: number
  }

  export interface PackagedChunkSalienceFieldEvent {
    field: '$.salience'
    value: number
  }

  export function encode (obj: Partial<PackagedChunk>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PackagedChunk.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PackagedChunk>): PackagedChunk {
    return decodeMessage(buf, PackagedChunk.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PackagedChunk>): Generator<PackagedChunkIdFieldEvent | PackagedChunkTextFieldEvent | PackagedChunkTagsFieldEvent | PackagedChunkZoneFieldEvent | PackagedChunkCreatedAtFieldEvent | PackagedChunkConfidenceFieldEvent | PackagedChunkSalienceFieldEvent> {
    return streamMessage(buf, PackagedChunk.codec(), opts)
  }
}

export interface AgentPackage {
  version: number
  mesh: string
  node: string
  createdAt: bigint
  agent?: AgentSpec
  memory: PackagedChunk[]
}

export namespace AgentPackage {
  let _codec: Codec<AgentPackage>

  export const codec = (): Codec<AgentPackage> => {
    if (_codec == null) {
      _codec = message<AgentPackage>((obj, w, opts = {}) => {
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

        if ((obj.node != null && obj.node !== '')) {
          w.uint32(26)
          w.string(obj.node)
        }

        if ((obj.createdAt != null && obj.createdAt !== 0n)) {
          w.uint32(32)
          w.uint64(obj.createdAt)
        }

        if (obj.agent != null) {
          w.uint32(42)
          AgentSpec.codec().encode(obj.agent, w)
        }

        if (obj.memory != null && obj.memory.length > 0) {
          for (const value of obj.memory) {
            w.uint32(50)
            PackagedChunk.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          version: 0,
          mesh: '',
          node: '',
          createdAt: 0n,
          memory: []
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
              obj.node = reader.string()
              break
            }
            case 4: {
              obj.createdAt = reader.uint64()
              break
            }
            case 5: {
              obj.agent = AgentSpec.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.agent
              })
              break
            }
            case 6: {
              if (opts.limits?.memory != null && obj.memory.length === opts.limits.memory) {
                throw new MaxLengthError('Decode error - repeated field "memory" had too many elements')
              }

              obj.memory.push(PackagedChunk.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.memory$
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
          memory: 0
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
                field: `${prefix}.node`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.createdAt`,
                value: reader.uint64()
              }
              break
            }
            case 5: {
              yield * AgentSpec.codec().stream(reader, reader.uint32(), `${prefix}.agent`, {
                limits: opts.limits?.agent
              })

              break
            }
            case 6: {
              if (opts.limits?.memory != null && obj.memory === opts.limits.memory) {
                throw new MaxLengthError('Streaming decode error - repeated field "memory" had too many elements')
              }

              for (const evt of PackagedChunk.codec().stream(reader, reader.uint32(), `${prefix}.memory[]`, {
                limits: opts.limits?.memory$
              })) {
                yield {
                  ...evt,
                  index: obj.memory
                }
              }

              obj.memory++

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

  export interface AgentPackageVersionFieldEvent {
    field: '$.version'
    value: number
  }

  export interface AgentPackageMeshFieldEvent {
    field: '$.mesh'
    value: string
  }

  export interface AgentPackageNodeFieldEvent {
    field: '$.node'
    value: string
  }

  export interface AgentPackageCreatedAtFieldEvent {
    field: '$.createdAt'
    value: bigint
  }

  export interface AgentPackageAgentNameFieldEvent {
    field: '$.agent.name'
    value: string
  }

  export interface AgentPackageAgentRunnerFieldEvent {
    field: '$.agent.runner'
    value: string
  }

  export interface AgentPackageAgentCommandFieldEvent {
    field: '$.agent.command[]'
    index: number
    value: string
  }

  export interface AgentPackageAgentInputFieldEvent {
    field: '$.agent.input'
    value: string
  }

  export interface AgentPackageAgentCwdFieldEvent {
    field: '$.agent.cwd'
    value: string
  }

  export interface AgentPackageAgentEnvNameFieldEvent {
    field: '$.agent.env[].name'
    value: string
    index: number
  }

  export interface AgentPackageAgentEnvValueFieldEvent {
    field: '$.agent.env[].value'
    value: string
    index: number
  }

  export interface AgentPackageAgentUrlFieldEvent {
    field: '$.agent.url'
    value: string
  }

  export interface AgentPackageAgentModelFieldEvent {
    field: '$.agent.model'
    value: string
  }

  export interface AgentPackageAgentSystemFieldEvent {
    field: '$.agent.system'
    value: string
  }

  export interface AgentPackageAgentBuiltinFieldEvent {
    field: '$.agent.builtin'
    value: string
  }

  export interface AgentPackageAgentConcurrencyFieldEvent {
    field: '$.agent.concurrency'
    value: number
  }

  export interface AgentPackageAgentTimeoutMsFieldEvent {
    field: '$.agent.timeoutMs'
    value: number
  }

  export interface AgentPackageAgentVersionFieldEvent {
    field: '$.agent.version'
    value: string
  }

  export interface AgentPackageAgentCapabilitiesFieldEvent {
    field: '$.agent.capabilities[]'
    index: number
    value: string
  }

  export interface AgentPackageAgentDescriptionFieldEvent {
    field: '$.agent.description'
    value: string
  }

  export interface AgentPackageAgentSkillsFieldEvent {
    field: '$.agent.skills[]'
    index: number
    value: string
  }

  export interface AgentPackageAgentNeedsKeyFieldEvent {
    field: '$.agent.needsKey'
    value: boolean
  }

  export interface AgentPackageMemoryIdFieldEvent {
    field: '$.memory[].id'
    value: string
    index: number
  }

  export interface AgentPackageMemoryTextFieldEvent {
    field: '$.memory[].text'
    value: string
    index: number
  }

  export interface AgentPackageMemoryTagsFieldEvent {
    field: '$.memory[].tags[]'
    index: number
    value: string
  }

  export interface AgentPackageMemoryZoneFieldEvent {
    field: '$.memory[].zone'
    value: string
    index: number
  }

  export interface AgentPackageMemoryCreatedAtFieldEvent {
    field: '$.memory[].createdAt'
    value: bigint
    index: number
  }

  export interface AgentPackageMemoryConfidenceFieldEvent {
    field: '$.memory[].confidence'
    value: number
    index: number
  }

  export interface AgentPackageMemorySalienceFieldEvent {
    field: '$.memory[].salience'
    value: number
    index: number
  }

  export function encode (obj: Partial<AgentPackage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, AgentPackage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AgentPackage>): AgentPackage {
    return decodeMessage(buf, AgentPackage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<AgentPackage>): Generator<AgentPackageVersionFieldEvent | AgentPackageMeshFieldEvent | AgentPackageNodeFieldEvent | AgentPackageCreatedAtFieldEvent | AgentPackageAgentNameFieldEvent | AgentPackageAgentRunnerFieldEvent | AgentPackageAgentCommandFieldEvent | AgentPackageAgentInputFieldEvent | AgentPackageAgentCwdFieldEvent | AgentPackageAgentEnvNameFieldEvent | AgentPackageAgentEnvValueFieldEvent | AgentPackageAgentUrlFieldEvent | AgentPackageAgentModelFieldEvent | AgentPackageAgentSystemFieldEvent | AgentPackageAgentBuiltinFieldEvent | AgentPackageAgentConcurrencyFieldEvent | AgentPackageAgentTimeoutMsFieldEvent | AgentPackageAgentVersionFieldEvent | AgentPackageAgentCapabilitiesFieldEvent | AgentPackageAgentDescriptionFieldEvent | AgentPackageAgentSkillsFieldEvent | AgentPackageAgentNeedsKeyFieldEvent | AgentPackageMemoryIdFieldEvent | AgentPackageMemoryTextFieldEvent | AgentPackageMemoryTagsFieldEvent | AgentPackageMemoryZoneFieldEvent | AgentPackageMemoryCreatedAtFieldEvent | AgentPackageMemoryConfidenceFieldEvent | AgentPackageMemorySalienceFieldEvent> {
    return streamMessage(buf, AgentPackage.codec(), opts)
  }
}

export interface SignedAgentPackage {
  package: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace SignedAgentPackage {
  let _codec: Codec<SignedAgentPackage>

  export const codec = (): Codec<SignedAgentPackage> => {
    if (_codec == null) {
      _codec = message<SignedAgentPackage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.package != null && obj.package.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.package)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          package: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.package = reader.bytes()
              break
            }
            case 2: {
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
                field: `${prefix}.package`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
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

  export interface SignedAgentPackagePackageFieldEvent {
    field: '$.package'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedAgentPackageSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SignedAgentPackage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SignedAgentPackage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedAgentPackage>): SignedAgentPackage {
    return decodeMessage(buf, SignedAgentPackage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedAgentPackage>): Generator<SignedAgentPackagePackageFieldEvent | SignedAgentPackageSignatureFieldEvent> {
    return streamMessage(buf, SignedAgentPackage.codec(), opts)
  }
}

export interface DelegateRequest {
  package?: SignedAgentPackage
  durationMs: bigint
}

export namespace DelegateRequest {
  let _codec: Codec<DelegateRequest>

  export const codec = (): Codec<DelegateRequest> => {
    if (_codec == null) {
      _codec = message<DelegateRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.package != null) {
          w.uint32(10)
          SignedAgentPackage.codec().encode(obj.package, w)
        }

        if ((obj.durationMs != null && obj.durationMs !== 0n)) {
          w.uint32(16)
          w.uint64(obj.durationMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          durationMs: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.package = SignedAgentPackage.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.package
              })
              break
            }
            case 2: {
              obj.durationMs = reader.uint64()
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
              yield * SignedAgentPackage.codec().stream(reader, reader.uint32(), `${prefix}.package`, {
                limits: opts.limits?.package
              })

              break
            }
            case 2: {
              yield {
                field: `${prefix}.durationMs`,
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

  export interface DelegateRequestPackagePackageFieldEvent {
    field: '$.package.package'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DelegateRequestPackageSignatureFieldEvent {
    field: '$.package.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DelegateRequestDurationMsFieldEvent {
    field: '$.durationMs'
    value: bigint
  }

  export function encode (obj: Partial<DelegateRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DelegateRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DelegateRequest>): DelegateRequest {
    return decodeMessage(buf, DelegateRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DelegateRequest>): Generator<DelegateRequestPackagePackageFieldEvent | DelegateRequestPackageSignatureFieldEvent | DelegateRequestDurationMsFieldEvent> {
    return streamMessage(buf, DelegateRequest.codec(), opts)
  }
}

export interface DelegateAnswer {
  accepted: boolean
  reason: string
  message: string
  durationMs: bigint
}

export namespace DelegateAnswer {
  let _codec: Codec<DelegateAnswer>

  export const codec = (): Codec<DelegateAnswer> => {
    if (_codec == null) {
      _codec = message<DelegateAnswer>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.accepted != null && obj.accepted !== false)) {
          w.uint32(8)
          w.bool(obj.accepted)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(18)
          w.string(obj.reason)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(26)
          w.string(obj.message)
        }

        if ((obj.durationMs != null && obj.durationMs !== 0n)) {
          w.uint32(32)
          w.uint64(obj.durationMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          accepted: false,
          reason: '',
          message: '',
          durationMs: 0n
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.accepted = reader.bool()
              break
            }
            case 2: {
              obj.reason = reader.string()
              break
            }
            case 3: {
              obj.message = reader.string()
              break
            }
            case 4: {
              obj.durationMs = reader.uint64()
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
                field: `${prefix}.accepted`,
                value: reader.bool()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.reason`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.durationMs`,
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

  export interface DelegateAnswerAcceptedFieldEvent {
    field: '$.accepted'
    value: boolean
  }

  export interface DelegateAnswerReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export interface DelegateAnswerMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface DelegateAnswerDurationMsFieldEvent {
    field: '$.durationMs'
    value: bigint
  }

  export function encode (obj: Partial<DelegateAnswer>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DelegateAnswer.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DelegateAnswer>): DelegateAnswer {
    return decodeMessage(buf, DelegateAnswer.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DelegateAnswer>): Generator<DelegateAnswerAcceptedFieldEvent | DelegateAnswerReasonFieldEvent | DelegateAnswerMessageFieldEvent | DelegateAnswerDurationMsFieldEvent> {
    return streamMessage(buf, DelegateAnswer.codec(), opts)
  }
}

export interface DelegateReturn {
  agent: string
  memory: PackagedChunk[]
  done: boolean
}

export namespace DelegateReturn {
  let _codec: Codec<DelegateReturn>

  export const codec = (): Codec<DelegateReturn> => {
    if (_codec == null) {
      _codec = message<DelegateReturn>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.agent != null && obj.agent !== '')) {
          w.uint32(10)
          w.string(obj.agent)
        }

        if (obj.memory != null && obj.memory.length > 0) {
          for (const value of obj.memory) {
            w.uint32(18)
            PackagedChunk.codec().encode(value, w)
          }
        }

        if ((obj.done != null && obj.done !== false)) {
          w.uint32(24)
          w.bool(obj.done)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          agent: '',
          memory: [],
          done: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.agent = reader.string()
              break
            }
            case 2: {
              if (opts.limits?.memory != null && obj.memory.length === opts.limits.memory) {
                throw new MaxLengthError('Decode error - repeated field "memory" had too many elements')
              }

              obj.memory.push(PackagedChunk.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.memory$
              }))
              break
            }
            case 3: {
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
          memory: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.agent`,
                value: reader.string()
              }
              break
            }
            case 2: {
              if (opts.limits?.memory != null && obj.memory === opts.limits.memory) {
                throw new MaxLengthError('Streaming decode error - repeated field "memory" had too many elements')
              }

              for (const evt of PackagedChunk.codec().stream(reader, reader.uint32(), `${prefix}.memory[]`, {
                limits: opts.limits?.memory$
              })) {
                yield {
                  ...evt,
                  index: obj.memory
                }
              }

              obj.memory++

              break
            }
            case 3: {
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

  export interface DelegateReturnAgentFieldEvent {
    field: '$.agent'
    value: string
  }

  export interface DelegateReturnMemoryIdFieldEvent {
    field: '$.memory[].id'
    value: string
    index: number
  }

  export interface DelegateReturnMemoryTextFieldEvent {
    field: '$.memory[].text'
    value: string
    index: number
  }

  export interface DelegateReturnMemoryTagsFieldEvent {
    field: '$.memory[].tags[]'
    index: number
    value: string
  }

  export interface DelegateReturnMemoryZoneFieldEvent {
    field: '$.memory[].zone'
    value: string
    index: number
  }

  export interface DelegateReturnMemoryCreatedAtFieldEvent {
    field: '$.memory[].createdAt'
    value: bigint
    index: number
  }

  export interface DelegateReturnMemoryConfidenceFieldEvent {
    field: '$.memory[].confidence'
    value: number
    index: number
  }

  export interface DelegateReturnMemorySalienceFieldEvent {
    field: '$.memory[].salience'
    value: number
    index: number
  }

  export interface DelegateReturnDoneFieldEvent {
    field: '$.done'
    value: boolean
  }

  export function encode (obj: Partial<DelegateReturn>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DelegateReturn.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DelegateReturn>): DelegateReturn {
    return decodeMessage(buf, DelegateReturn.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DelegateReturn>): Generator<DelegateReturnAgentFieldEvent | DelegateReturnMemoryIdFieldEvent | DelegateReturnMemoryTextFieldEvent | DelegateReturnMemoryTagsFieldEvent | DelegateReturnMemoryZoneFieldEvent | DelegateReturnMemoryCreatedAtFieldEvent | DelegateReturnMemoryConfidenceFieldEvent | DelegateReturnMemorySalienceFieldEvent | DelegateReturnDoneFieldEvent> {
    return streamMessage(buf, DelegateReturn.codec(), opts)
  }
}

export interface DelegateReturnAck {
  stored: number
}

export namespace DelegateReturnAck {
  let _codec: Codec<DelegateReturnAck>

  export const codec = (): Codec<DelegateReturnAck> => {
    if (_codec == null) {
      _codec = message<DelegateReturnAck>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.stored != null && obj.stored !== 0)) {
          w.uint32(8)
          w.uint32(obj.stored)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          stored: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.stored = reader.uint32()
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
                field: `${prefix}.stored`,
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

  export interface DelegateReturnAckStoredFieldEvent {
    field: '$.stored'
    value: number
  }

  export function encode (obj: Partial<DelegateReturnAck>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DelegateReturnAck.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DelegateReturnAck>): DelegateReturnAck {
    return decodeMessage(buf, DelegateReturnAck.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DelegateReturnAck>): Generator<DelegateReturnAckStoredFieldEvent> {
    return streamMessage(buf, DelegateReturnAck.codec(), opts)
  }
}

export interface DelegateRecall {
  agent: string
}

export namespace DelegateRecall {
  let _codec: Codec<DelegateRecall>

  export const codec = (): Codec<DelegateRecall> => {
    if (_codec == null) {
      _codec = message<DelegateRecall>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.agent != null && obj.agent !== '')) {
          w.uint32(10)
          w.string(obj.agent)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          agent: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.agent = reader.string()
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
                field: `${prefix}.agent`,
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

  export interface DelegateRecallAgentFieldEvent {
    field: '$.agent'
    value: string
  }

  export function encode (obj: Partial<DelegateRecall>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DelegateRecall.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DelegateRecall>): DelegateRecall {
    return decodeMessage(buf, DelegateRecall.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DelegateRecall>): Generator<DelegateRecallAgentFieldEvent> {
    return streamMessage(buf, DelegateRecall.codec(), opts)
  }
}

export interface DelegateMessage {
  request?: DelegateRequest
  answer?: DelegateAnswer
  returned?: DelegateReturn
  ack?: DelegateReturnAck
  recall?: DelegateRecall
}

export namespace DelegateMessage {
  let _codec: Codec<DelegateMessage>

  export const codec = (): Codec<DelegateMessage> => {
    if (_codec == null) {
      _codec = message<DelegateMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.request != null) {
          w.uint32(10)
          DelegateRequest.codec().encode(obj.request, w)
        }

        if (obj.answer != null) {
          w.uint32(18)
          DelegateAnswer.codec().encode(obj.answer, w)
        }

        if (obj.returned != null) {
          w.uint32(26)
          DelegateReturn.codec().encode(obj.returned, w)
        }

        if (obj.ack != null) {
          w.uint32(34)
          DelegateReturnAck.codec().encode(obj.ack, w)
        }

        if (obj.recall != null) {
          w.uint32(42)
          DelegateRecall.codec().encode(obj.recall, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {}

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.request = DelegateRequest.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.request
              })
              break
            }
            case 2: {
              obj.answer = DelegateAnswer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.answer
              })
              break
            }
            case 3: {
              obj.returned = DelegateReturn.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.returned
              })
              break
            }
            case 4: {
              obj.ack = DelegateReturnAck.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ack
              })
              break
            }
            case 5: {
              obj.recall = DelegateRecall.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.recall
              })
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
              yield * DelegateRequest.codec().stream(reader, reader.uint32(), `${prefix}.request`, {
                limits: opts.limits?.request
              })

              break
            }
            case 2: {
              yield * DelegateAnswer.codec().stream(reader, reader.uint32(), `${prefix}.answer`, {
                limits: opts.limits?.answer
              })

              break
            }
            case 3: {
              yield * DelegateReturn.codec().stream(reader, reader.uint32(), `${prefix}.returned`, {
                limits: opts.limits?.returned
              })

              break
            }
            case 4: {
              yield * DelegateReturnAck.codec().stream(reader, reader.uint32(), `${prefix}.ack`, {
                limits: opts.limits?.ack
              })

              break
            }
            case 5: {
              yield * DelegateRecall.codec().stream(reader, reader.uint32(), `${prefix}.recall`, {
                limits: opts.limits?.recall
              })

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

  export interface DelegateMessageRequestPackagePackageFieldEvent {
    field: '$.request.package.package'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DelegateMessageRequestPackageSignatureFieldEvent {
    field: '$.request.package.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export interface DelegateMessageRequestDurationMsFieldEvent {
    field: '$.request.durationMs'
    value: bigint
  }

  export interface DelegateMessageAnswerAcceptedFieldEvent {
    field: '$.answer.accepted'
    value: boolean
  }

  export interface DelegateMessageAnswerReasonFieldEvent {
    field: '$.answer.reason'
    value: string
  }

  export interface DelegateMessageAnswerMessageFieldEvent {
    field: '$.answer.message'
    value: string
  }

  export interface DelegateMessageAnswerDurationMsFieldEvent {
    field: '$.answer.durationMs'
    value: bigint
  }

  export interface DelegateMessageReturnedAgentFieldEvent {
    field: '$.returned.agent'
    value: string
  }

  export interface DelegateMessageReturnedMemoryIdFieldEvent {
    field: '$.returned.memory[].id'
    value: string
    index: number
  }

  export interface DelegateMessageReturnedMemoryTextFieldEvent {
    field: '$.returned.memory[].text'
    value: string
    index: number
  }

  export interface DelegateMessageReturnedMemoryTagsFieldEvent {
    field: '$.returned.memory[].tags[]'
    index: number
    value: string
  }

  export interface DelegateMessageReturnedMemoryZoneFieldEvent {
    field: '$.returned.memory[].zone'
    value: string
    index: number
  }

  export interface DelegateMessageReturnedMemoryCreatedAtFieldEvent {
    field: '$.returned.memory[].createdAt'
    value: bigint
    index: number
  }

  export interface DelegateMessageReturnedMemoryConfidenceFieldEvent {
    field: '$.returned.memory[].confidence'
    value: number
    index: number
  }

  export interface DelegateMessageReturnedMemorySalienceFieldEvent {
    field: '$.returned.memory[].salience'
    value: number
    index: number
  }

  export interface DelegateMessageReturnedDoneFieldEvent {
    field: '$.returned.done'
    value: boolean
  }

  export interface DelegateMessageAckStoredFieldEvent {
    field: '$.ack.stored'
    value: number
  }

  export interface DelegateMessageRecallAgentFieldEvent {
    field: '$.recall.agent'
    value: string
  }

  export function encode (obj: Partial<DelegateMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, DelegateMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DelegateMessage>): DelegateMessage {
    return decodeMessage(buf, DelegateMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<DelegateMessage>): Generator<DelegateMessageRequestPackagePackageFieldEvent | DelegateMessageRequestPackageSignatureFieldEvent | DelegateMessageRequestDurationMsFieldEvent | DelegateMessageAnswerAcceptedFieldEvent | DelegateMessageAnswerReasonFieldEvent | DelegateMessageAnswerMessageFieldEvent | DelegateMessageAnswerDurationMsFieldEvent | DelegateMessageReturnedAgentFieldEvent | DelegateMessageReturnedMemoryIdFieldEvent | DelegateMessageReturnedMemoryTextFieldEvent | DelegateMessageReturnedMemoryTagsFieldEvent | DelegateMessageReturnedMemoryZoneFieldEvent | DelegateMessageReturnedMemoryCreatedAtFieldEvent | DelegateMessageReturnedMemoryConfidenceFieldEvent | DelegateMessageReturnedMemorySalienceFieldEvent | DelegateMessageReturnedDoneFieldEvent | DelegateMessageAckStoredFieldEvent | DelegateMessageRecallAgentFieldEvent> {
    return streamMessage(buf, DelegateMessage.codec(), opts)
  }
}
