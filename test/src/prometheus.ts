/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4):
 * it throws on the first line that breaks the format rather than skipping it.
 *
 * Checked: `# HELP` and `# TYPE` syntax, at most one of each per family and
 * before its samples, the samples of a family in one group, metric and label
 * names, quoted and escaped label values, float values (`NaN`, `+Inf` and
 * `Infinity` in any case, as Prometheus reads them), optional integer timestamps, label sets unique in a family, the
 * suffixes a histogram or summary may use, and histogram buckets: an `le`
 * label, cumulative counts, a `+Inf` bucket equal to `_count`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped'

export interface Sample {
  /** The sample's own name: `x_bucket`, `x_sum` or `x_count` for a histogram `x` */
  name: string
  labels: Record<string, string>
  value: number
  timestamp?: number
}

export interface MetricFamily {
  name: string
  help?: string
  type: MetricType
  samples: Sample[]
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped'])
/** As Prometheus reads values (Go's ParseFloat): `NaN`, `Inf` and `Infinity` in any case */
const FLOAT = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i
const TIMESTAMP = /^-?\d+$/

export class ExpositionFormatError extends Error {
  static override name = 'ExpositionFormatError'
  override name = 'ExpositionFormatError'
  constructor (line: number, message: string, text: string) {
    super(`line ${line}: ${message}: ${JSON.stringify(text)}`)
  }
}

/** Parses a whole scrape into its metric families, by name */
export function parsePrometheusText (text: string): Map<string, MetricFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new ExpositionFormatError(0, 'the last line does not end with a line feed', text.slice(-40))
  const families = new Map<string, MetricFamily>()
  // families whose samples are over: another family's sample came after them
  const closed = new Set<string>()
  const typed = new Set<string>()
  let current: MetricFamily | undefined
  const lines = text.split('\n').slice(0, -1)
  lines.forEach((line, index) => {
    const n = index + 1
    const fail = (message: string): never => { throw new ExpositionFormatError(n, message, line) }
    const family = (name: string): MetricFamily => {
      if (!METRIC_NAME.test(name)) fail(`"${name}" is not a metric name`)
      let found = families.get(name)
      if (found == null) {
        found = { name, type: 'untyped', samples: [] }
        families.set(name, found)
      }
      return found
    }
    if (line.trim() === '') return
    if (line.startsWith('#')) {
      const help = /^#\s+HELP\s+(\S+)(?:\s(.*))?$/.exec(line)
      const type = /^#\s+TYPE\s+(\S+)\s+(\S+)\s*$/.exec(line)
      if (/^#\s+HELP\b/.test(line)) {
        if (help == null) fail('malformed HELP line')
        const f = family(help![1])
        if (f.help != null) fail(`a second HELP for ${f.name}`)
        f.help = unescape(help![2] ?? '', false, fail)
      } else if (/^#\s+TYPE\b/.test(line)) {
        if (type == null) fail('malformed TYPE line')
        const f = family(type![1])
        if (!TYPES.has(type![2] as MetricType)) fail(`unknown type "${type![2]}"`)
        if (typed.has(f.name)) fail(`a second TYPE for ${f.name}`)
        if (f.samples.length > 0) fail(`TYPE of ${f.name} after its samples`)
        f.type = type![2] as MetricType
        typed.add(f.name)
      }
      // any other comment is allowed and means nothing
      return
    }
    const sample = parseSample(line, fail)
    const f = families.get(familyOf(sample.name, families)) ?? family(sample.name)
    if (closed.has(f.name)) fail(`samples of ${f.name} are not in one group`)
    if (current != null && current !== f) closed.add(current.name)
    current = f
    checkSuffix(f, sample, fail)
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`
    if (f.samples.some(s => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}` === key)) fail('a second sample with the same name and labels')
    f.samples.push(sample)
  })
  for (const f of families.values()) {
    if (f.type === 'histogram') checkHistogram(f)
  }
  return families
}

/** The family a sample name belongs to: itself, or a histogram or summary it is a suffix of */
function familyOf (name: string, families: Map<string, MetricFamily>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue
    const base = families.get(name.slice(0, -suffix.length))
    if (base != null && (base.type === 'histogram' || (base.type === 'summary' && suffix !== '_bucket'))) return base.name
  }
  return name
}

