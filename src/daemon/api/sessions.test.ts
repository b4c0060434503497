/**
 * Dashboard sessions: a login code works once and not after its expiry, a session needs both
 * its secrets, survives a reload from disk (a daemon restart), and ends when revoked.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DashboardSessions, loginLinkTtlMs, sessionTtlMs } from './sessions.js'

async function withDir (fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'weft-sessions-'))
  try {
    await fn(join(dir, 'dashboard-sessions.json'))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

describe('dashboard sessions', () => {
  it('spends a login code once and refuses it afterwards', async () => {
    await withDir(async (file) => {
      const sessions = new DashboardSessions(file)
      const { code } = sessions.issueCode()
      const session = await sessions.redeem(code)
      assert.equal(sessions.verify(session.cookie, session.secret), true)
      await assert.rejects(sessions.redeem(code), { code: 'UNAUTHORIZED' })
      await assert.rejects(sessions.redeem('made-up'), { code: 'UNAUTHORIZED' })
    })
  })

  it('refuses an expired code and an expired session', async () => {
    await withDir(async (file) => {
      let now = 1_000_000
      const sessions = new DashboardSessions(file, () => now)
      const late = sessions.issueCode()
      now += loginLinkTtlMs
      await assert.rejects(sessions.redeem(late.code), { code: 'UNAUTHORIZED' })
      const session = await sessions.redeem(sessions.issueCode().code)
      now += sessionTtlMs
      assert.equal(sessions.verify(session.cookie, session.secret), false)
    })
  })

  it('needs both halves of one session', async () => {
    await withDir(async (file) => {
      const sessions = new DashboardSessions(file)
      const one = await sessions.redeem(sessions.issueCode().code)
      const two = await sessions.redeem(sessions.issueCode().code)
      assert.equal(sessions.verify(one.cookie, two.secret), false)
      assert.equal(sessions.verify(two.cookie, one.secret), false)
      assert.equal(sessions.verify(one.cookie, ''), false)
      assert.equal(sessions.verify(two.cookie, two.secret), true)
    })
  })

  it('keeps sessions hashed on disk across a reload, and forgets revoked ones', async () => {
    await withDir(async (file) => {
      const first = new DashboardSessions(file)
      const session = await first.redeem(first.issueCode().code)
      const text = await readFile(file, 'utf8')
      assert.equal(text.includes(session.cookie) || text.includes(session.secret), false)
      assert.equal((await stat(file)).mode & 0o777, 0o600)
      const second = new DashboardSessions(file)
      await second.load()
      assert.equal(second.verify(session.cookie, session.secret), true)
      await second.revoke(session.cookie)
      const third = new DashboardSessions(file)
      await third.load()
      assert.equal(third.verify(session.cookie, session.secret), false)
    })
  })
})
