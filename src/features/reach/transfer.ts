/**
 * One-shot file transfers (`weft send` / `weft receive`, like magic-wormhole inside a weft
 * network). The sender's daemon holds an offer under a short code `NAMEPLATE-WORD-WORD`; the
 * receiver's daemon asks the online members for the nameplate and runs SPAKE2 with the code
 * (`/weft/send/1.0.0`), so a wrong code fails the exchange and burns the offer (one online guess,
 * nothing to try offline). With `--to`, the offer goes straight to one member's daemon, which
 * fetches into its inbox. Files are fetched one stream each from an offset, so an interrupted
 * transfer resumes from the partial file; the receiver checks SHA-256 before renaming it into place.
 */
import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rename, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { z } from 'zod'
import { WeftError, toWeftError } from '../../core/errors.js'
import type { DeviceId } from '../../core/ids.js'
import type { Logger } from '../../core/log.js'
import { FramedStream } from '../../net/framed.js'
import type { Mesh, MeshStream } from '../../net/types.js'
import { Spake2, macEqual } from './spake2.js'
import { codeWords } from './wordlist.js'

/** Protocol ID on the mesh. */
export const sendProtocol = '/weft/send/1.0.0'

const b64 = z.string().max(200)
const fileEntry = z.object({ name: z.string().min(1).max(255), size: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) }).strict()
const request = z.discriminatedUnion('op', [
  z.object({ op: z.literal('claim'), nameplate: z.number().int(), pake: b64 }).strict(),
  z.object({ op: z.literal('fetch'), nameplate: z.number().int(), token: b64, file: z.number().int().min(0), offset: z.number().int().min(0) }).strict(),
  z.object({ op: z.literal('offer'), nameplate: z.number().int(), token: b64, files: z.array(fileEntry).min(1).max(1000) }).strict()
])
const pakeAnswer = z.object({ pake: b64, confirm: b64 }).strict()
const confirmMessage = z.object({ confirm: b64 }).strict()
const offerMessage = z.object({ files: z.array(fileEntry).min(1).max(1000), token: b64 }).strict()
const fetchAnswer = z.object({ ok: z.literal(true), bytes: z.number().int().min(0) }).strict()

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
  /** Receiving: bytes already on disk from an interrupted attempt, when it resumed. */
  resumedAt: number | null
}

interface Offer {
  view: TransferView
  password: string
  files: Array<OfferedFile & { path: string }>
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
  log: Logger
}

const fail = (message: string): WeftError => new WeftError('INVALID_ARGUMENT', message)

/** Parses `NAMEPLATE-WORD-WORD`. */
export function parseCode (code: string): { nameplate: number, password: string } {
  const match = /^(\d{1,4})-([a-z]+)-([a-z]+)$/.exec(code.trim().toLowerCase())
  if (match === null || !codeWords.includes(match[2] ?? '') || !codeWords.includes(match[3] ?? '')) throw fail(`"${code}" is not a transfer code (NUMBER-WORD-WORD, as weft send printed it)`)
  return { nameplate: Number(match[1]), password: `${match[2] ?? ''}-${match[3] ?? ''}` }
}

/** A safe file name from a peer: one path component, nothing hidden or internal. */
function safeName (name: string): string {
  if (name !== basename(name) || name === '.' || name === '..' || name.startsWith('.weft') || name.includes('\0') || name.includes('\\')) throw new WeftError('PROTOCOL_ERROR', `refused file name ${JSON.stringify(name)}`)
  return name
}

