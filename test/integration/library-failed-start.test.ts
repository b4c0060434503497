/**
 * An embedded node whose start fails (a port it was given is taken by another program between
 * createNode and start) leaves nothing behind in the process: no open file in its home (the
 * log), no listening socket (the DNS server's UDP socket included), the home's lock released,
 * so that a new node on the same home starts, and no stop() needed. Open files are read from
 * /proc/self/fd (Linux); elsewhere that check is skipped with a line saying so.
 */
import { describe, it, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { once } from 'node:events'
import { createSocket } from 'node:dgram'
import { existsSync } from 'node:fs'
import { mkdtemp, readdir, readFile, readlink, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createNode, WeftError } from '../../src/index.js'
import type { NodeOptions } from '../../src/index.js'

const procFd = '/proc/self/fd'
if (!existsSync(procFd)) console.log(`# open-file checks skipped: no ${procFd} on this system`)

/** Files under `dir` this process has open (empty when /proc is not there). */
async function openFilesUnder (dir: string): Promise<string[]> {
  if (!existsSync(procFd)) return []
  const out: string[] = []
  for (const fd of await readdir(procFd)) {
    const target = await readlink(join(procFd, fd)).catch(() => '')
    if (target.startsWith(dir)) out.push(target)
  }
  return out
}

/** The socket and server handles of this process, by kind (what can keep it alive). */
function handles (): string[] {
  return process.getActiveResourcesInfo().filter((r) => r.endsWith('Wrap')).sort()
}

/** A loopback port free a moment ago, of the given protocol. */
async function freePort (proto: 'tcp' | 'udp'): Promise<number> {
  if (proto === 'udp') {
    const s = createSocket('udp4')
    s.bind(0, '127.0.0.1')
    await once(s, 'listening')
    const { port } = s.address()
    s.close()
    return port
  }
  const s = createServer().listen(0, '127.0.0.1')
  await once(s, 'listening')
  const { port } = s.address() as AddressInfo
  await new Promise((resolve) => s.close(resolve))
  return port
}

/** Takes `port` as another program would; returns how to let it go. */
async function take (proto: 'tcp' | 'udp', port: number): Promise<() => void> {
  if (proto === 'udp') {
    const s = createSocket('udp4')
    s.bind(port, '127.0.0.1')
    await once(s, 'listening')
    return () => { s.close() }
  }
  const s = createServer().listen(port, '127.0.0.1')
  await once(s, 'listening')
  return () => { s.close() }
}

const cases: Array<{ setting: string, proto: 'tcp' | 'udp', options: (port: number) => Partial<NodeOptions> }> = [
  { setting: 'api.port', proto: 'tcp', options: (port) => ({ apiPort: port }) },
  { setting: 'reach.dns', proto: 'udp', options: (port) => ({ dns: `127.0.0.1:${port}` }) }
]

describe('an embedded node whose start fails', { timeout: 120_000 }, () => {
  const dirs: string[] = []
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  for (const c of cases) {
    it(`releases everything when its ${c.setting} is taken`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'weft-failed-start-'))
      dirs.push(dir)
      const home = join(dir, 'node')
      const port = await freePort(c.proto)
      const options: NodeOptions = { home, name: 'node', loopback: true, ...c.options(port) }
      const node = await createNode(options)
      const release = await take(c.proto, port)
      const before = handles()
      try {
        await assert.rejects(node.start(), (err: unknown) => err instanceof WeftError && err.code === 'PORT_IN_USE' && err.message.includes(c.setting))
        assert.equal(node.running, false)
        assert.deepEqual(await openFilesUnder(dir), [], 'no file of the home is left open')
        assert.deepEqual(handles(), before, 'no socket or server is left open')
        assert.match(await readFile(join(home, 'weft.log'), 'utf8'), /daemon did not start/)
      } finally {
        release()
      }
      // The lock was released: the same home starts now that the port is free.
      const again = await createNode(options)
      await again.start()
      await again.stop()
      assert.deepEqual(await openFilesUnder(dir), [])
    })
  }
})
