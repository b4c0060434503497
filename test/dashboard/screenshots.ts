/**
 * `npm run screenshots`: starts three real daemons on loopback ("laptop", "server", "phone"),
 * puts them in a network with a synced folder, an exposed service and catalog entries (one
 * healthy, one failing), and saves the dashboard's main views as PNGs under docs/ (embedded in
 * the README). Regenerate after UI changes.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formNetwork, startTestnet, waitFor, waitForOnline } from '../../src/testing/index.js'
import type { TestDaemon } from '../../src/testing/index.js'
import { browserMissing, goTo, launchBrowser, signedInPage } from './browser.js'

const docs = fileURLToPath(new URL('../../../docs/', import.meta.url))

async function main (): Promise<void> {
  const missing = browserMissing()
  if (missing !== undefined) throw new Error(`cannot take screenshots: ${missing}`)
  const net = await startTestnet(3, { names: ['laptop', 'server', 'phone'] })
  const dir = await mkdtemp(join(tmpdir(), 'weft-shots-'))
  const web = createServer((_req, res) => { res.end('hello from the server\n') })
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve))
  const browser = await launchBrowser()
  try {
    const [laptop, server, phone] = net.daemons as [TestDaemon, TestDaemon, TestDaemon]
    await formNetwork([laptop, server, phone], 'home')
    await waitForOnline(laptop, [server.deviceId, phone.deviceId])
    await waitForOnline(server, [laptop.deviceId, phone.deviceId])
    await mkdir(join(dir, 'laptop'))
    for (let i = 0; i < 12; i++) await writeFile(join(dir, 'laptop', `note-${i}.txt`), `note ${i}\n`.repeat(2000 * (i + 1)))
    await laptop.json(['folder', 'add', join(dir, 'laptop'), '--net', 'home', '--id', 'notes'])
    await server.json(['folder', 'add', join(dir, 'server'), '--net', 'home', '--id', 'notes'])
    await server.json(['expose', String((web.address() as AddressInfo).port), '--name', 'web', '--net', 'home'])
    await waitFor('the folder in sync', async () => {
      const folder = await laptop.json<{ need: { files: number }, state: string, peers: string[] }>(['folder', 'status', 'notes'])
      const other = await server.json<{ need: { files: number }, state: string, local: { files: number } }>(['folder', 'status', 'notes'])
      return folder.peers.length > 0 && other.state === 'idle' && other.need.files === 0 && other.local.files === 12
    }, 60_000, 200)
    await waitFor('the service listed', async () => (await laptop.json<{ remote: unknown[] }>(['services', 'ls'])).remote.length > 0, 30_000, 200)
    // Catalog entries: one healthy (its check reaches the web server), one failing (nothing listens).
    const webPort = String((web.address() as AddressInfo).port)
    await phone.json(['catalog', 'register', 'api', '--port', webPort, '--net', 'home', '--tag', 'v2', '--check-http', `http://127.0.0.1:${webPort}/`, '--interval', '1s'])
    await server.json(['catalog', 'register', 'db', '--port', '1', '--net', 'home', '--tag', 'primary', '--check-tcp', '127.0.0.1:1', '--interval', '1s'])

    const context = await browser.newContext({ viewport: { width: 1200, height: 820 }, colorScheme: 'light' })
    const page = await signedInPage(context, laptop)
    await page.getByRole('button', { name: 'QR code' }).click()
    await page.locator('[data-doctor]:not([data-doctor="loading"])').waitFor()
    await page.screenshot({ path: join(docs, 'dashboard-device.png'), fullPage: true })
    await goTo(page, 'networks')
    await page.locator('tr[data-member="server"][data-online="true"]').waitFor()
    await page.locator('tr[data-member="phone"][data-online="true"]').waitFor()
    await page.getByRole('button', { name: 'Make invite' }).click()
    await page.locator('dialog[open]').getByRole('button', { name: 'Make invite' }).click()
    await page.getByTestId('invite-code').waitFor()
    await page.screenshot({ path: join(docs, 'dashboard-networks.png'), fullPage: true })
    await goTo(page, 'mesh')
    await page.locator('g.link.peer[data-pair="phone|server"]').waitFor({ timeout: 30_000 })
    await page.screenshot({ path: join(docs, 'dashboard-mesh.png'), fullPage: true })
    await goTo(page, 'folders')
    await page.locator('section[data-folder="notes"][data-state="in-sync"]').waitFor()
    await page.screenshot({ path: join(docs, 'dashboard-folders.png'), fullPage: true })
    await goTo(page, 'services')
    await page.locator('tr[data-remote="web"]').waitFor()
    await page.locator('tr[data-instance="api"][data-healthy="true"]').waitFor({ timeout: 30_000 })
    await page.locator('tr[data-instance="db"][data-health="critical"]').waitFor({ timeout: 30_000 })
    await page.screenshot({ path: join(docs, 'dashboard-services.png'), fullPage: true })

    const handset = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'dark' })
    const small = await signedInPage(handset, server, 'networks')
    await small.locator('tr[data-member="laptop"][data-online="true"]').waitFor()
    await small.screenshot({ path: join(docs, 'dashboard-phone.png') })
    const stranger = await (await browser.newContext({ viewport: { width: 800, height: 500 } })).newPage()
    await stranger.goto((await laptop.apiAccess()).url)
    await stranger.getByRole('heading', { name: 'Sign in to this dashboard' }).waitFor()
    await stranger.screenshot({ path: join(docs, 'dashboard-login.png') })
    console.log(`screenshots saved in ${docs}`)
  } finally {
    await browser.close()
    web.close()
    await net.stop()
    await rm(dir, { recursive: true, force: true })
  }
}

await main()
