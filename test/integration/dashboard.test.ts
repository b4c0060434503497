/**
 * The web dashboard end to end, in Debian's Chromium driven by playwright-core, against two
 * real daemons on loopback: sign-in by one-time link, nothing but a login hint without a
 * session, forged and foreign-origin requests refused, an invite made in one dashboard and
 * accepted in the other, a folder shown in sync, services with their catalog health, the mesh
 * picture, and a daemon restart the page lives through without a reload.
 */
import { describe, it, before, after } from 'node:test'
import { strict as assert } from 'node:assert'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { startTestnet } from '../../src/testing/index.js'
import type { Testnet, TestDaemon } from '../../src/testing/index.js'
import { browserMissing, confirmDialog, goTo, launchBrowser, loginLink, signedInPage } from '../dashboard/browser.js'

const missing = browserMissing()
if (missing !== undefined) console.log(`dashboard end-to-end tests skipped: ${missing}`)

/** Polls the CLI's network list of `daemon`. */
async function networkNames (daemon: TestDaemon): Promise<string[]> {
  return (await daemon.json<Array<{ name: string }>>(['net', 'ls'])).map((n) => n.name)
}

describe('dashboard in Chromium', { skip: missing }, () => {
  let net: Testnet
  let browser: Browser
  let context: BrowserContext
  let alpha: TestDaemon
  let beta: TestDaemon
  let gamma: TestDaemon
  let dir: string
  const pages: Page[] = []
  /** CSP violations and uncaught script errors on any dashboard page. */
  const problems: string[] = []

  before(async () => {
    [net, browser] = await Promise.all([startTestnet(3, { names: ['alpha', 'beta', 'gamma'] }), launchBrowser()])
    ;[alpha, beta, gamma] = net.daemons as [TestDaemon, TestDaemon, TestDaemon]
    // One browser profile for both dashboards: the two sessions must not clobber each other.
    context = await browser.newContext()
    context.on('page', (page) => {
      page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) problems.push(`${page.url()}: ${m.text()}`) })
      page.on('pageerror', (err) => { problems.push(`${page.url()}: ${err.message}`) })
    })
    dir = await mkdtemp(join(tmpdir(), 'weft-dashboard-'))
  })
  after(async () => {
    await context?.close()
    await browser?.close()
    await net?.stop()
    if (dir !== undefined) await rm(dir, { recursive: true, force: true })
  })

  it('shows nothing but a login hint without a session, and the API answers the same', async () => {
    const { url } = await alpha.apiAccess()
    const stranger = await browser.newContext()
    try {
      const page = await stranger.newPage()
      const response = await page.goto(`${url}/#/networks`)
      assert.match(response?.headers()['content-security-policy'] ?? '', /script-src 'self'/)
      await page.getByRole('heading', { name: 'Sign in to this dashboard' }).waitFor()
      const html = await page.content()
      assert.equal(html.includes(alpha.deviceId), false)
      assert.equal(await page.getByRole('navigation', { name: 'Sections' }).count(), 0)
      assert.match(await page.locator('main').innerText(), /weft open/)
      // A link works once: the second use gets the hint and says why.
      const link = await loginLink(alpha)
      const first = await stranger.newPage()
      await first.goto(link)
      await first.getByRole('navigation', { name: 'Sections' }).waitFor()
      const second = await (await browser.newContext()).newPage()
      await second.goto(link)
      await second.getByRole('alert').filter({ hasText: 'already used' }).waitFor()
      assert.equal((await second.content()).includes(alpha.deviceId), false)
      await second.context().close()
      // The link the daemon printed when it started (npm start, weft daemon) signs in too.
      const banner = new RegExp(`dashboard  (${url.replace(/\./g, '\\.')}/#login=[A-Za-z0-9_-]+) `).exec(alpha.output)?.[1]
      assert.ok(banner !== undefined, `the start banner has a login link:\n${alpha.output}`)
      const third = await (await browser.newContext()).newPage()
      await third.goto(banner)
      assert.equal(await third.getByTestId('device-id').innerText(), alpha.deviceId)
      await third.context().close()
    } finally {
      await stranger.close()
    }
    for (const path of ['/api/v1/status', '/api/v1/networks', '/api/v1/events']) {
      const answer = await fetch(`${url}${path}`)
      assert.equal(answer.status, 401, path)
      const body = await answer.json() as { error: { code: string, message: string } }
      assert.equal(body.error.code, 'UNAUTHORIZED')
      assert.match(body.error.message, /weft open/)
    }
  })

  it('refuses forged and foreign-origin requests that carry the session cookie', async () => {
    const page = await signedInPage(context, alpha)
    pages.push(page)
    const { url, token } = await alpha.apiAccess()
    const port = new URL(url).port
    const cookie = (await context.cookies(url)).find((c) => c.name === `weft_session_${port}`)
    assert.ok(cookie, 'the session cookie is set')
    assert.equal(cookie.httpOnly, true)
    assert.equal(cookie.sameSite, 'Strict')
    assert.equal(await page.evaluate('document.cookie.includes("weft_session")'), false, 'scripts cannot read the cookie')
    const secret = await page.evaluate('window.localStorage.getItem("weft.session")')
    assert.ok(typeof secret === 'string')
    const post = async (headers: Record<string, string>, body: unknown = { name: 'forged' }): Promise<number> =>
      (await fetch(`${url}/api/v1/networks`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })).status
    const jar = `${cookie.name}=${cookie.value}`
    // Control: with every part the guard lets the request through (the empty body then fails validation).
    assert.equal(await post({ cookie: jar, 'x-weft-session': secret, origin: url }, {}), 400)
    assert.equal(await post({ cookie: jar, origin: url }), 401, 'cookie without the header secret')
    assert.equal(await post({ 'x-weft-session': secret, origin: url }), 401, 'header secret without the cookie')
    assert.equal(await post({ cookie: jar, 'x-weft-session': 'wrong', origin: url }), 401, 'wrong header secret')
    assert.equal(await post({ cookie: jar, 'x-weft-session': secret }), 403, 'no Origin')
    assert.equal(await post({ cookie: jar, 'x-weft-session': secret, origin: 'http://127.0.0.1:1' }), 403, 'foreign Origin')
    assert.equal(await post({ cookie: jar, 'x-weft-session': secret, origin: url, 'sec-fetch-site': 'cross-site' }), 403, 'cross-site fetch')
    // A session cannot mint further login links; only the token holder (weft open) can.
    const mint = await fetch(`${url}/api/v1/session/links`, { method: 'POST', headers: { cookie: jar, 'x-weft-session': secret, origin: url } })
    assert.equal(mint.status, 403)
    // The CLI's bearer path is unchanged.
    assert.equal(await post({ authorization: `Bearer ${token}` }, {}), 400)

    // A real cross-site page on another loopback port, in the same browser (which sends the
    // cookie there: SameSite ignores ports), tries a form post and a fetch.
    const evil: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html')
      res.end(`<!doctype html><form id="f" method="POST" action="${url}/api/v1/networks" enctype="text/plain"><input name='{"name":"forg' value='ed"}'></form>
<script>
fetch(${JSON.stringify(url)} + '/api/v1/networks', { method: 'POST', credentials: 'include', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"name":"forged"}' })
  .catch(() => {}).finally(() => { document.title = 'fetched'; document.getElementById('f').submit() })
</script>`)
    })
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve))
    try {
      const attacker = await context.newPage()
      const form = attacker.waitForURL(`${url}/api/v1/networks`)
      await attacker.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`)
      await form
      assert.match(await attacker.locator('body').innerText(), /FORBIDDEN|UNAUTHORIZED/)
      await attacker.close()
    } finally {
      evil.close()
    }
    const names = await networkNames(alpha)
    assert.equal(names.includes('forged') || names.includes('forg=ed'), false)
  })

  it('shows this device: name, ID with copy and QR code, and the reachability summary or "not available"', async () => {
    const a = pages[0] ?? await signedInPage(context, alpha)
    await goTo(a, 'device')
    assert.equal(await a.getByTestId('device-name').innerText(), 'alpha')
    assert.equal(await a.getByTestId('device-id').innerText(), alpha.deviceId)
    await a.getByRole('button', { name: 'Copy device ID', exact: true }).waitFor()
    await a.getByRole('button', { name: 'QR code', exact: true }).click()
    await a.getByRole('img', { name: `QR code of weft device ID ${alpha.deviceId}` }).waitFor()
    // Before the doctor route lands the view says so; after, it shows the report.
    const { url, token } = await alpha.apiAccess()
    const doctor = await fetch(`${url}/api/v1/doctor`, { headers: { authorization: `Bearer ${token}` } })
    await a.locator(`[data-doctor="${doctor.status === 404 ? 'absent' : 'ready'}"]`).waitFor({ timeout: 60_000 })
    const shown = await a.locator('[data-doctor]').innerText()
    if (doctor.status === 404) assert.match(shown, /Not available/)
    else {
      const report = await doctor.json() as { nat?: { mapping?: string } }
      assert.match(shown, /NAT: /)
      if (report.nat?.mapping === 'unknown') assert.match(shown, /NAT: unknown/)
    }
  })

  it('shows the Syncthing device ID and its QR apart from weft\'s, and adds and removes a Syncthing device', async () => {
    const a = pages[0] ?? await signedInPage(context, alpha)
    await goTo(a, 'device')
    const { id } = await alpha.json<{ id: string }>(['syncthing', 'ls'])
    assert.notEqual(id, alpha.deviceId, 'the Syncthing ID is not weft\'s')
    assert.equal(await a.getByTestId('syncthing-id').innerText(), id)
    await a.getByRole('button', { name: 'Copy Syncthing device ID' }).waitFor()
    await a.getByRole('button', { name: 'Syncthing QR code' }).click()
    await a.getByRole('img', { name: `QR code of Syncthing device ID ${id}` }).waitFor()
    // Another daemon's Syncthing ID stands in for a Syncthing app's.
    const other = (await beta.json<{ id: string }>(['syncthing', 'ls'])).id
    const form = a.getByRole('form', { name: 'Add a Syncthing device' })
    await form.getByLabel('Syncthing device ID').fill(other)
    await form.getByLabel('Name').fill('phone')
    await form.getByRole('button', { name: 'Add device' }).click()
    await a.locator(`[data-syncthing-device="${other}"]`).waitFor()
    assert.deepEqual((await alpha.json<{ devices: Array<{ id: string, name: string }> }>(['syncthing', 'ls'])).devices.map((d) => [d.id, d.name]), [[other, 'phone']])
    await a.getByRole('button', { name: 'Remove Syncthing device phone' }).click()
    await confirmDialog(a, 'Remove')
    await a.locator(`[data-syncthing-device="${other}"]`).waitFor({ state: 'detached' })
    assert.deepEqual((await alpha.json<{ devices: unknown[] }>(['syncthing', 'ls'])).devices, [])
  })

  it('makes an invite in one dashboard, accepts it in the other, and both show the other online', async () => {
    const a = pages[0] ?? await signedInPage(context, alpha)
    await goTo(a, 'networks')
    const b = await signedInPage(context, beta, 'networks')
    pages.push(b)
    // By keyboard: type the name, Enter submits, the dialog takes focus (Cancel first), Tab, Enter.
    await a.locator('input[name="network-name"]').focus()
    await a.keyboard.type('home')
    await a.keyboard.press('Enter')
    await a.locator('dialog[open]').waitFor()
    assert.equal(await a.evaluate('document.activeElement.textContent'), 'Cancel')
    await a.keyboard.press('Tab')
    await a.keyboard.press('Enter')
    const card = a.locator('section[data-network="home"]')
    await card.waitFor()
    await card.getByRole('button', { name: 'Make invite' }).click()
    await confirmDialog(a, 'Make invite')
    const code = await card.getByTestId('invite-code').inputValue()
    assert.match(code, /^weft1/)
    await card.getByRole('img', { name: 'QR code of the invite to home' }).waitFor()

    // A mistyped code is refused with the daemon's clear message, and nothing is joined.
    const typo = code.slice(0, 20) + (code[20] === 'a' ? 'b' : 'a') + code.slice(21)
    await b.locator('#join-code').fill(typo)
    await b.getByRole('button', { name: 'Join', exact: true }).click()
    await confirmDialog(b, 'Join')
    await b.locator('form[aria-labelledby="join-title"] [role="alert"]').filter({ hasText: /invite/i }).waitFor()
    assert.deepEqual(await networkNames(beta), [])
    await b.locator('#join-code').fill(code)
    await b.getByRole('button', { name: 'Join', exact: true }).click()
    await confirmDialog(b, 'Join')
    await b.locator('section[data-network="home"]').waitFor()
    await a.locator('section[data-network="home"] tr[data-member="beta"][data-online="true"]').waitFor({ timeout: 30_000 })
    await b.locator('section[data-network="home"] tr[data-member="alpha"][data-online="true"]').waitFor({ timeout: 30_000 })
    // The row names the path too. Right after a join the two daemons may replace their first
    // connection, and the member shows offline for a moment (seen once in CI, 2026-12-08: the
    // row read "offline, 1 s ago" after it had shown online): wait for the row to say it again.
    await a.locator('tr[data-member="beta"]').filter({ hasText: /online[\s\S]*LAN/ }).waitFor({ timeout: 30_000 })
    assert.match(await a.locator('tr[data-member="beta"]').innerText(), /online[\s\S]*LAN/)
    // The page shows what the daemon says.
    const peers = await alpha.json<Array<{ name: string, online: boolean }>>(['peers'])
    assert.deepEqual(peers.map((p) => [p.name, p.online]), [['beta', true]])
  })

  it('adds a folder on both devices and shows it in sync after files are written', async () => {
    const [a, b] = pages as [Page, Page]
    const dirA = join(dir, 'a')
    const dirB = join(dir, 'b')
    await goTo(a, 'folders')
    await a.locator('input[name="folder-path"]').fill(dirA)
    await a.locator('input[name="folder-id"]').fill('docs')
    await a.locator('#add-folder').getByRole('button', { name: 'Add folder' }).click()
    await confirmDialog(a, 'Add folder')
    await a.locator('section[data-folder="docs"]').waitFor()

    await goTo(b, 'folders')
    await b.getByRole('button', { name: 'Accept folder docs' }).click({ timeout: 30_000 })
    assert.equal(await b.locator('input[name="folder-id"]').inputValue(), 'docs')
    await b.locator('input[name="folder-path"]').fill(dirB)
    await b.locator('#add-folder').getByRole('button', { name: 'Add folder' }).click()
    await confirmDialog(b, 'Add folder')
    await b.locator('section[data-folder="docs"]').waitFor()

    const files = { 'one.txt': 'first file\n', 'two.txt': 'second '.repeat(1000), 'three.md': '# third\n' }
    for (const [name, text] of Object.entries(files)) await writeFile(join(dirA, name), text)
    const synced = b.locator('section[data-folder="docs"][data-state="in-sync"][data-local-files="3"]')
    await synced.waitFor({ timeout: 60_000 })
    assert.match(await synced.innerText(), /Up to date/)
    await a.locator('section[data-folder="docs"][data-state="in-sync"][data-local-files="3"]').waitFor({ timeout: 60_000 })
    for (const [name, text] of Object.entries(files)) assert.equal(await readFile(join(dirB, name), 'utf8'), text)
    const folder = b.locator('section[data-folder="docs"]')
    await folder.getByRole('button', { name: 'Pause' }).click()
    await b.locator('section[data-folder="docs"][data-state="paused"]').waitFor()
    assert.equal((await beta.json<{ state: string }>(['folder', 'status', 'docs'])).state, 'paused')
    await folder.getByRole('button', { name: 'Resume' }).click()
    await b.locator('section[data-folder="docs"][data-state="in-sync"]').waitFor({ timeout: 60_000 })
  })

  it('shows a conflict with both versions', async () => {
    const b = pages[1] as Page
    const dirA = join(dir, 'a')
    const dirB = join(dir, 'b')
    await Promise.all([alpha.json(['folder', 'pause', 'docs']), beta.json(['folder', 'pause', 'docs'])])
    await writeFile(join(dirA, 'one.txt'), 'changed on alpha\n')
    await writeFile(join(dirB, 'one.txt'), 'changed on beta, later\n')
    await Promise.all([alpha.json(['folder', 'resume', 'docs']), beta.json(['folder', 'resume', 'docs'])])
    await Promise.all([alpha.json(['folder', 'rescan', 'docs']), beta.json(['folder', 'rescan', 'docs'])])
    const conflicts = b.locator('section[data-folder="docs"] [data-conflicts]')
    await conflicts.locator('li', { hasText: /one\.txt and one\.sync-conflict-\d{8}-\d{6}-[A-Z0-9]{7}\.txt/ }).waitFor({ timeout: 60_000 })
    const onDisk = (await readdir(dirB)).filter((name) => name.startsWith('one.sync-conflict-'))
    assert.equal(onDisk.length, 1)
    assert.match(await conflicts.innerText(), new RegExp(onDisk[0]!.replace(/\./g, '\\.')))
  })

  it('exposes a service in one dashboard and shows the other where to reach it', async () => {
    const [a, b] = pages as [Page, Page]
    const web: Server = createServer((_req, res) => { res.end('served through weft\n') })
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve))
    try {
      const port = (web.address() as AddressInfo).port
      await goTo(b, 'services')
      const form = b.locator('form[aria-labelledby="expose-title"]')
      await form.getByLabel('Name').fill('web')
      await form.getByLabel('Local TCP port').fill(String(port))
      await form.getByRole('button', { name: 'Expose' }).click()
      await confirmDialog(b, 'Expose')
      await b.locator('tr[data-service="web"]').waitFor()
      await goTo(a, 'services')
      const row = a.locator('tr[data-remote="web"]')
      await row.locator('code', { hasText: /^127\./ }).waitFor({ timeout: 30_000 })
      const address = await row.locator('code', { hasText: /^127\./ }).first().innerText()
      // The address the page gives works.
      assert.equal(await (await fetch(`http://${address}/`)).text(), 'served through weft\n')
    } finally {
      web.close()
    }
  })

  it('shows the catalog with each instance\'s health, and follows a failing check live', async () => {
    const [a] = pages as [Page, Page]
    await goTo(a, 'services')
    // The service beta exposed above is in the catalog, passing, on beta.
    const exposed = a.locator('section[aria-labelledby="catalog-title"] tr[data-instance="web"][data-device="beta"]')
    await exposed.and(a.locator('[data-healthy="true"]')).waitFor({ timeout: 30_000 })
    assert.match(await exposed.innerText(), /weft-expose[\s\S]*passing[\s\S]*web\.svc\.home\.weft/)
    // Its address is beta's stable address on this machine, the one the members' list gives.
    const stable = await a.locator('tr[data-remote="web"] code', { hasText: /^127\./ }).first().innerText()
    assert.equal(await exposed.locator('code', { hasText: /^127\./ }).first().innerText(), stable)

    // A service registered on beta with an HTTP check: healthy while it answers, and shown
    // failing (and out of DNS answers) on alpha's page, without a reload, once it stops.
    const api: Server = createServer((_req, res) => { res.end('ok\n') })
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
    const port = (api.address() as AddressInfo).port
    try {
      const registered = await beta.cli(['catalog', 'register', 'api', '--port', String(port), '--tag', 'v2', '--check-http', `http://127.0.0.1:${port}/`, '--interval', '1s'])
      assert.equal(registered.code, 0, registered.stderr)
      const row = a.locator('section[aria-labelledby="catalog-title"] tr[data-instance="api"]')
      await row.and(a.locator('[data-healthy="true"]')).waitFor({ timeout: 30_000 })
      assert.match(await row.innerText(), /v2[\s\S]*beta[\s\S]*passing[\s\S]*api\.svc\.home\.weft/)
      await new Promise<void>((resolve) => { api.close(() => { resolve() }); api.closeAllConnections() })
      await row.and(a.locator('[data-health="critical"]')).waitFor({ timeout: 30_000 })
      assert.match(await row.innerText(), /critical[\s\S]*not in DNS answers/)
      // The health filter hides it from the healthy list and keeps it in the failing one.
      const filter = a.locator('section[aria-labelledby="catalog-title"]').getByLabel('Health')
      await filter.selectOption('healthy')
      await row.waitFor({ state: 'detached' })
      await filter.selectOption('failing')
      await row.waitFor()
      await filter.selectOption('all')
    } finally {
      api.close()
      await beta.cli(['catalog', 'deregister', 'api'])
    }
    await a.locator('section[aria-labelledby="catalog-title"] tr[data-instance="api"]').waitFor({ state: 'detached', timeout: 30_000 })
  })

  it('draws the mesh: both members and the path between them', async () => {
    const [a, b] = pages as [Page, Page]
    for (const [page, self, other] of [[a, 'alpha', 'beta'], [b, 'beta', 'alpha']] as const) {
      await goTo(page, 'mesh')
      const picture = page.getByTestId('mesh')
      await picture.locator(`g[data-node="${self}"]`).waitFor()
      await picture.locator(`g[data-node="${other}"]`).waitFor()
      await picture.locator(`g.link[data-from="${self}"][data-to="${other}"][data-path="lan"]`).waitFor({ timeout: 30_000 })
      assert.match(await page.locator(`li[data-link="${other}"]`).innerText(), new RegExp(`${self} ↔ ${other}: LAN, RTT`))
    }
  })

  it('draws the links between other members from the tables they share', async () => {
    const a = pages[0] as Page
    const { code } = await alpha.json<{ code: string }>(['net', 'invite', 'home'])
    await gamma.json(['net', 'join', code])
    const picture = a.getByTestId('mesh')
    await picture.locator('g[data-node="gamma"]').waitFor({ timeout: 30_000 })
    // beta and gamma met through alpha's network: alpha draws their link from beta's or gamma's table.
    await picture.locator('g.link.peer[data-pair="beta|gamma"][data-path="lan"]').waitFor({ timeout: 60_000 })
    assert.match(await a.locator('li[data-pair="beta|gamma"]').innerText(), /beta ↔ gamma: LAN, RTT/)
    const links = await beta.json<Array<{ name: string, online: boolean }>>(['peers'])
    assert.equal(links.find((p) => p.name === 'gamma')?.online, true, 'the daemons agree that beta and gamma are linked')
  })

  it('removes a member only after confirmation', async () => {
    const a = pages[0] as Page
    await goTo(a, 'networks')
    const row = a.locator('section[data-network="home"] tr[data-member="gamma"]')
    await row.getByRole('button', { name: 'Remove gamma from home' }).click()
    await confirmDialog(a, 'Cancel')
    assert.equal(await row.count(), 1)
    await row.getByRole('button', { name: 'Remove gamma from home' }).click()
    await confirmDialog(a, 'Remove')
    await row.waitFor({ state: 'detached', timeout: 30_000 })
    const members = await alpha.json<Array<{ name: string }>>(['net', 'members', 'home'])
    assert.deepEqual(members.map((m) => m.name).sort(), ['alpha', 'beta'])
  })

  it('carries on through a daemon restart without a reload', async () => {
    const a = pages[0] as Page
    await goTo(a, 'networks')
    await a.locator('[data-stream="live"]').waitFor()
    await a.evaluate('window.survivor = 42')
    // Restart on the same API port (a person's daemon keeps 7557; test daemons start on port 0).
    const { url } = await alpha.apiAccess()
    const configPath = join(alpha.home, 'config.json')
    const config = JSON.parse(await readFile(configPath, 'utf8')) as { api: { port: number } }
    config.api.port = Number(new URL(url).port)
    await writeFile(configPath, JSON.stringify(config, null, 2))
    await alpha.stop()
    await a.locator('[data-stream="reconnecting"]').waitFor({ timeout: 30_000 })
    await alpha.start()
    await a.locator('[data-stream="live"]').waitFor({ timeout: 60_000 })
    await alpha.json(['net', 'create', 'after-restart'])
    await a.locator('section[data-network="after-restart"]').waitFor({ timeout: 30_000 })
    assert.equal(await a.evaluate('window.survivor'), 42, 'the page was not reloaded')
  })

  it('ran every page under its CSP without a violation or a script error', () => {
    assert.ok(pages.length >= 2)
    assert.deepEqual(problems, [])
  })
})
