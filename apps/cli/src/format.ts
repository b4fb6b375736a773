import { styleText } from 'node:util'

/** Last characters of a peer id: enough to tell peers of one mesh apart */
export function shortId (peerId: string, length = 8): string {
  return peerId.length <= length ? peerId : '…' + peerId.slice(-length)
}

export function ago (ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 > 0 ? ` ${s % 60}s` : ''} ago`
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m ago`
}

export function clockTime (ms: number): string {
  const s = Math.floor(ms / 1000)
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`
}

export function rtt (ms?: number): string {
  return ms == null ? '-' : ms < 10 && !Number.isInteger(ms) ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`
}

type Color = Parameters<typeof styleText>[0]

/** Colours only when the stream is a terminal that wants them */
export function paint (color: Color, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return stream.isTTY === true && process.env.NO_COLOR == null ? styleText(color, text) : text
}

const STATUS_COLORS: Record<string, Color> = { connected: 'green', alive: 'cyan', stale: 'yellow', gone: 'red' }

export function status (text: string, stream?: NodeJS.WriteStream): string {
  return paint(STATUS_COLORS[text] ?? 'white', text, stream)
}

/** Width of text as shown, without ANSI escapes */
function visible (text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').length
}

/** Renders rows as aligned columns with a header line */
export function table (header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(visible(h), ...rows.map(r => visible(r[i] ?? ''))))
  const line = (cells: string[]): string => cells.map((c, i) => c + ' '.repeat(widths[i] - visible(c))).join('  ').trimEnd()
  return [line(header), line(widths.map(w => '─'.repeat(w))), ...rows.map(line)].join('\n')
}
