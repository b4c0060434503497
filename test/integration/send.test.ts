/**
 * One-shot transfers between real daemons: a small file and a 200 MiB one sent with a short
 * code, the receiving daemon killed with SIGKILL part-way through the large one, restarted, and
 * the same `weft receive` resuming from the partial file to a SHA-256-checked copy without
 * fetching the small one again; wrong, unknown and malformed codes
 * refused with clear errors and no crash; `--to` delivering into a member's inbox; a file
 * changed on the sender after it was offered ending in an error on both ends with nothing left
 * under its name; directories, `--text`, and `weft inbox` listing what arrived.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { once } from 'node:events'
import { startTestnet, formNetwork, waitForOnline, waitFor, weftBin } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'

interface Transfer { code: string | null, state: string, resumedAt: number | null, files: string[], text: string | null }
interface Received { name: string, size: number, from: string, at: string, path: string | null, text?: string }

async function sha (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Starts `weft send` in the background and returns its code (first JSON document it prints). */
async function startSend (d: TestDaemon, args: string[]): Promise<{ child: ChildProcess, code: string, exit: Promise<unknown[]> }> {
  const child = spawn(process.execPath, [weftBin, 'send', ...args, '--home', d.home, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exit = once(child, 'exit')
  let out = ''
  const code = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString()
      try { resolve((JSON.parse(out) as Transfer).code ?? '') } catch { /* not complete yet */ }
    })
    child.once('exit', () => { reject(new Error(`weft send exited: ${out}`)) })
  })
  return { child, code, exit }
}

