/**
 * A growing list of 32-bit integers in a typed array. Past a few values its
 * memory lies outside the JavaScript heap, so the garbage collector neither
 * copies nor scans it: posting lists that grow with every chunk written
 * would otherwise pass through the young generation at each growth and be
 * copied out of it, which is most of what a collection of the young
 * generation costs during an import.
 */
export class IntList {
  values: Int32Array<ArrayBuffer> = new Int32Array(4)
  length = 0

  push (value: number): void {
    if (this.length === this.values.length) this.grow()
    this.values[this.length++] = value
  }

  /**
   * The values, as a view of the list's memory (no copy): values pushed
   * later are not in it, and it stays valid when the list grows
   */
  view (): Int32Array<ArrayBuffer> {
    return this.values.subarray(0, this.length)
  }

  /** The values of several lists, one after the other: a view of the only one, or a copy of all */
  static concat (lists: IntList[]): Int32Array<ArrayBuffer> {
    if (lists.length === 1) return lists[0].view()
    const out = new Int32Array(lists.reduce((n, list) => n + list.length, 0))
    let at = 0
    for (const list of lists) {
      out.set(list.view(), at)
      at += list.length
    }
    return out
  }

  private grow (): void {
    this.values = grown(this.values, this.values.length * 2)
  }
}

/**
 * Many growing lists of 32-bit integers in one typed array, with no object
 * per list: a list is a region of the arena (start, length, capacity). A
 * full list moves to a region twice its size at the arena's end (or grows
 * in place when it is the last); when the arena is full, the lists' regions
 * are copied into a new one, leaving the moved-out ones behind. Where most
 * lists hold a value or two (the posting lists of words seen once: ids,
 * numbers, names), an `IntList` each would be three heap objects per word
 * for the garbage collector to copy out of the young generation.
 */
export class IntLists {
  private data = new Int32Array(1 << 12)
  private used = 0
  private starts = new Int32Array(256)
  private lengths = new Int32Array(256)
  private capacities = new Int32Array(256)
  /** Lists made */
  size = 0

  /** Makes an empty list; returns its id */
  add (): number {
    const id = this.size++
    if (id === this.starts.length) {
      this.starts = grown(this.starts, id * 2)
      this.lengths = grown(this.lengths, id * 2)
      this.capacities = grown(this.capacities, id * 2)
    }
    this.starts[id] = this.used
    this.lengths[id] = 0
    this.capacities[id] = 0
    return id
  }

  length (id: number): number {
    return this.lengths[id]
  }

  push (id: number, value: number): void {
    if (this.lengths[id] === this.capacities[id]) this.grow(id)
    this.data[this.starts[id] + this.lengths[id]++] = value
  }

  /** The values of a list, as a view of the arena: valid until the next `push` to any list */
  view (id: number): Int32Array<ArrayBuffer> {
    const start = this.starts[id]
    return this.data.subarray(start, start + this.lengths[id])
  }

  private grow (id: number): void {
    const capacity = Math.max(2, this.capacities[id] * 2)
    const start = this.starts[id]
    if (start + this.capacities[id] === this.used && start + capacity <= this.data.length) {
      // the last region grows where it is
      this.used = start + capacity
    } else {
      this.reserve(capacity)
      this.data.copyWithin(this.used, this.starts[id], this.starts[id] + this.lengths[id])
      this.starts[id] = this.used
      this.used += capacity
    }
    this.capacities[id] = capacity
  }

  /** Room for `values` more at the end: the live regions copied into an arena with a third or more free */
  private reserve (values: number): void {
    if (this.used + values <= this.data.length) return
    let live = values
    for (let id = 0; id < this.size; id++) live += this.capacities[id]
    let size = this.data.length
    while (size < live * 1.5) size *= 2
    const data = new Int32Array(size)
    let at = 0
    for (let id = 0; id < this.size; id++) {
      const start = this.starts[id]
      data.set(this.data.subarray(start, start + this.lengths[id]), at)
      this.starts[id] = at
      at += this.capacities[id]
    }
    this.data = data
    this.used = at
  }
}

/** Chunk ordinals, as a plain array or a view of a posting list */
export type Ordinals = number[] | Int32Array<ArrayBuffer>

type Growable = Uint8Array<ArrayBuffer> | Uint16Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer> | Float64Array<ArrayBuffer>

/** A copy of a typed array, of the same type, with room for `capacity` values */
export function grown<T extends Growable> (array: T, capacity: number): T {
  const copy = new (array.constructor as new (length: number) => T)(capacity)
  copy.set(array)
  return copy
}
