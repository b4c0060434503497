/**
 * Bad input against real daemons: expired, reused, truncated and forged invites, a corrupted
 * config, API calls without the token or with a foreign Host or Origin. Each gets a clear
 * error and changes no state.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { request } from 'node:http'
import { randomBytes } from 'node:crypto'
import { readFile, writeFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { startTestnet, runWeft } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'
import { decodeInvite, encodeInvite } from '../../src/network/invite-code.js'

interface Summary { name: string, members: number }

async function snapshot (d: TestDaemon): Promise<string> {
  const dir = join(d.home, 'networks')
  const files = (await readdir(dir).catch(() => [])).sort()
  return JSON.stringify(await Promise.all(files.map(async (f) => [f, await readFile(join(dir, f), 'utf8')])))
}

function rawRequest (url: string, headers: Record<string, string>, method = 'GET', path = '/api/v1/status'): Promise<{ status: number, body: string }> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      let body = ''
      res.on('data', (d: Buffer) => { body += d.toString() })
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body }) })
    })
    req.on('error', reject)
    req.end()
  })
}

describe('invites that must be refused', () => {
  let net: Testnet
  let admin: TestDaemon
  let joiner: TestDaemon
  let third: TestDaemon
  before(async () => {
    net = await startTestnet(3, { names: ['admin', 'joiner', 'third'] })
    ;[admin, joiner, third] = net.daemons as [TestDaemon, TestDaemon, TestDaemon]
    await admin.json(['net', 'create', 'lab'])
  })
  after(async () => { await net.stop() })

  async function refused (code: string, pattern: RegExp): Promise<void> {
    const before = [await snapshot(admin), await snapshot(joiner)]
    const result = await joiner.cli(['net', 'join', code])
    assert.equal(result.code, 1, `join should fail: ${result.stdout}`)
    assert.match(result.stderr, pattern)
    assert.equal(result.stderr.trim().split('\n').length, 1, 'one-line error')
    assert.deepEqual((await joiner.json<Summary[]>(['net', 'ls'])), [])
    assert.deepEqual([await snapshot(admin), await snapshot(joiner)], before, 'no state changed')
  }

  it('an expired invite', async () => {
    const { code } = await admin.json<{ code: string }>(['net', 'invite', 'lab', '--ttl', '1s'])
    await new Promise((resolve) => setTimeout(resolve, 2100))
    await refused(code, /expired/)
  })

  it('an expired invite with a tampered expiry is refused by the inviter', async () => {
    const { code } = await admin.json<{ code: string }>(['net', 'invite', 'lab', '--ttl', '1s'])
    await new Promise((resolve) => setTimeout(resolve, 2100))
    const invite = decodeInvite(code)
    await refused(encodeInvite({ ...invite, expiresAt: invite.expiresAt + 3600 }), /expired/)
  })

  it('a truncated invite', async () => {
    const { code } = await admin.json<{ code: string }>(['net', 'invite', 'lab'])
    await refused(code.slice(0, code.length - 9), /invalid invite code/)
    await refused(code.slice(0, 20), /invalid invite code/)
  })

  it('a mistyped invite', async () => {
    const { code } = await admin.json<{ code: string }>(['net', 'invite', 'lab'])
    const i = 40
    const typo = code.slice(0, i) + (code[i] === 'a' ? 'b' : 'a') + code.slice(i + 1)
    await refused(typo, /checksum/)
    await refused('hello', /invalid invite code/)
  })

  it('a forged invite (valid form, token never issued)', async () => {
    const { code } = await admin.json<{ code: string }>(['net', 'invite', 'lab'])
    const forged = encodeInvite({ ...decodeInvite(code), token: randomBytes(16) })
    await refused(forged, /not recognised/)
  })

  it('a reused invite', async () => {
    const { code } = await admin.json<{ code: string }>(['net', 'invite', 'lab', '--uses', '1'])
    await third.json(['net', 'join', code])
    await refused(code, /used up/)
    assert.equal((await admin.json<Array<{ name: string }>>(['net', 'members', 'lab'])).length, 2)
  })

  it('bad arguments to invite', async () => {
    for (const args of [['--uses', '0'], ['--uses', 'x'], ['--ttl', 'soon'], ['--ttl', '0s']]) {
      const result = await admin.cli(['net', 'invite', 'lab', ...args])
      assert.notEqual(result.code, 0, args.join(' '))
      assert.ok(result.stderr.length > 0)
    }
    const unknown = await admin.cli(['net', 'invite', 'nosuchnet'])
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /no network "nosuchnet"/)
  })
})

describe('the local API guards', () => {
  let net: Testnet
  before(async () => { net = await startTestnet(1) })
  after(async () => { await net.stop() })

  it('refuses calls without the token, with a wrong token, a foreign Host or a foreign Origin', async () => {
    const d = net.daemons[0]!
    const { url, token } = await d.apiAccess()
    const host = new URL(url).host
    const ok = await rawRequest(url, { host, authorization: `Bearer ${token}` })
    assert.equal(ok.status, 200)
    const cases: Array<[Record<string, string>, number, RegExp]> = [
      [{ host }, 401, /UNAUTHORIZED/],
      [{ host, authorization: 'Bearer wrong' }, 401, /UNAUTHORIZED/],
      [{ host: `evil.example:${new URL(url).port}`, authorization: `Bearer ${token}` }, 403, /foreign Host/],
      [{ host, authorization: `Bearer ${token}`, origin: 'http://evil.example' }, 403, /foreign Origin/]
    ]
    for (const [headers, status, pattern] of cases) {
      const res = await rawRequest(url, headers)
      assert.equal(res.status, status, JSON.stringify(headers))
      assert.match(res.body, pattern)
    }
    // A mutating call with a foreign Host changes nothing.
    const post = await rawRequest(url, { host: 'rebind.example', authorization: `Bearer ${token}`, 'content-type': 'application/json' }, 'POST', '/api/v1/networks')
    assert.equal(post.status, 403)
    assert.deepEqual(await d.json(['net', 'ls']), [])
  })

  it('rejects malformed bodies with a clear error', async () => {
    const d = net.daemons[0]!
    const { url, token } = await d.apiAccess()
    const res = await fetch(`${url}/api/v1/networks`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"name": 42}' })
    assert.equal(res.status, 400)
    assert.match(await res.text(), /INVALID_ARGUMENT/)
    const notJson = await fetch(`${url}/api/v1/join`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{' })
    assert.equal(notJson.status, 400)
    assert.deepEqual(await d.json(['net', 'ls']), [])
  })

  it('the token file is private', async () => {
    const { stat } = await import('node:fs/promises')
    const d = net.daemons[0]!
    assert.equal((await stat(join(d.home, 'api.token'))).mode & 0o777, 0o600)
    assert.equal((await stat(join(d.home, 'device.key'))).mode & 0o777, 0o600)
  })
})

describe('a corrupted config', () => {
  let net: Testnet
  before(async () => { net = await startTestnet(1) })
  after(async () => { await net.stop() })

  it('stops the daemon with a message naming the problem and changes nothing', async () => {
    const d = net.daemons[0]!
    await d.json(['net', 'create', 'keep'])
    await d.stop()
    const configPath = join(d.home, 'config.json')
    const good = await readFile(configPath, 'utf8')
    const before = await snapshot(d)
    for (const [content, pattern] of [
      ['{ "version": 1, "deviceName": ', /not valid JSON/],
      [good.replace('"port": 0', '"port": "eighty"'), /api\.port/],
      [good.replace('"mdns": false', '"mdns": false, "surprise": 1'), /surprise|Unrecognized/i]
    ] as const) {
      await writeFile(configPath, content)
      const result = await runWeft(['daemon', '--home', d.home])
      assert.equal(result.code, 1)
      assert.match(result.stderr, pattern)
      assert.equal(await readFile(configPath, 'utf8'), content, 'the daemon must not rewrite a bad config')
      assert.equal(await snapshot(d), before)
    }
    await writeFile(configPath, good)
    await d.start()
    assert.deepEqual((await d.json<Summary[]>(['net', 'ls'])).map((n) => n.name), ['keep'])
  })

  it('init refuses to overwrite an existing identity', async () => {
    const d = net.daemons[0]!
    const key = await readFile(join(d.home, 'device.key'), 'utf8')
    const result = await runWeft(['init', '--home', d.home])
    assert.equal(result.code, 1)
    assert.match(result.stderr, /already initialized/)
    assert.equal(await readFile(join(d.home, 'device.key'), 'utf8'), key)
  })
})
