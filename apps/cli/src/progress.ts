export interface ProgressBar {
  update(current: number): void
  done(): void
}

export interface ProgressInit {
  /** Unknown totals show a live counter instead of a bar */
  total?: number
  label: string
  stream?: NodeJS.WriteStream
}

/**
 * A progress bar on a terminal (stderr by default), redrawn at most ten
 * times a second; elsewhere a line every few seconds, so logs stay short.
 */
export function progressBar (init: ProgressInit): ProgressBar {
  const stream = init.stream ?? process.stderr
  const tty = stream.isTTY === true
  const started = Date.now()
  let drawnAt = 0
  let current = 0
  const render = (): string => {
    const seconds = (Date.now() - started) / 1000
    const rate = seconds > 0 ? Math.round(current / seconds) : 0
    if (init.total == null || init.total === 0) return `${init.label} ${current} (${rate}/s)`
    const ratio = Math.min(1, current / init.total)
    const width = 30
    const filled = Math.round(ratio * width)
    return `${init.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${current}/${init.total} ${(ratio * 100).toFixed(0)}% (${rate}/s)`
  }
  const draw = (force: boolean): void => {
    const now = Date.now()
    if (!force && now - drawnAt < (tty ? 100 : 5_000)) return
    drawnAt = now
    stream.write(tty ? `\r\x1b[2K${render()}` : `${render()}\n`)
  }
  return {
    update (value: number) {
      current = value
      draw(false)
    },
    done () {
      draw(true)
      if (tty) stream.write('\n')
    }
  }
}
