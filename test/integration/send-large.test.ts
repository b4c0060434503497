/**
 * `weft send` of a 5 GiB sparse file between real daemons: the offer (with its code) comes back
 * at once because nothing is hashed before it, the bytes are hashed while sent and checked on
 * the receiver, and the received copy's SHA-256 equals the original's. Skips with one line when
 * the temp dir has under 12 GiB free (the receiver writes the 5 GiB for real).
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { open, rm, stat, statfs } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { startTestnet, formNetwork, waitForOnline, weftBin } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'

interface Transfer { code: string | null, state: string, bytesTotal: number }

const size = 5 * 1024 * 1024 * 1024 + 12_345

async function sha (path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** Runs a weft command to its end without the test helper's 60 s limit; stdout, stderr and exit code. */
async function run (d: TestDaemon, args: string[], children: ChildProcess[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  const child = spawn(process.execPath, [weftBin, ...args, '--home', d.home], { stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, stdout, stderr }
}

const fs = await statfs(tmpdir())
const free = fs.bavail * fs.bsize
const skip = free < 12 * 1024 ** 3 ? `only ${(free / 1024 ** 3).toFixed(1)} GiB free in ${tmpdir()}; sending 5 GiB needs 12` : false
if (skip !== false) console.log(`# skipped: ${skip}`)

describe('weft send of a 5 GiB file', { skip }, () => {
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

  it('answers with the code at once, and the copy has the same SHA-256', async () => {
    const src = join(sender.home, 'huge.img')
    const handle = await open(src, 'w')
    await handle.truncate(size)
    // Some real data at the start, the middle and the end, so the hash covers more than zeros.
    for (const at of [0, Math.floor(size / 2), size - 1024 * 1024]) await handle.write(randomBytes(1024 * 1024), 0, 1024 * 1024, at)
    await handle.close()

    const started = Date.now()
    const send = spawn(process.execPath, [weftBin, 'send', src, '--home', sender.home, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] })
    children.push(send)
    const sendExit = once(send, 'exit')
    let out = ''
    // The CLI prints the offer as soon as POST /send answers; that request is bound by the CLI's
    // own 60 s timeout, so getting a code at all means the daemon did not hash 5 GiB first.
    const offer = await new Promise<Transfer>((resolve, reject) => {
      send.stdout.on('data', (b: Buffer) => {
        out += b.toString()
        try { resolve(JSON.parse(out) as Transfer) } catch { /* not complete yet */ }
      })
      send.once('exit', () => { reject(new Error(`weft send exited before printing a code: ${out}`)) })
    })
    console.log(`code after ${Date.now() - started} ms`)
    assert.match(offer.code ?? '', /^\d+-[a-z]+-[a-z]+$/)
    assert.equal(offer.bytesTotal, size)
    assert.equal(offer.state, 'waiting', 'offered before any hashing or sending')

    const dir = join(receiver.home, 'downloads')
    const t0 = Date.now()
    const received = await run(receiver, ['receive', offer.code ?? '', '--dir', dir, '--json'], children)
    console.log(`5 GiB received in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    assert.equal(received.code, 0, received.stderr)
    assert.equal((JSON.parse(received.stdout) as Transfer).state, 'done')
    const [sendCode] = await sendExit as [number | null]
    assert.equal(sendCode, 0, 'weft send finished too')
    const copy = join(dir, 'huge.img')
    assert.equal((await stat(copy)).size, size)
    assert.equal(await sha(copy), await sha(src))
    await rm(copy)
  })
})
