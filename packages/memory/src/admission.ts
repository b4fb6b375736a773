import { EntryKind } from '@overmind/protocols'
import { CHECK_IN_THREADS, badSignature, checkEntries, checkEnvelope, checkSignature, notCanonical, openEnvelope, zoneName } from './entry.js'
import { EntryRejectedError } from './errors.js'
import type { CheckedEntry, SignatureOptions, VerifiedEntry, ZoneName } from './entry.js'
import type { EntryLog } from './entry-log.js'
import type { RejectReason } from './errors.js'
import type { MemoryIndex } from './memory-index.js'
import type { WriteQueue } from './write-queue.js'
import type { AbortOptions, Logger, PeerId } from '@libp2p/interface'
import type { Zone } from '@overmind/protocols'

/** Entries kept as evidence against one author, at most */
const MAX_EVIDENCE = 64

export interface IngestOptions extends AbortOptions {
  /**
   * The peer that published the entries itself (gossip carries only an
   * author's own entries): an entry of another author is rejected
   */
  publisher?: PeerId
}

export interface CheckOptions extends IngestOptions, SignatureOptions {}

/** What `check` says of an entry from a peer */
export type Admission =
  | { verdict: 'accept', entry: VerifiedEntry }
  /** Valid, but its author signed another entry with the same seq, which this node holds */
  | { verdict: 'equivocation', entry: VerifiedEntry, message: string }
  | { verdict: 'duplicate', id: string }
  | { verdict: 'reject', reason: RejectReason, message: string }

/** Two different entries one author signed with the same seq of the same log */
export interface Equivocation {
  author: string
  zone: ZoneName
  seq: number
  /** The entry this node holds (folded) */
  held?: string
  /** The other one (kept as evidence) */
  other: string
}

export interface AdmissionsInit {
  /** Zones whose entries are accepted from peers */
  replicatedZones: readonly Zone[]
  /** What is held (duplicates), and the authors distrusted */
  index: MemoryIndex
  /** What is on its way to the index (duplicates too), and when the disk has caught up */
  writes: WriteQueue
  /** The logs' heads (seqs taken), and where evidence is kept */
  entries: EntryLog
  log: Logger
  /** An author signed two entries with one seq (told once per entry kept as evidence) */
  equivocated(equivocation: Equivocation): void
}

/** An entry that failed its checks, as an admission */
function rejection (err: any): Admission {
  if (err instanceof EntryRejectedError) return { verdict: 'reject', reason: err.reason, message: err.message }
  return { verdict: 'reject', reason: 'malformed', message: err.message }
}

/**
 * The store's checks of entries from peers, with no I/O and no embedding:
 * what a topic validator or a sync reader waits for before it answers. It
 * also keeps the evidence against authors that equivocate.
 */
export class Admissions {
  /** Ids kept as evidence, by author */
  readonly evidence = new Map<string, Set<string>>()
  private readonly init: AdmissionsInit

  constructor (init: AdmissionsInit) {
    this.init = init
  }

  /** Keeps an entry as evidence against its author (read from disk when the store opens, or just caught), and distrusts the author */
  remember (author: string, id: string): void {
    const ids = this.evidence.get(author) ?? new Set()
    ids.add(id)
    this.evidence.set(author, ids)
    this.init.index.distrusted.add(author)
  }

  /** Whether an entry is held or on its way to the index */
  holds (id: string): boolean {
    return this.init.index.holds(id) || this.init.writes.holds(id)
  }

  /**
   * Checks an encoded entry from a peer: size, schema, canonical encoding,
   * author, signature (on libuv's thread pool, or inline when asked) and
   * zone. No I/O and no embedding: a topic validator can wait for this and
   * nothing else. An entry already held or on its way to disk is a
   * duplicate and costs no signature check.
   */
  async check (bytes: Uint8Array, options: CheckOptions = {}): Promise<Admission> {
    const opened = this.open(bytes, options)
    if ('verdict' in opened) return opened
    try {
      return this.admit(await checkSignature(opened, options))
    } catch (err: any) {
      return rejection(err)
    }
  }

