export type LogLevel = 'error' | 'warn' | 'info' | 'debug'

const LEVELS: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 }

export type LogFields = Record<string, string | number | boolean | undefined>

/** Operator-facing log lines, written to stderr (stdout stays free for command output) */
export interface NodeLog {
  error(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  debug(msg: string, fields?: LogFields): void
}

export interface NodeLogInit {
  level?: LogLevel
  format?: 'text' | 'json'
  write?(line: string): void
  /** Prefix for text lines, e.g. a node's short name in the demo */
  name?: string
}

export function createNodeLog (init: NodeLogInit = {}): NodeLog {
  const threshold = LEVELS[init.level ?? 'info']
  const write = init.write ?? ((line: string) => { process.stderr.write(line + '\n') })
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}): void => {
    if (LEVELS[level] > threshold) {
      return
    }
    const time = new Date().toISOString()
    if (init.format === 'json') {
      // the line's own keys win over fields of the same name
      write(JSON.stringify({ ...fields, time, level, ...(init.name != null ? { node: init.name } : {}), msg }))
      return
    }
    const extra = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
      .join(' ')
    write(`${time} ${level.padEnd(5)} ${init.name != null ? `[${init.name}] ` : ''}${msg}${extra.length > 0 ? ' ' + extra : ''}`)
  }
  return {
    error: (msg, fields) => { emit('error', msg, fields) },
    warn: (msg, fields) => { emit('warn', msg, fields) },
    info: (msg, fields) => { emit('info', msg, fields) },
    debug: (msg, fields) => { emit('debug', msg, fields) }
  }
}