describe('weft send and receive', () => {
  let net: Testnet
  let sender: TestDaemon
  let receiver: TestDaemon
  const children: ChildProcess[] = []
  before(async () => {
    net = await startTestnet(2, { names: ['sender', 'receiver'] })
    ;[sender, receiver] = net.daemons as [TestDaemon, TestDaemon]
    await formNetwork([sender, receiver], 'home')
    await waitForOnline(receiver, [sender.deviceId])
  })
  after(async () => {
    for (const c of children) c.kill('SIGKILL')
    await net.stop()
  })

  it('200 MiB, interrupted part-way by SIGKILL of the receiver, resumes and arrives intact, without fetching again the file that had arrived', async () => {
    const small = join(sender.home, 'small.bin')
    await writeFile(small, randomBytes(64 * 1024))
    const src = join(sender.home, 'big.bin')
    const handle = await open(src, 'w')
    const block = randomBytes(1024 * 1024)
    for (let i = 0; i < 200; i++) { block.writeUInt32BE(i, 0); await handle.write(block) }
    await handle.close()
    const send = await startSend(sender, [small, src])
    children.push(send.child)
    const dir = join(receiver.home, 'downloads')
    const partial = join(dir, '.big.bin.weft-partial')
    const first = spawn(process.execPath, [weftBin, 'receive', send.code, '--dir', dir, '--home', receiver.home], { stdio: 'ignore' })
    children.push(first)
    await waitFor('some bytes on disk', async () => ((await stat(partial).catch(() => undefined))?.size ?? 0) > 0, 30_000, 2)
    await receiver.kill()
    const kept = (await stat(partial)).size
    assert.ok(kept > 0 && kept < 200 * 1024 * 1024, `interrupted part-way (${kept} bytes kept)`)
    // small.bin came first and arrived whole before big.bin began.
    const smallBefore = await stat(join(dir, 'small.bin'))
    assert.equal(await sha(join(dir, 'small.bin')), await sha(small))
    await receiver.start()
    await waitForOnline(receiver, [sender.deviceId])
    const result = await receiver.json<Transfer>(['receive', send.code, '--dir', dir])
    assert.equal(result.state, 'done')
    assert.equal(result.resumedAt, smallBefore.size + kept, 'the second receive started from what was on disk: small.bin and the partial file')
    assert.equal(await sha(join(dir, 'big.bin')), await sha(src))
    // small.bin was not fetched again: the same file, no copy beside it, in the inbox once.
    const smallAfter = await stat(join(dir, 'small.bin'))
    assert.equal(smallAfter.ino, smallBefore.ino)
    assert.equal(smallAfter.mtimeMs, smallBefore.mtimeMs)
    assert.deepEqual((await readdir(dir)).sort(), ['big.bin', 'small.bin'], 'no copy, partial file or ledger left')
    assert.equal((await receiver.json<Received[]>(['inbox'])).filter((e) => e.name === 'small.bin').length, 1)
    const [code] = await send.exit
    assert.equal(code, 0, 'weft send finished')
  })

  it('a wrong code is refused, voids the offer, and crashes nothing', async () => {
    const src = join(sender.home, 'secret.txt')
    await writeFile(src, 'not for guessers\n')
    const send = await startSend(sender, [src])
    children.push(send.child)
    const [nameplate, w1] = send.code.split('-')
    const wrongWord = w1 === 'acorn' ? 'actor' : 'acorn'
    const wrong = await receiver.cli(['receive', `${nameplate ?? ''}-${wrongWord}-${wrongWord}`, '--dir', join(receiver.home, 'guess')])
    assert.notEqual(wrong.code, 0)
    assert.match(wrong.stderr, /wrong code/)
    const [sendCode] = await send.exit
    assert.notEqual(sendCode, 0, 'the sender learns its offer was voided')
    const again = await receiver.cli(['receive', send.code, '--dir', join(receiver.home, 'guess')])
    assert.notEqual(again.code, 0, 'the right code no longer works after a wrong guess')
    const unknown = await receiver.cli(['receive', '9999-acorn-actor', '--dir', join(receiver.home, 'guess')])
    assert.match(unknown.stderr, /no online member holds/)
    const malformed = await receiver.cli(['receive', 'not a code', '--dir', join(receiver.home, 'guess')])
    assert.match(malformed.stderr, /not a transfer code/)
    for (const d of [sender, receiver]) assert.equal((await d.cli(['status'])).code, 0, `${d.name} still runs`)
  })

  it('--to delivers into the member\'s inbox', async () => {
    await mkdir(join(sender.home, 'out'), { recursive: true })
    const src = join(sender.home, 'out', 'note.txt')
    await writeFile(src, 'hello inbox\n')
    const result = await sender.json<Transfer>(['send', src, '--to', 'receiver'])
    assert.equal(result.state, 'done')
    assert.equal(await readFile(join(receiver.home, 'inbox', 'note.txt'), 'utf8'), 'hello inbox\n')
  })

  it('a file changed on the sender after the offer ends in an error on both ends, and is not kept', async () => {
    const src = join(sender.home, 'moving.bin')
    await writeFile(src, randomBytes(3 * 1024 * 1024))
    const send = await startSend(sender, [src])
    children.push(send.child)
    // Same size, other content; the modification time is set explicitly so the change does not
    // depend on the file system's timestamp granularity.
    await writeFile(src, randomBytes(3 * 1024 * 1024))
    await utimes(src, new Date(1_000_000_000_000), new Date(1_000_000_000_000))
    const dir = join(receiver.home, 'changed')
    const result = await receiver.cli(['receive', send.code, '--dir', dir])
    assert.notEqual(result.code, 0)
    assert.match(result.stderr, /moving\.bin changed on the sender/)
    assert.deepEqual(await readdir(dir), [], 'neither the file nor its partial copy is left')
    const [sendCode] = await send.exit
    assert.notEqual(sendCode, 0, 'weft send reports the failure too')
  })

  it('sends a directory with its layout, a --text message, and lists both in weft inbox', async () => {
    const tree = join(sender.home, 'photos')
    await mkdir(join(tree, '2026', 'june'), { recursive: true })
    await writeFile(join(tree, 'index.txt'), 'top\n')
    await writeFile(join(tree, '2026', 'june', 'beach.jpg'), randomBytes(100_000))
    const send = await startSend(sender, [tree])
    children.push(send.child)
    const dir = join(receiver.home, 'albums')
    const got = await receiver.json<Transfer>(['receive', send.code, '--dir', dir])
    assert.deepEqual([...got.files].sort(), ['photos/2026/june/beach.jpg', 'photos/index.txt'])
    assert.equal(await sha(join(dir, 'photos', '2026', 'june', 'beach.jpg')), await sha(join(tree, '2026', 'june', 'beach.jpg')))
    assert.equal(await readFile(join(dir, 'photos', 'index.txt'), 'utf8'), 'top\n')
    assert.equal((await send.exit)[0], 0)

    const textSend = await startSend(sender, ['--text', 'the wifi password is on the fridge'])
    children.push(textSend.child)
    const text = await receiver.cli(['receive', textSend.code])
    assert.equal(text.code, 0, text.stderr)
    assert.equal(text.stdout, 'the wifi password is on the fridge\n')
    assert.equal((await textSend.exit)[0], 0)

    const inbox = await receiver.json<Received[]>(['inbox'])
    const beach = inbox.find((e) => e.name === 'photos/2026/june/beach.jpg')
    assert.equal(beach?.size, 100_000)
    assert.equal(beach.from, sender.deviceId)
    assert.equal(beach.path, join(dir, 'photos', '2026', 'june', 'beach.jpg'))
    assert.ok(!Number.isNaN(Date.parse(beach.at)))
    assert.ok(inbox.some((e) => e.text === 'the wifi password is on the fridge' && e.path === null))
    assert.ok(inbox.some((e) => e.name === 'big.bin' && e.path === join(receiver.home, 'downloads', 'big.bin')))
    assert.ok(!inbox.some((e) => e.name === 'moving.bin'), 'a file not kept is not in the inbox')
    const plain = await receiver.cli(['inbox'])
    assert.match(plain.stdout, /beach\.jpg/)
  })
})
