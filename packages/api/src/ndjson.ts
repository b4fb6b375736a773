import { PayloadTooLargeError } from './errors.js'

/**
 * The lines of a byte stream, decoded as UTF-8 across chunk boundaries. With
 * `maxLength`, a line that grows longer throws before the rest is buffered.
 */
export async function * splitLines (source: AsyncIterable<Uint8Array>, options: { maxLength?: number } = {}): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let rest = ''
  let count = 0
  for await (const part of source) {
    rest += decoder.decode(part, { stream: true })
    const lines = rest.split('\n')
    rest = lines.pop() ?? ''
    if (options.maxLength != null && rest.length > options.maxLength) {
      throw new PayloadTooLargeError(`line ${count + lines.length + 1} is longer than ${options.maxLength} bytes`)
    }
    count += lines.length
    yield * lines
  }
  rest += decoder.decode()
  if (rest !== '') yield rest
}
