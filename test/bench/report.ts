// Tables and bar charts the benchmarks print

export function table (title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join('  ')
  process.stdout.write(['', title, line(header), line(widths.map(w => '-'.repeat(w))), ...rows.map(line), ''].join('\n'))
}

export function chart (title: string, bars: Array<[string, number]>, unit: string): void {
  const max = Math.max(...bars.map(b => b[1]), 1)
  const width = Math.max(...bars.map(b => b[0].length))
  process.stdout.write(['', title, ...bars.map(([label, value]) => `${label.padEnd(width)} │${'█'.repeat(Math.max(1, Math.round(value / max * 40)))} ${fmt(value)} ${unit}`), '', ''].join('\n'))
}

export function fmt (n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2)
}

export function percentile (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p / 100 * sorted.length))]
}

/** CPU time of the whole process (all threads) in ms, since `since` (a `process.cpuUsage()`) when given */
export function cpuMs (since?: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since)
  return (user + system) / 1000
}
