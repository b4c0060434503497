/**
 * One-shot file transfers (`weft send` / `weft receive`, like magic-wormhole inside a weft
 * network). The sender's daemon holds an offer under a short code `NAMEPLATE-WORD-WORD`; the
 * receiver's daemon asks the online members for the nameplate and runs SPAKE2 with the code
 * (`/weft/send/1.0.0`), so a wrong code fails the exchange and burns the offer (one online guess,
 * nothing to try offline). With `--to`, the offer goes straight to one member's daemon, which
 * fetches into its inbox. Files are fetched one stream each from an offset, so an interrupted
 * transfer resumes from the partial file, and skips the files it had finished (transfer-ledger.ts).
 *
 * Protocol 2 (no hashing before the offer, so `weft send` answers at once): the offer lists
 * names (relative, `/`-separated for directories) and sizes only. A fetch answer announces
 * `bytes`; exactly that many raw bytes follow, then a 33-byte trailer: a status byte (0 = the
 * file is as offered, 1 = it changed on the sender while offered or sent) and the SHA-256 of the
 * whole file, which the sender computes while reading it. The receiver hashes what it writes
 * (plus its partial prefix on resume), writes to `.NAME.weft-partial`, and renames into place
 * only when the hashes match; otherwise it deletes the partial file. It then answers a verdict
 * frame `{ ok, error? }` so the sender reports the same outcome.
 */
