/**
 * One-shot transfers between real daemons: a 200 MiB file sent with a short code, the
 * receiving daemon killed with SIGKILL part-way, restarted, and the same `weft receive`
 * resuming from the partial file to a SHA-256-checked copy; wrong, unknown and malformed codes
 * refused with clear errors and no crash; `--to` delivering into a member's inbox.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { once } from 'node:events'
import { startTestnet, formNetwork, waitForOnline, waitFor, weftBin } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'

interface Transfer { code: string | null, state: string, resumedAt: number | null, files: string[] }

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

  it('200 MiB, interrupted part-way by SIGKILL of the receiver, resumes and arrives intact', async () => {
    const src = join(sender.home, 'big.bin')
    const handle = await open(src, 'w')
    const block = randomBytes(1024 * 1024)
    for (let i = 0; i < 200; i++) { block.writeUInt32BE(i, 0); await handle.write(block) }
    await handle.close()
    const send = await startSend(sender, [src])
    children.push(send.child)
    const dir = join(receiver.home, 'downloads')
    const partial = join(dir, '.big.bin.weft-partial')
    const first = spawn(process.execPath, [weftBin, 'receive', send.code, '--dir', dir, '--home', receiver.home], { stdio: 'ignore' })
    children.push(first)
    await waitFor('some bytes on disk', async () => ((await stat(partial).catch(() => undefined))?.size ?? 0) > 0, 30_000, 2)
    await receiver.kill()
    const kept = (await stat(partial)).size
    assert.ok(kept > 0 && kept < 200 * 1024 * 1024, `interrupted part-way (${kept} bytes kept)`)
    await receiver.start()
    await waitForOnline(receiver, [sender.deviceId])
    const result = await receiver.json<Transfer>(['receive', send.code, '--dir', dir])
    assert.equal(result.state, 'done')
    assert.equal(result.resumedAt, kept, 'the second receive started from the partial file')
    assert.equal(await sha(join(dir, 'big.bin')), await sha(src))
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
})
