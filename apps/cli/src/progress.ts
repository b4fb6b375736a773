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

/** "1:05", "12 s", "2 h 03 m": a duration as a person reads an ETA */
export function formatEta (seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--'
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`
}

/**
 * A progress bar on a terminal (stderr by default), drawn at once, redrawn
 * on each update (at most ten times a second) and every second in between,
 * with the count, the rate and the time left; elsewhere a line every few
 * seconds, so logs stay short.
 */
export function progressBar (init: ProgressInit): ProgressBar {
  const stream = init.stream ?? process.stderr
  const tty = stream.isTTY === true
  const started = Date.now()
  let drawnAt = 0
  let current = 0
  const render = (): string => {
    const seconds = (Date.now() - started) / 1000
    const rate = seconds > 0 ? current / seconds : 0
    const perSecond = `${Math.round(rate).toLocaleString('en-US')}/s`
    if (init.total == null || init.total === 0) return `${init.label} ${current.toLocaleString('en-US')} (${perSecond}, ${formatEta(seconds)} elapsed)`
    const ratio = Math.min(1, current / init.total)
    const width = 30
    const filled = Math.round(ratio * width)
    const eta = current >= init.total ? 'done' : current === 0 ? 'ETA --' : `ETA ${formatEta((init.total - current) / rate)}`
    return `${init.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${current.toLocaleString('en-US')}/${init.total.toLocaleString('en-US')} ${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}% (${perSecond}, ${eta})`
  }
  const draw = (force: boolean): void => {
    const now = Date.now()
    if (!force && now - drawnAt < (tty ? 100 : 5_000)) return
    drawnAt = now
    stream.write(tty ? `\r\x1b[2K${render()}` : `${render()}\n`)
  }
  // the first line at once; on a terminal, the rate and time left move even between updates
  draw(true)
  const timer = tty ? setInterval(() => { draw(true) }, 1_000) : undefined
  timer?.unref()
  return {
    update (value: number) {
      current = value
      draw(false)
    },
    done () {
      clearInterval(timer)
      draw(true)
      if (tty) stream.write('\n')
    }
  }
}
