import { encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { decodeMessage } from './decode.js'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface RunRequest {
  requestId: Uint8Array<ArrayBuffer>
  agent: string
  input: Uint8Array<ArrayBuffer>
  timeoutMs: number
  callerAgent: string
  skill: string
  key: string
  progress: boolean
}

export namespace RunRequest {
  let _codec: Codec<RunRequest>

  export const codec = (): Codec<RunRequest> => {
    if (_codec == null) {
      _codec = message<RunRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.requestId != null && obj.requestId.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.requestId)
        }

        if ((obj.agent != null && obj.agent !== '')) {
          w.uint32(18)
          w.string(obj.agent)
        }

        if ((obj.input != null && obj.input.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.input)
        }

        if ((obj.timeoutMs != null && obj.timeoutMs !== 0)) {
          w.uint32(32)
          w.uint32(obj.timeoutMs)
        }

        if ((obj.callerAgent != null && obj.callerAgent !== '')) {
          w.uint32(42)
          w.string(obj.callerAgent)
        }

        if ((obj.skill != null && obj.skill !== '')) {
          w.uint32(50)
          w.string(obj.skill)
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(58)
          w.string(obj.key)
        }

        if ((obj.progress != null && obj.progress !== false)) {
          w.uint32(64)
          w.bool(obj.progress)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          requestId: uint8ArrayAlloc(0),
          agent: '',
          input: uint8ArrayAlloc(0),
          timeoutMs: 0,
          callerAgent: '',
          skill: '',
          key: '',
          progress: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.requestId = reader.bytes()
              break
            }
            case 2: {
              obj.agent = reader.string()
              break
            }
            case 3: {
              obj.input = reader.bytes()
              break
            }
            case 4: {
              obj.timeoutMs = reader.uint32()
              break
            }
            case 5: {
              obj.callerAgent = reader.string()
              break
            }
            case 6: {
              obj.skill = reader.string()
              break
            }
            case 7: {
              obj.key = reader.string()
              break
            }
            case 8: {
              obj.progress = reader.bool()
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
                field: `${prefix}.requestId`,
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
                field: `${prefix}.input`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.timeoutMs`,
                value: reader.uint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.callerAgent`,
                value: reader.string()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.skill`,
                value: reader.string()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.key`,
                value: reader.string()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.progress`,
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

  export interface RunRequestRequestIdFieldEvent {
    field: '$.requestId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RunRequestAgentFieldEvent {
    field: '$.agent'
    value: string
  }

  export interface RunRequestInputFieldEvent {
    field: '$.input'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RunRequestTimeoutMsFieldEvent {
    field: '$.timeoutMs'
    value: number
  }

  export interface RunRequestCallerAgentFieldEvent {
    field: '$.callerAgent'
    value: string
  }

  export interface RunRequestSkillFieldEvent {
    field: '$.skill'
    value: string
  }

  export interface RunRequestKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface RunRequestProgressFieldEvent {
    field: '$.progress'
    value: boolean
  }

  export function encode (obj: Partial<RunRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RunRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunRequest>): RunRequest {
    return decodeMessage(buf, RunRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunRequest>): Generator<RunRequestRequestIdFieldEvent | RunRequestAgentFieldEvent | RunRequestInputFieldEvent | RunRequestTimeoutMsFieldEvent | RunRequestCallerAgentFieldEvent | RunRequestSkillFieldEvent | RunRequestKeyFieldEvent | RunRequestProgressFieldEvent> {
    return streamMessage(buf, RunRequest.codec(), opts)
  }
}

export interface RunCancel {
  reason: string
}

export namespace RunCancel {
  let _codec: Codec<RunCancel>

  export const codec = (): Codec<RunCancel> => {
    if (_codec == null) {
      _codec = message<RunCancel>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(10)
          w.string(obj.reason)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          reason: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.reason = reader.string()
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
                field: `${prefix}.reason`,
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

  export interface RunCancelReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export function encode (obj: Partial<RunCancel>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RunCancel.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunCancel>): RunCancel {
    return decodeMessage(buf, RunCancel.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunCancel>): Generator<RunCancelReasonFieldEvent> {
    return streamMessage(buf, RunCancel.codec(), opts)
  }
}

export enum RunStatus {
  RUN_STATUS_UNSPECIFIED = 'RUN_STATUS_UNSPECIFIED',
  ACCEPTED = 'ACCEPTED',
  BUSY = 'BUSY',
  REFUSED = 'REFUSED'
}

enum __RunStatusValues {
  RUN_STATUS_UNSPECIFIED = 0,
  ACCEPTED = 1,
  BUSY = 2,
  REFUSED = 3
}

export namespace RunStatus {
  export const codec = (): Codec<RunStatus> => {
    return enumeration<RunStatus>(__RunStatusValues)
  }
}

export interface RunMessage {
  answer?: RunAnswer
  output?: RunOutput
  result?: RunResult
  progress?: RunProgress
}

export namespace RunMessage {
  let _codec: Codec<RunMessage>

  export const codec = (): Codec<RunMessage> => {
    if (_codec == null) {
      _codec = message<RunMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.answer != null) {
          w.uint32(10)
          RunAnswer.codec().encode(obj.answer, w)
        }

        if (obj.output != null) {
          w.uint32(18)
          RunOutput.codec().encode(obj.output, w)
        }

        if (obj.result != null) {
          w.uint32(26)
          RunResult.codec().encode(obj.result, w)
        }

        if (obj.progress != null) {
          w.uint32(34)
          RunProgress.codec().encode(obj.progress, w)
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
              obj.answer = RunAnswer.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.answer
              })
              break
            }
            case 2: {
              obj.output = RunOutput.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.output
              })
              break
            }
            case 3: {
              obj.result = RunResult.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.result
              })
              break
            }
            case 4: {
              obj.progress = RunProgress.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.progress
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
              yield * RunAnswer.codec().stream(reader, reader.uint32(), `${prefix}.answer`, {
                limits: opts.limits?.answer
              })

              break
            }
            case 2: {
              yield * RunOutput.codec().stream(reader, reader.uint32(), `${prefix}.output`, {
                limits: opts.limits?.output
              })

              break
            }
            case 3: {
              yield * RunResult.codec().stream(reader, reader.uint32(), `${prefix}.result`, {
                limits: opts.limits?.result
              })

              break
            }
            case 4: {
              yield * RunProgress.codec().stream(reader, reader.uint32(), `${prefix}.progress`, {
                limits: opts.limits?.progress
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

  export interface RunMessageAnswerStatusFieldEvent {
    field: '$.answer.status'
    value: RunStatus
  }

  export interface RunMessageAnswerReasonFieldEvent {
    field: '$.answer.reason'
    value: string
  }

  export interface RunMessageAnswerQueuePositionFieldEvent {
    field: '$.answer.queuePosition'
    value: number
  }

  export interface RunMessageOutputSeqFieldEvent {
    field: '$.output.seq'
    value: number
  }

  export interface RunMessageOutputDataFieldEvent {
    field: '$.output.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface RunMessageResultOkFieldEvent {
    field: '$.result.ok'
    value: boolean
  }

  export interface RunMessageResultErrorFieldEvent {
    field: '$.result.error'
    value: string
  }

  export interface RunMessageResultMessageFieldEvent {
    field: '$.result.message'
    value: string
  }

  export interface RunMessageResultExitCodeFieldEvent {
    field: '$.result.exitCode'
    value: number
  }

  export interface RunMessageResultFramesFieldEvent {
    field: '$.result.frames'
    value: number
  }

  export interface RunMessageResultDurationMsFieldEvent {
    field: '$.result.durationMs'
    value: number
  }

  export interface RunMessageProgressMessageFieldEvent {
    field: '$.progress.message'
    value: string
  }

  export function encode (obj: Partial<RunMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RunMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunMessage>): RunMessage {
    return decodeMessage(buf, RunMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunMessage>): Generator<RunMessageAnswerStatusFieldEvent | RunMessageAnswerReasonFieldEvent | RunMessageAnswerQueuePositionFieldEvent | RunMessageOutputSeqFieldEvent | RunMessageOutputDataFieldEvent | RunMessageResultOkFieldEvent | RunMessageResultErrorFieldEvent | RunMessageResultMessageFieldEvent | RunMessageResultExitCodeFieldEvent | RunMessageResultFramesFieldEvent | RunMessageResultDurationMsFieldEvent | RunMessageProgressMessageFieldEvent> {
    return streamMessage(buf, RunMessage.codec(), opts)
  }
}

export interface RunProgress {
  message: string
}

export namespace RunProgress {
  let _codec: Codec<RunProgress>

  export const codec = (): Codec<RunProgress> => {
    if (_codec == null) {
      _codec = message<RunProgress>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(10)
          w.string(obj.message)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          message: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.message = reader.string()
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
                field: `${prefix}.message`,
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

  export interface RunProgressMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export function encode (obj: Partial<RunProgress>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RunProgress.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunProgress>): RunProgress {
    return decodeMessage(buf, RunProgress.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunProgress>): Generator<RunProgressMessageFieldEvent> {
    return streamMessage(buf, RunProgress.codec(), opts)
  }
}

export interface RunAnswer {
  status: RunStatus
  reason: string
  queuePosition: number
}

export namespace RunAnswer {
  let _codec: Codec<RunAnswer>

  export const codec = (): Codec<RunAnswer> => {
    if (_codec == null) {
      _codec = message<RunAnswer>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __RunStatusValues[obj.status] !== 0) {
          w.uint32(8)
          RunStatus.codec().encode(obj.status, w)
        }

        if ((obj.reason != null && obj.reason !== '')) {
          w.uint32(18)
          w.string(obj.reason)
        }

        if ((obj.queuePosition != null && obj.queuePosition !== 0)) {
          w.uint32(24)
          w.uint32(obj.queuePosition)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: RunStatus.RUN_STATUS_UNSPECIFIED,
          reason: '',
          queuePosition: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = RunStatus.codec().decode(reader)
              break
            }
            case 2: {
              obj.reason = reader.string()
              break
            }
            case 3: {
              obj.queuePosition = reader.uint32()
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
                field: `${prefix}.status`,
                value: RunStatus.codec().decode(reader)
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
                field: `${prefix}.queuePosition`,
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

  export interface RunAnswerStatusFieldEvent {
    field: '$.status'
    value: RunStatus
  }

  export interface RunAnswerReasonFieldEvent {
    field: '$.reason'
    value: string
  }

  export interface RunAnswerQueuePositionFieldEvent {
    field: '$.queuePosition'
    value: number
  }

  export function encode (obj: Partial<RunAnswer>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RunAnswer.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunAnswer>): RunAnswer {
    return decodeMessage(buf, RunAnswer.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunAnswer>): Generator<RunAnswerStatusFieldEvent | RunAnswerReasonFieldEvent | RunAnswerQueuePositionFieldEvent> {
    return streamMessage(buf, RunAnswer.codec(), opts)
  }
}

export interface RunOutput {
  seq: number
  data: Uint8Array<ArrayBuffer>
}

export namespace RunOutput {
  let _codec: Codec<RunOutput>

  export const codec = (): Codec<RunOutput> => {
    if (_codec == null) {
      _codec = message<RunOutput>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.seq != null && obj.seq !== 0)) {
          w.uint32(8)
          w.uint32(obj.seq)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.data)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          seq: 0,
          data: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.seq = reader.uint32()
              break
            }
            case 2: {
              obj.data = reader.bytes()
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
                field: `${prefix}.seq`,
                value: reader.uint32()
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

  export interface RunOutputSeqFieldEvent {
    field: '$.seq'
    value: number
  }

  export interface RunOutputDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<RunOutput>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RunOutput.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunOutput>): RunOutput {
    return decodeMessage(buf, RunOutput.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunOutput>): Generator<RunOutputSeqFieldEvent | RunOutputDataFieldEvent> {
    return streamMessage(buf, RunOutput.codec(), opts)
  }
}

export interface RunResult {
  ok: boolean
  error: string
  message: string
  exitCode: number
  frames: number
  durationMs: number
}

export namespace RunResult {
  let _codec: Codec<RunResult>

  export const codec = (): Codec<RunResult> => {
    if (_codec == null) {
      _codec = message<RunResult>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.ok != null && obj.ok !== false)) {
          w.uint32(8)
          w.bool(obj.ok)
        }

        if ((obj.error != null && obj.error !== '')) {
          w.uint32(18)
          w.string(obj.error)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(26)
          w.string(obj.message)
        }

        if ((obj.exitCode != null && obj.exitCode !== 0)) {
          w.uint32(32)
          w.sint32(obj.exitCode)
        }

        if ((obj.frames != null && obj.frames !== 0)) {
          w.uint32(40)
          w.uint32(obj.frames)
        }

        if ((obj.durationMs != null && obj.durationMs !== 0)) {
          w.uint32(48)
          w.uint32(obj.durationMs)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          ok: false,
          error: '',
          message: '',
          exitCode: 0,
          frames: 0,
          durationMs: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.ok = reader.bool()
              break
            }
            case 2: {
              obj.error = reader.string()
              break
            }
            case 3: {
              obj.message = reader.string()
              break
            }
            case 4: {
              obj.exitCode = reader.sint32()
              break
            }
            case 5: {
              obj.frames = reader.uint32()
              break
            }
            case 6: {
              obj.durationMs = reader.uint32()
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
                field: `${prefix}.ok`,
                value: reader.bool()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.error`,
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
                field: `${prefix}.exitCode`,
                value: reader.sint32()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.frames`,
                value: reader.uint32()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.durationMs`,
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

  export interface RunResultOkFieldEvent {
    field: '$.ok'
    value: boolean
  }

  export interface RunResultErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export interface RunResultMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface RunResultExitCodeFieldEvent {
    field: '$.exitCode'
    value: number
  }

  export interface RunResultFramesFieldEvent {
    field: '$.frames'
    value: number
  }

  export interface RunResultDurationMsFieldEvent {
    field: '$.durationMs'
    value: number
  }

  export function encode (obj: Partial<RunResult>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, RunResult.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunResult>): RunResult {
    return decodeMessage(buf, RunResult.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<RunResult>): Generator<RunResultOkFieldEvent | RunResultErrorFieldEvent | RunResultMessageFieldEvent | RunResultExitCodeFieldEvent | RunResultFramesFieldEvent | RunResultDurationMsFieldEvent> {
    return streamMessage(buf, RunResult.codec(), opts)
  }
}