import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { z } from 'zod'
import { WeftError, toWeftError } from '../../core/errors.js'
import type { DeviceId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import { FramedStream } from '../../net/framed.js'
import type { Mesh, MeshStream } from '../../net/types.js'
import { Spake2, macEqual } from './spake2.js'
import { codeWords } from './wordlist.js'
import { collectFiles, maxOfferFiles, recordReceived, safeName } from './transfer-files.js'
import { ReceiveLedger } from './transfer-ledger.js'

/** Protocol ID on the mesh. */
export const sendProtocol = '/weft/send/2.0.0'

/** Largest `--text` message. */
export const maxTextBytes = 64 * 1024
const trailerBytes = 33
const frameBytes = 2 * 1024 * 1024

const b64 = z.string().max(200)
const fileEntry = z.object({ name: z.string().min(1).max(1024), size: z.number().int().min(0), text: z.literal(true).optional() }).strict()
const request = z.discriminatedUnion('op', [
  z.object({ op: z.literal('claim'), nameplate: z.number().int(), pake: b64 }).strict(),
  z.object({ op: z.literal('fetch'), nameplate: z.number().int(), token: b64, file: z.number().int().min(0), offset: z.number().int().min(0) }).strict(),
  z.object({ op: z.literal('offer'), nameplate: z.number().int(), token: b64, files: z.array(fileEntry).min(1).max(maxOfferFiles) }).strict()
])
const pakeAnswer = z.object({ pake: b64, confirm: b64 }).strict()
const confirmMessage = z.object({ confirm: b64 }).strict()
const offerMessage = z.object({ files: z.array(fileEntry).min(1).max(maxOfferFiles), token: b64 }).strict()
const fetchAnswer = z.object({ ok: z.literal(true), bytes: z.number().int().min(0) }).strict()
const verdict = z.object({ ok: z.boolean(), error: z.string().max(500).optional() }).strict()

/** A file as offered. */
export type OfferedFile = z.infer<typeof fileEntry>

/** A transfer as the CLI follows it. */
export interface TransferView {
  id: string
  direction: 'send' | 'receive'
  code: string | null
  peer: DeviceId | null
  files: string[]
  bytesTotal: number
  bytesDone: number
  state: 'waiting' | 'transferring' | 'done' | 'error'
  error: string | null
  /** Receiving: bytes already on disk from an interrupted attempt (finished files and partial ones), when it resumed. */
  resumedAt: number | null
  /** A `--text` message, once received (sending: the text sent). */
  text: string | null
}

/** A file in an offer: on disk, or a `--text` message held in memory. */
type SourceFile = OfferedFile & { path: string | null, mtimeMs: number, data: Buffer | null }

interface Offer {
  view: TransferView
  password: string
  files: SourceFile[]
  tokens: Set<string>
  /** Files fully sent, by index. */
  finished: Set<number>
}

/** What transfers need from the daemon. */
export interface TransferContext {
  mesh: Mesh
  isFellow: (device: DeviceId) => boolean
  onlineFellows: () => DeviceId[]
  /** Where `--to` transfers land on the receiving device. */
  inbox: string
  /** The journal of received files (`weft inbox`). */
  journal: string
  log: Logger
}

const fail = (message: string): WeftError => new WeftError('INVALID_ARGUMENT', message)

/** Parses `NAMEPLATE-WORD-WORD`. */
export function parseCode (code: string): { nameplate: number, password: string } {
  const match = /^(\d{1,4})-([a-z]+)-([a-z]+)$/.exec(code.trim().toLowerCase())
  if (match === null || !codeWords.includes(match[2] ?? '') || !codeWords.includes(match[3] ?? '')) throw fail(`"${code}" is not a transfer code (NUMBER-WORD-WORD, as weft send printed it)`)
  return { nameplate: Number(match[1]), password: `${match[2] ?? ''}-${match[3] ?? ''}` }
}

/** Sends and receives one-shot transfers. */
export class Transfers {
  readonly #ctx: TransferContext
  readonly #offers = new Map<number, Offer>()
  readonly #views = new Map<string, TransferView>()
  #next = 1

  constructor (ctx: TransferContext) {
    this.#ctx = ctx
  }

  async start (): Promise<void> {
    await this.#ctx.mesh.handle(sendProtocol, async (stream) => { await this.#serve(stream) }, { maxInboundStreams: 16, maxOutboundStreams: 16, direct: true })
  }

  view (id: string): TransferView {
    const v = this.#views.get(id)
    if (v === undefined) throw new WeftError('NOT_FOUND', `no transfer ${JSON.stringify(id)}`)
    return { ...v }
  }

  list (): TransferView[] {
    return [...this.#views.values()].map((v) => ({ ...v }))
  }

  /** Offers files under a new code (or pushes them to `to`); returns the transfer to follow. */
  async send (paths: string[], to?: DeviceId, text?: string): Promise<TransferView> {
    let files: SourceFile[]
    if (text !== undefined) {
      const data = Buffer.from(text, 'utf8')
      if (data.length > maxTextBytes) throw fail(`the text is over ${maxTextBytes / 1024} KiB; send it as a file`)
      if (paths.length > 0) throw fail('send either files or --text, not both')
      files = [{ name: 'message.txt', size: data.length, text: true, path: null, mtimeMs: 0, data }]
    } else {
      if (paths.length === 0) throw fail('nothing to send')
      files = (await collectFiles(paths)).map((f) => ({ ...f, data: null }))
    }
    let nameplate = randomInt(1, 1000)
    for (let i = 0; this.#offers.has(nameplate) && i < 100; i++) nameplate = randomInt(1, 10_000)
    const password = `${codeWords[randomInt(codeWords.length)] ?? ''}-${codeWords[randomInt(codeWords.length)] ?? ''}`
    const id = String(this.#next++)
    const view: TransferView = { id, direction: 'send', code: to === undefined ? `${nameplate}-${password}` : null, peer: to ?? null, files: files.map((f) => f.name), bytesTotal: files.reduce((n, f) => n + f.size, 0), bytesDone: 0, state: 'waiting', error: null, resumedAt: null, text: text ?? null }
    const offer: Offer = { view, password, files, tokens: new Set(), finished: new Set() }
    this.#offers.set(nameplate, offer)
    this.#views.set(id, view)
    if (to !== undefined) {
      const token = randomBytes(32).toString('base64')
      offer.tokens.add(token)
      const stream = await this.#ctx.mesh.openStream(to, sendProtocol, { signal: AbortSignal.timeout(15_000) })
      const framed = new FramedStream(stream, frameBytes)
      await framed.send({ op: 'offer', nameplate, token, files: files.map(wireEntry) })
      await stream.closeWrite()
    }
    return { ...view }
  }

  /** Receives the files offered under `code` into `dir`; returns the transfer to follow. */
  receive (code: string, dir: string): TransferView {
    const { nameplate, password } = parseCode(code)
    const view: TransferView = { id: String(this.#next++), direction: 'receive', code, peer: null, files: [], bytesTotal: 0, bytesDone: 0, state: 'waiting', error: null, resumedAt: null, text: null }
    this.#views.set(view.id, view)
    void this.#receive(view, nameplate, password, resolve(dir)).catch((err: unknown) => {
      view.state = 'error'
      view.error = toWeftError(err).message
    })
    return { ...view }
  }

  async #receive (view: TransferView, nameplate: number, password: string, dir: string): Promise<void> {
    for (const device of this.#ctx.onlineFellows()) {
      const claimed = await this.#claim(device, nameplate, password)
      if (claimed === undefined) continue
      view.peer = device
      await this.#fetchAll(view, device, nameplate, claimed.token, claimed.files, dir, false, `${device}\n${nameplate}-${password}`)
      return
    }
    throw new WeftError('NOT_FOUND', `no online member holds transfer ${nameplate} (is weft send still running?)`)
  }

  /** Runs the code exchange with `device`; undefined when it has no such nameplate. */
  async #claim (device: DeviceId, nameplate: number, password: string): Promise<{ token: string, files: OfferedFile[] } | undefined> {
    let stream: MeshStream
    try {
      stream = await this.#ctx.mesh.openStream(device, sendProtocol, { signal: AbortSignal.timeout(10_000) })
    } catch {
      return undefined
    }
    const framed = new FramedStream(stream, frameBytes)
    try {
      const pake = new Spake2('A', password, `weft-send ${nameplate}`)
      await framed.send({ op: 'claim', nameplate, pake: Buffer.from(pake.message).toString('base64') })
      const first = await framed.expect({ signal: AbortSignal.timeout(15_000) })
      if ((first as { unknown?: boolean }).unknown === true) return undefined
      const answer = pakeAnswer.parse(first)
      const keys = pake.finish(Buffer.from(answer.pake, 'base64'))
      if (!macEqual(keys.theirs, Buffer.from(answer.confirm, 'base64'))) throw new WeftError('INVITE_REJECTED', 'wrong code: the sender did not confirm it (the code is now void; ask for a new one)')
      await framed.send({ confirm: keys.mine.toString('base64') })
      const offer = offerMessage.parse(await framed.expect({ signal: AbortSignal.timeout(15_000) }))
      const token = createHmac('sha256', keys.key).update(offer.token).digest('base64')
      return { token, files: offer.files.map((f) => ({ ...f, name: safeName(f.name) })) }
    } finally {
      stream.abort(new Error('done'))
    }
  }

  /**
   * Fetches every offered file into `dir` (or the inbox). `identity` names this receive across
   * attempts (sender and code, or sender and token): files an earlier attempt finished are
   * skipped (transfer-ledger.ts), not fetched again.
   */
  async #fetchAll (view: TransferView, device: DeviceId, nameplate: number, token: string, files: OfferedFile[], dir: string, toInbox: boolean, identity: string): Promise<void> {
    await mkdir(dir, { recursive: true })
    view.files = files.map((f) => f.name)
    view.bytesTotal = files.reduce((n, f) => n + f.size, 0)
    view.state = 'transferring'
    const ledger = await ReceiveLedger.open(dir, identity, files)
    for (const [index, file] of files.entries()) {
      if (file.text === true && file.size > maxTextBytes) throw new WeftError('PROTOCOL_ERROR', 'the offered text is too large')
      const keepText = file.text === true && !toInbox
      if (!keepText && await ledger.finished(index, file.size) !== undefined) {
        // Arrived in an earlier attempt (and recorded in the inbox then): nothing to fetch.
        view.bytesDone += file.size
        view.resumedAt = (view.resumedAt ?? 0) + file.size
        continue
      }
      const target = keepText ? null : await this.#fetchFile(view, device, nameplate, token, index, file, dir)
      if (target !== null) await ledger.add(index, target, file.size)
      if (keepText) view.text = (await this.#fetchText(view, device, nameplate, token, index, file)).toString('utf8')
      const text = file.text !== true ? undefined : target !== null ? await readFile(target, 'utf8') : view.text ?? undefined
      await recordReceived(this.#ctx.journal, { name: file.name, size: file.size, from: device, at: new Date().toISOString(), path: target, ...(text !== undefined ? { text } : {}) })
        .catch((err: unknown) => { this.#ctx.log.warn({ err: toWeftError(err).message }, 'could not record a received file in the inbox journal') })
    }
    await ledger.remove()
    view.state = 'done'
  }

  /** Opens a fetch for file `index` from `offset`; returns the stream after the sender's answer. */
  async #openFetch (device: DeviceId, nameplate: number, token: string, index: number, file: OfferedFile, offset: number): Promise<FramedStream> {
    // File bytes go over a connection of their own when the path allows (no multiplexer in the way).
    const stream = await this.#ctx.mesh.openDirect(device, sendProtocol, { signal: AbortSignal.timeout(15_000) }).catch(() => undefined) ??
      await this.#ctx.mesh.openStream(device, sendProtocol, { signal: AbortSignal.timeout(15_000) })
    const framed = new FramedStream(stream, 4096)
    await framed.send({ op: 'fetch', nameplate, token, file: index, offset })
    const answer = fetchAnswer.safeParse(await framed.expect({ signal: AbortSignal.timeout(15_000) }).catch((err: unknown) => { stream.abort(new Error('done')); throw err }))
    if (!answer.success || answer.data.bytes !== file.size - offset) {
      stream.abort(new Error('done'))
      throw new WeftError('PROTOCOL_ERROR', `${file.name}: the sender refused or changed the file`)
    }
    return framed
  }

  /**
   * Reads the body and trailer of a fetch: `sink` gets each body chunk at its position.
   * Returns the trailer, or throws when the stream ended early (the partial file stays to resume).
   */
  async #readBody (framed: FramedStream, file: OfferedFile, offset: number, sink: (chunk: Buffer, position: number) => Promise<void> | void): Promise<{ changed: boolean, digest: Buffer }> {
    let position = offset
    const trailer: Buffer[] = []
    let trailerLength = 0
    for await (const chunk of framed.rest()) {
      let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      if (position < file.size) {
        const take = Math.min(buf.length, file.size - position)
        await sink(buf.subarray(0, take), position)
        position += take
        buf = buf.subarray(take)
      }
      if (buf.length > 0) {
        trailerLength += buf.length
        if (trailerLength > trailerBytes) throw new WeftError('PROTOCOL_ERROR', `${file.name}: the sender sent too much`)
        trailer.push(Buffer.from(buf))
      }
    }
    if (trailerLength !== trailerBytes) throw new WeftError('PROTOCOL_ERROR', `${file.name}: transfer interrupted at ${position} of ${file.size} bytes (run the same weft receive again to resume)`)
    const t = Buffer.concat(trailer)
    return { changed: t[0] !== 0, digest: t.subarray(1) }
  }

  /** Fetches one file into `dir` through a partial file; returns where it landed. */
  async #fetchFile (view: TransferView, device: DeviceId, nameplate: number, token: string, index: number, file: OfferedFile, dir: string): Promise<string> {
    const final = join(dir, ...file.name.split('/'))
    await mkdir(dirname(final), { recursive: true })
    const partial = join(dirname(final), `.${basename(final)}.weft-partial`)
    const have = Math.min((await stat(partial).catch(() => undefined))?.size ?? 0, file.size)
    const hash = createHash('sha256')
    if (have > 0) {
      for await (const chunk of createReadStream(partial, { start: 0, end: have - 1, highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer)
      view.resumedAt = (view.resumedAt ?? 0) + have
    }
    view.bytesDone += have
    const framed = await this.#openFetch(device, nameplate, token, index, file, have)
    let problem: string | null = null
    try {
      const handle = await open(partial, have > 0 ? 'r+' : 'w', 0o600)
      try {
        await handle.truncate(have)
        const trailer = await this.#readBody(framed, file, have, async (chunk, position) => {
          await handle.write(chunk, 0, chunk.length, position)
          hash.update(chunk)
          view.bytesDone += chunk.length
        })
        await handle.sync()
        if (trailer.changed) problem = `${file.name} changed on the sender while it was being sent; not kept (send it again)`
        else if (!hash.digest().equals(trailer.digest)) problem = `${file.name}: SHA-256 of what arrived does not match the sender's; not kept`
      } finally {
        await handle.close()
      }
      await framed.send(problem === null ? { ok: true } : { ok: false, error: problem }).catch(() => {})
      await framed.stream.closeWrite().catch(() => {})
    } finally {
      framed.stream.abort(new Error('done'))
    }
    if (problem !== null) {
      await rm(partial, { force: true })
      throw new WeftError('PROTOCOL_ERROR', problem)
    }
    let target = final
    for (let i = 1; await stat(target).then(() => true, () => false); i++) target = `${final} (${i})`
    await rename(partial, target)
    return target
  }

  /** Fetches a `--text` message into memory and checks it. */
  async #fetchText (view: TransferView, device: DeviceId, nameplate: number, token: string, index: number, file: OfferedFile): Promise<Buffer> {
    const framed = await this.#openFetch(device, nameplate, token, index, file, 0)
    const parts: Buffer[] = []
    try {
      const trailer = await this.#readBody(framed, file, 0, (chunk) => { parts.push(Buffer.from(chunk)); view.bytesDone += chunk.length })
      const data = Buffer.concat(parts)
      const ok = !trailer.changed && createHash('sha256').update(data).digest().equals(trailer.digest)
      await framed.send(ok ? { ok: true } : { ok: false, error: 'the text arrived damaged' }).catch(() => {})
      await framed.stream.closeWrite().catch(() => {})
      if (!ok) throw new WeftError('PROTOCOL_ERROR', 'the text arrived damaged; not kept')
      return data
    } finally {
      framed.stream.abort(new Error('done'))
    }
  }

  async #serve (stream: MeshStream): Promise<void> {
    const framed = new FramedStream(stream, frameBytes)
    try {
      if (!this.#ctx.isFellow(stream.remote)) throw new WeftError('NOT_MEMBER', 'not a member')
      const req = request.parse(await framed.expect({ signal: AbortSignal.timeout(15_000) }))
      if (req.op === 'offer') {
        await stream.closeWrite()
        const view: TransferView = { id: String(this.#next++), direction: 'receive', code: null, peer: stream.remote, files: [], bytesTotal: 0, bytesDone: 0, state: 'waiting', error: null, resumedAt: null, text: null }
        this.#views.set(view.id, view)
        this.#ctx.log.info({ from: stream.remote, files: req.files.length }, 'receiving files sent to this device')
        const files = req.files.map((f) => ({ ...f, name: safeName(f.name) }))
        await this.#fetchAll(view, stream.remote, req.nameplate, req.token, files, this.#ctx.inbox, true, `${stream.remote}\n${req.nameplate}\n${req.token}`).catch((err: unknown) => {
          view.state = 'error'
          view.error = toWeftError(err).message
        })
        return
      }
      const offer = this.#offers.get(req.nameplate)
      if (offer === undefined || (offer.view.peer !== null && offer.view.peer !== stream.remote)) {
        await framed.send({ unknown: true })
        await stream.closeWrite()
        return
      }
      if (req.op === 'claim') await this.#answerClaim(framed, offer, req.nameplate, req.pake)
      else await this.#answerFetch(framed, offer, req.token, req.file, req.offset)
    } catch (err) {
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  async #answerClaim (framed: FramedStream, offer: Offer, nameplate: number, theirs: string): Promise<void> {
    const pake = new Spake2('B', offer.password, `weft-send ${nameplate}`)
    const keys = pake.finish(Buffer.from(theirs, 'base64'))
    await framed.send({ pake: Buffer.from(pake.message).toString('base64'), confirm: keys.mine.toString('base64') })
    // One guess per code: an exchange that does not end with the right confirmation (wrong
    // code, or a claimer that walks away after seeing ours) voids the offer.
    let confirmed = false
    try {
      const confirm = confirmMessage.parse(await framed.expect({ signal: AbortSignal.timeout(15_000) }))
      confirmed = macEqual(keys.theirs, Buffer.from(confirm.confirm, 'base64'))
    } catch { /* counts as a wrong guess */ }
    if (!confirmed) {
      this.#offers.delete(nameplate)
      offer.view.state = 'error'
      offer.view.error = `someone (${framed.stream.remote.slice(0, 7)}) tried a wrong code; the offer is void`
      this.#ctx.log.warn({ device: framed.stream.remote, nameplate }, 'wrong transfer code; offer voided')
      return
    }
    offer.view.peer = framed.stream.remote
    const secret = randomBytes(32).toString('base64')
    offer.tokens.add(createHmac('sha256', keys.key).update(secret).digest('base64'))
    await framed.send({ files: offer.files.map(wireEntry), token: secret })
    await framed.stream.closeWrite()
  }

  async #answerFetch (framed: FramedStream, offer: Offer, token: string, index: number, offset: number): Promise<void> {
    const file = offer.files[index]
    if (![...offer.tokens].some((t) => macEqual(Buffer.from(t), Buffer.from(token))) || file === undefined || offset > file.size) throw new WeftError('FORBIDDEN', 'bad fetch')
    offer.view.state = 'transferring'
    offer.view.peer = framed.stream.remote
    await framed.send({ ok: true, bytes: file.size - offset })
    const hash = createHash('sha256')
    let changed = false
    if (file.data !== null) {
      hash.update(file.data)
      if (file.size > offset) await framed.stream.write(file.data.subarray(offset))
      offer.view.bytesDone += file.size - offset
    } else if (file.path !== null) {
      changed = await this.#changed(file)
      // The prefix the receiver already holds is hashed, not sent: the final hash covers the whole file.
      if (offset > 0) for await (const chunk of createReadStream(file.path, { start: 0, end: offset - 1, highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer)
      let position = offset
      if (file.size > offset) {
        for await (const chunk of createReadStream(file.path, { start: offset, end: file.size - 1, highWaterMark: 256 * 1024 })) {
          const buf = chunk as Buffer
          hash.update(buf)
          await framed.stream.write(buf)
          position += buf.length
          offer.view.bytesDone += buf.length
        }
      }
      if (position < file.size) {
        // The file shrank: keep the byte count promised, and say it changed.
        changed = true
        const zeros = Buffer.alloc(Math.min(1024 * 1024, file.size - position))
        while (position < file.size) {
          const n = Math.min(zeros.length, file.size - position)
          await framed.stream.write(zeros.subarray(0, n))
          position += n
        }
      }
      changed ||= await this.#changed(file)
    }
    await framed.stream.write(Buffer.concat([Buffer.from([changed ? 1 : 0]), hash.digest()]))
    await framed.stream.closeWrite()
    // Long: the receiver fsyncs the whole file before it answers; a receiver that goes away closes the stream sooner.
    const answer = verdict.safeParse(await framed.receive({ signal: AbortSignal.timeout(15 * 60_000) }).catch(() => undefined))
    const failure = changed
      ? `${file.name} changed while it was being sent; the receiver did not keep it`
      : !answer.success ? `${file.name}: the receiver did not confirm it` : answer.data.ok ? null : `${file.name}: the receiver refused it: ${answer.data.error ?? 'no reason given'}`
    if (failure !== null) {
      offer.view.state = 'error'
      offer.view.error = failure
      for (const [n, o] of this.#offers) if (o === offer) this.#offers.delete(n)
      return
    }
    offer.finished.add(index)
    if (offer.finished.size === offer.files.length) {
      offer.view.state = 'done'
      for (const [n, o] of this.#offers) if (o === offer) this.#offers.delete(n)
    }
  }

  /** Whether an offered file is no longer what was offered (size or modification time). */
  async #changed (file: SourceFile): Promise<boolean> {
    if (file.path === null) return false
    const s = await stat(file.path).catch(() => undefined)
    return s?.size !== file.size || s.mtimeMs !== file.mtimeMs
  }
}

/** An offered file as the wire shows it. */
function wireEntry (f: SourceFile): OfferedFile {
  return f.text === true ? { name: f.name, size: f.size, text: true } : { name: f.name, size: f.size }
}
