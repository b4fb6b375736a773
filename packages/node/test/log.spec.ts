import assert from 'node:assert/strict'
import { describe, it } from 'vitest'
import { createNodeLog } from '../src/log.js'
import type { LogLevel, NodeLog, NodeLogInit } from '../src/log.js'

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

function collect (init: Omit<NodeLogInit, 'write'> = {}): { log: NodeLog, lines: string[] } {
  const lines: string[] = []
  const log = createNodeLog({ ...init, write: line => { lines.push(line) } })
  return { log, lines }
}

function logEveryLevel (log: NodeLog): void {
  log.error('e')
  log.warn('w')
  log.info('i')
  log.debug('d')
}

function levelsWritten (level?: LogLevel): string[] {
  const { log, lines } = collect({ level, format: 'json' })
  logEveryLevel(log)
  return lines.map(line => JSON.parse(line).level)
}

describe('createNodeLog', () => {
  it('writes messages at or above the threshold level only', () => {
    assert.deepEqual(levelsWritten('error'), ['error'])
    assert.deepEqual(levelsWritten('warn'), ['error', 'warn'])
    assert.deepEqual(levelsWritten('info'), ['error', 'warn', 'info'])
    assert.deepEqual(levelsWritten('debug'), ['error', 'warn', 'info', 'debug'])
  })

  it('uses the info level by default', () => {
    assert.deepEqual(levelsWritten(), ['error', 'warn', 'info'])
  })

  it('writes one parseable JSON object per line with time, level, msg and fields', () => {
    const { log, lines } = collect({ format: 'json' })
    log.warn('peer is stale', { peer: 'QmPeer', missed: 3, direct: false, note: 'two words', gone: undefined })

    assert.equal(lines.length, 1)
    assert.ok(!lines[0].includes('\n'))
    const entry = JSON.parse(lines[0])
    assert.match(entry.time, ISO_TIME)
    assert.ok(!Number.isNaN(Date.parse(entry.time)))
    assert.deepEqual({ ...entry, time: undefined }, {
      time: undefined,
      level: 'warn',
      msg: 'peer is stale',
      peer: 'QmPeer',
      missed: 3,
      direct: false,
      note: 'two words'
    })
    assert.equal('gone' in entry, false)
    assert.equal('node' in entry, false)
  })

  it('adds the node name to JSON lines when one is given', () => {
    const { log, lines } = collect({ format: 'json', name: 'alpha' })
    log.info('hello')

    const entry = JSON.parse(lines[0])
    assert.equal(entry.node, 'alpha')
    assert.equal(entry.msg, 'hello')
  })

  it('keeps a message with quotes and newlines on one JSON line', () => {
    const { log, lines } = collect({ format: 'json' })
    log.error('bad "thing"\nhappened', { detail: 'a\nb' })

    assert.equal(lines.length, 1)
    assert.ok(!lines[0].includes('\n'))
    const entry = JSON.parse(lines[0])
    assert.equal(entry.msg, 'bad "thing"\nhappened')
    assert.equal(entry.detail, 'a\nb')
  })

  it('keeps time, level and msg of a JSON line when a field has the same name', () => {
    const { log, lines } = collect({ format: 'json' })
    log.error('dial failed', { level: 'debug', msg: 'overwritten', time: 'never' })

    const entry = JSON.parse(lines[0])
    assert.equal(entry.level, 'error')
    assert.equal(entry.msg, 'dial failed')
    assert.match(entry.time, ISO_TIME)
  })

  it('writes text lines with time, padded level, message and key=value fields', () => {
    const { log, lines } = collect({ format: 'text' })
    log.info('listening', { port: 4001, ws: true, addr: '/ip4/127.0.0.1/tcp/4001' })

    assert.equal(lines.length, 1)
    const [time, rest] = [lines[0].slice(0, 24), lines[0].slice(24)]
    assert.match(time, ISO_TIME)
    assert.equal(rest, ' info  listening port=4001 ws=true addr=/ip4/127.0.0.1/tcp/4001')
  })

  it('quotes text values that contain spaces and leaves out undefined ones', () => {
    const { log, lines } = collect({ format: 'text' })
    log.warn('dial failed', { peer: 'QmPeer', error: 'connection refused', skipped: undefined, tab: 'a\tb' })

    assert.ok(lines[0].endsWith(' dial failed peer=QmPeer error="connection refused" tab="a\\tb"'), lines[0])
    assert.ok(!lines[0].includes('skipped'))
  })

  it('prefixes text lines with the node name', () => {
    const { log, lines } = collect({ name: 'alpha' })
    log.error('boom')

    assert.match(lines[0], /^\S+ error \[alpha\] boom$/)
  })

  it('writes text by default and no trailing space without fields', () => {
    const { log, lines } = collect()
    log.info('started')

    assert.match(lines[0], /^\S+ info {2}started$/)
    assert.throws(() => JSON.parse(lines[0]))
  })
})