async function sha256File (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
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
    await this.#ctx.mesh.handle(sendProtocol, async (stream) => { await this.#serve(stream) }, { maxInboundStreams: 16, maxOutboundStreams: 16 })
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
  async send (paths: string[], to?: DeviceId): Promise<TransferView> {
    if (paths.length === 0) throw fail('nothing to send')
    const files: Offer['files'] = []
    for (const p of paths) {
      const path = resolve(p)
      const s = await stat(path).catch(() => undefined)
      if (s?.isFile() !== true) throw fail(`${p}: not a readable file`)
      files.push({ path, name: basename(path), size: s.size, sha256: await sha256File(path) })
    }
    if (new Set(files.map((f) => f.name)).size !== files.length) throw fail('two files have the same name')
    let nameplate = randomInt(1, 1000)
    for (let i = 0; this.#offers.has(nameplate) && i < 100; i++) nameplate = randomInt(1, 10_000)
    const password = `${codeWords[randomInt(codeWords.length)] ?? ''}-${codeWords[randomInt(codeWords.length)] ?? ''}`
    const id = String(this.#next++)
    const view: TransferView = { id, direction: 'send', code: to === undefined ? `${nameplate}-${password}` : null, peer: to ?? null, files: files.map((f) => f.name), bytesTotal: files.reduce((n, f) => n + f.size, 0), bytesDone: 0, state: 'waiting', error: null, resumedAt: null }
    const offer: Offer = { view, password, files, tokens: new Set(), finished: new Set() }
    this.#offers.set(nameplate, offer)
    this.#views.set(id, view)
    if (to !== undefined) {
      const token = randomBytes(32).toString('base64')
      offer.tokens.add(token)
      const stream = await this.#ctx.mesh.openStream(to, sendProtocol, { signal: AbortSignal.timeout(15_000) })
      const framed = new FramedStream(stream, 256 * 1024)
      await framed.send({ op: 'offer', nameplate, token, files: files.map(({ name, size, sha256 }) => ({ name, size, sha256 })) })
      await stream.closeWrite()
    }
    return { ...view }
  }

  /** Receives the files offered under `code` into `dir`; returns the transfer to follow. */
  receive (code: string, dir: string): TransferView {
    const { nameplate, password } = parseCode(code)
    const view: TransferView = { id: String(this.#next++), direction: 'receive', code, peer: null, files: [], bytesTotal: 0, bytesDone: 0, state: 'waiting', error: null, resumedAt: null }
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
      await this.#fetchAll(view, device, nameplate, claimed.token, claimed.files, dir)
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
    const framed = new FramedStream(stream, 256 * 1024)
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

  async #fetchAll (view: TransferView, device: DeviceId, nameplate: number, token: string, files: OfferedFile[], dir: string): Promise<void> {
    await mkdir(dir, { recursive: true })
    view.files = files.map((f) => f.name)
    view.bytesTotal = files.reduce((n, f) => n + f.size, 0)
    view.state = 'transferring'
    for (const [index, file] of files.entries()) {
      const partial = join(dir, `.${file.name}.weft-partial`)
      const have = Math.min((await stat(partial).catch(() => undefined))?.size ?? 0, file.size)
      view.bytesDone += have
      if (have > 0) view.resumedAt ??= have
      const stream = await this.#ctx.mesh.openStream(device, sendProtocol, { signal: AbortSignal.timeout(15_000) })
      const framed = new FramedStream(stream, 4096)
      const handle = await open(partial, have > 0 ? 'r+' : 'w', 0o600)
      try {
        await handle.truncate(have)
        await framed.send({ op: 'fetch', nameplate, token, file: index, offset: have })
        const answer = fetchAnswer.safeParse(await framed.expect({ signal: AbortSignal.timeout(15_000) }))
        if (!answer.success || answer.data.bytes !== file.size - have) throw new WeftError('PROTOCOL_ERROR', `${file.name}: the sender refused or changed the file`)
        let position = have
        for await (const chunk of framed.rest()) {
          if (position + chunk.length > file.size) throw new WeftError('PROTOCOL_ERROR', `${file.name}: the sender sent too much`)
          await handle.write(chunk, 0, chunk.length, position)
          position += chunk.length
          view.bytesDone += chunk.length
        }
        if (position !== file.size) throw new WeftError('PROTOCOL_ERROR', `${file.name}: transfer interrupted at ${position} of ${file.size} bytes (run the same weft receive again to resume)`)
        await handle.sync()
      } finally {
        await handle.close()
        stream.abort(new Error('done'))
      }
      if (await sha256File(partial) !== file.sha256) {
        await rename(partial, `${partial}.bad`).catch(() => {})
        throw new WeftError('PROTOCOL_ERROR', `${file.name}: SHA-256 does not match what the sender announced; not kept`)
      }
      let target = join(dir, file.name)
      for (let i = 1; await stat(target).then(() => true, () => false); i++) target = join(dir, `${file.name} (${i})`)
      await rename(partial, target)
    }
    view.state = 'done'
  }

  async #serve (stream: MeshStream): Promise<void> {
    const framed = new FramedStream(stream, 256 * 1024)
    try {
      if (!this.#ctx.isFellow(stream.remote)) throw new WeftError('NOT_MEMBER', 'not a member')
      const req = request.parse(await framed.expect({ signal: AbortSignal.timeout(15_000) }))
      if (req.op === 'offer') {
        await stream.closeWrite()
        const view: TransferView = { id: String(this.#next++), direction: 'receive', code: null, peer: stream.remote, files: [], bytesTotal: 0, bytesDone: 0, state: 'waiting', error: null, resumedAt: null }
        this.#views.set(view.id, view)
        this.#ctx.log.info({ from: stream.remote, files: req.files.length }, 'receiving files sent to this device')
        const files = req.files.map((f) => ({ ...f, name: safeName(f.name) }))
        await this.#fetchAll(view, stream.remote, req.nameplate, req.token, files, this.#ctx.inbox).catch((err: unknown) => {
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
    await framed.send({ files: offer.files.map(({ name, size, sha256 }) => ({ name, size, sha256 })), token: secret })
    await framed.stream.closeWrite()
  }

  async #answerFetch (framed: FramedStream, offer: Offer, token: string, index: number, offset: number): Promise<void> {
    const file = offer.files[index]
    if (![...offer.tokens].some((t) => macEqual(Buffer.from(t), Buffer.from(token))) || file === undefined || offset > file.size) throw new WeftError('FORBIDDEN', 'bad fetch')
    offer.view.state = 'transferring'
    offer.view.peer = framed.stream.remote
    await framed.send({ ok: true, bytes: file.size - offset })
    if (file.size > offset) {
      for await (const chunk of createReadStream(file.path, { start: offset, highWaterMark: 256 * 1024 })) {
        await framed.stream.write(chunk as Buffer)
        offer.view.bytesDone += (chunk as Buffer).length
      }
    }
    await framed.stream.closeWrite()
    offer.finished.add(index)
    if (offer.finished.size === offer.files.length) {
      offer.view.state = 'done'
      for (const [n, o] of this.#offers) if (o === offer) this.#offers.delete(n)
    }
  }
}