function checkSuffix (f: MetricFamily, sample: Sample, fail: (message: string) => never): void {
  if (f.type === 'histogram') {
    if (![`${f.name}_bucket`, `${f.name}_sum`, `${f.name}_count`].includes(sample.name)) fail(`${sample.name} is not a sample of histogram ${f.name}`)
    if (sample.name.endsWith('_bucket') && sample.labels.le == null) fail('a bucket without an le label')
  } else if (f.type === 'summary') {
    if (sample.name === f.name && sample.labels.quantile == null) fail('a summary sample without a quantile label')
  } else if (sample.name !== f.name) {
    fail(`${sample.name} in ${f.type} ${f.name}`)
  }
}

/** Buckets of each label set count up to `+Inf`, which equals `_count` */
function checkHistogram (f: MetricFamily): void {
  const series = new Map<string, { buckets: Array<[number, number]>, count?: number }>()
  for (const s of f.samples) {
    const { le, ...rest } = s.labels
    const key = JSON.stringify(Object.entries(rest).sort())
    const entry = series.get(key) ?? { buckets: [] }
    series.set(key, entry)
    if (s.name.endsWith('_bucket')) entry.buckets.push([FLOAT.test(le) ? parseFloatValue(le) : NaN, s.value])
    if (s.name.endsWith('_count')) entry.count = s.value
  }
  for (const [key, { buckets, count }] of series) {
    const sorted = [...buckets].sort((a, b) => a[0] - b[0])
    sorted.forEach(([le, value], i) => {
      if (Number.isNaN(le)) throw new ExpositionFormatError(0, `${f.name}: an le that is not a number`, key)
      if (i > 0 && value < sorted[i - 1][1]) throw new ExpositionFormatError(0, `${f.name}: bucket le=${le} holds fewer than the one before`, key)
    })
    const inf = sorted.at(-1)
    if (inf == null || inf[0] !== Infinity) throw new ExpositionFormatError(0, `${f.name}: no +Inf bucket`, key)
    if (count == null || count !== inf[1]) throw new ExpositionFormatError(0, `${f.name}: _count ${count} differs from the +Inf bucket ${inf[1]}`, key)
  }
}

function parseSample (line: string, fail: (message: string) => never): Sample {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0] ?? fail('a sample line must start with a metric name')
  let i = name.length
  const labels: Record<string, string> = {}
  if (line[i] === '{') {
    i++
    while (true) {
      while (line[i] === ' ') i++
      if (line[i] === '}') {
        i++
        break
      }
      const label = /^[^=\s]+/.exec(line.slice(i))?.[0] ?? fail('a label name is missing')
      if (!LABEL_NAME.test(label)) fail(`"${label}" is not a label name`)
      if (label in labels) fail(`label ${label} twice`)
      i += label.length
      if (line[i] !== '=' || line[i + 1] !== '"') fail(`label ${label} has no quoted value`)
      i += 2
      let raw = ''
      while (line[i] !== '"') {
        if (i >= line.length) fail(`the value of label ${label} is not closed`)
        if (line[i] === '\\') raw += line[i++]
        raw += line[i++]
      }
      i++
      labels[label] = unescape(raw, true, fail)
      if (line[i] === ',') i++
      else if (line[i] !== '}') fail('labels must be separated by commas')
    }
  }
  if (line[i] !== ' ' && line[i] !== '\t') fail('no space before the value')
  const rest = line.slice(i).trim().split(/[ \t]+/)
  if (rest.length > 2) fail('more than a value and a timestamp after the labels')
  if (!FLOAT.test(rest[0])) fail(`"${rest[0]}" is not a float`)
  const value = parseFloatValue(rest[0])
  if (rest[1] != null && !TIMESTAMP.test(rest[1])) fail(`"${rest[1]}" is not a timestamp`)
  return { name, labels, value, ...(rest[1] != null ? { timestamp: Number(rest[1]) } : {}) }
}

function parseFloatValue (text: string): number {
  if (/nan$/i.test(text)) return NaN
  if (/inf(inity)?$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity
  return Number(text)
}

/** `\\` and `\n` everywhere, `\"` in label values; any other escape is an error */
function unescape (raw: string, quoted: boolean, fail: (message: string) => never): string {
  return raw.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\'
    if (c === 'n') return '\n'
    if (c === '"' && quoted) return '"'
    return fail(`unknown escape \\${c}`)
  })
}

/** The samples of `name` (a sample name, e.g. `x_count`) whose labels include `labels` */
export function samples (families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): Sample[] {
  const family = families.get(familyOf(name, families))
  return (family?.samples ?? []).filter(s => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
}

/** The sum of the values of the samples `samples()` finds */
export function total (families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number {
  return samples(families, name, labels).reduce((sum, s) => sum + s.value, 0)
}