  /**
   * `check` for many entries (a sync page, a knowledge batch): from
   * CHECK_IN_THREADS on, the event loop only opens and decodes them, and the
   * worker threads hash, check the encoding and the signature of all of
   * them together
   */
  async checkMany (entries: Uint8Array[], options: CheckOptions = {}): Promise<Admission[]> {
    if (entries.length < CHECK_IN_THREADS) return await Promise.all(entries.map(async bytes => await this.check(bytes, options)))
    const admissions = entries.map((bytes): Admission | CheckedEntry => {
      try {
        return checkEnvelope(openEnvelope(bytes, { hash: false }), { author: options.publisher, canonical: false })
      } catch (err: any) {
        return rejection(err)
      }
    })
    const opened = admissions.filter((a): a is CheckedEntry => !('verdict' in a))
    const checks = await checkEntries(opened)
    const verdicts = new Map(opened.map((entry, i): [CheckedEntry, Admission] => {
      const { id, problem, words } = checks[i]
      entry.id = id
      if (entry.kind === EntryKind.CHUNK) entry.words = words
      if (this.holds(id)) return [entry, { verdict: 'duplicate', id }]
      if (problem === 'not-canonical') return [entry, rejection(notCanonical())]
      if (problem === 'bad-signature') return [entry, rejection(badSignature(entry.author))]
      return [entry, this.admit(entry)]
    }))
    return admissions.map(a => 'verdict' in a ? a : verdicts.get(a) as Admission)
  }

  /** The checks before the signature's: decoding, size, schema, encoding, author; a duplicate goes no further */
  private open (bytes: Uint8Array, options: CheckOptions): Admission | CheckedEntry {
    try {
      const envelope = openEnvelope(bytes)
      if (this.holds(envelope.id)) return { verdict: 'duplicate', id: envelope.id }
      return checkEnvelope(envelope, { author: options.publisher })
    } catch (err: any) {
      return rejection(err)
    }
  }

  /**
   * The checks after the signature's: only replicated zones come from other
   * nodes, and a seq its author already used for another entry is an
   * equivocation (the signature proves the author signed both)
   */
  admit (entry: VerifiedEntry): Admission {
    if (!this.init.replicatedZones.includes(entry.body.zone)) {
      return { verdict: 'reject', reason: 'zone-not-replicated', message: `${zoneName(entry.body.zone)} entries are not accepted from other nodes` }
    }
    if (this.init.entries.heads.has(entry.body.zone, entry.author.toString(), entry.body.seq)) return this.equivocation(entry)
    return { verdict: 'accept', entry }
  }

  /**
   * Records an entry whose author signed another one with the same seq:
   * the author is flagged (its chunks rank lowest, `stats().equivocations`
   * names it) and the entry is kept as evidence, written behind, never
   * folded. The entry held first stays.
   */
  equivocation (entry: VerifiedEntry, held?: string): Admission & { verdict: 'equivocation' } {
    const author = entry.author.toString()
    const { zone, seq } = entry.body
    const message = `${author} signed two different entries with seq ${seq} of its ${zoneName(zone)} log`
    const ids = this.evidence.get(author) ?? new Set<string>()
    if (!ids.has(entry.id) && ids.size < MAX_EVIDENCE) {
      if (ids.size === 0) this.init.log.error('%s: its entries rank lowest from now on; the second entry is kept as evidence (%s)', message, entry.id)
      this.remember(author, entry.id)
      void this.init.entries.writeEvidence(entry).catch((err: Error) => { this.init.log.error('could not keep evidence of %s: %s', entry.id, err.message) })
      // the entry held may still be on its way to disk
      const lookup = async (): Promise<string | undefined> => {
        await this.init.writes.idle()
        return await this.init.entries.idAt(zone, author, seq)
      }
      void (held != null ? Promise.resolve(held) : lookup()).catch(() => undefined).then(id => {
        this.init.equivocated({ author, zone: zoneName(zone), seq: Number(seq), held: id, other: entry.id })
      })
    }
    return { verdict: 'equivocation', entry, message }
  }
}
