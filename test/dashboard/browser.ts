/**
 * Driving the dashboard in Debian's Chromium with playwright-core (never a downloaded
 * browser): launch, sign in through `weft open`, wait for what a person would see.
 * Shared by the end-to-end test and the screenshot script.
 */
import { existsSync } from 'node:fs'
import { chromium } from 'playwright-core'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import type { TestDaemon } from '../../src/testing/index.js'

/** Where Debian installs Chromium. */
export const chromiumPath = process.env.WEFT_CHROMIUM ?? '/usr/bin/chromium'

/** Why the browser tests cannot run here, or undefined when they can. */
export function browserMissing (): string | undefined {
  return existsSync(chromiumPath) ? undefined : `${chromiumPath} not found (install Debian's chromium package: .ci/run does when root)`
}

/** Starts headless Chromium with everything that would reach beyond loopback turned off. */
export async function launchBrowser (): Promise<Browser> {
  return await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']
  })
}

/** Asks `daemon` for a one-time login link, as a person does with `weft open`. */
export async function loginLink (daemon: TestDaemon): Promise<string> {
  const { url } = await daemon.json<{ url: string }>(['open', '--print'])
  return url
}

/** Opens a page of `context` signed in to `daemon`'s dashboard, on `section`. */
export async function signedInPage (context: BrowserContext, daemon: TestDaemon, section = 'device'): Promise<Page> {
  const page = await context.newPage()
  await page.goto(await loginLink(daemon))
  await page.getByRole('navigation', { name: 'Sections' }).waitFor()
  await goTo(page, section)
  return page
}

/** Follows the navigation link of `section`. */
export async function goTo (page: Page, section: string): Promise<void> {
  await page.locator(`nav a[href="#/${section}"]`).click()
  await page.locator(`nav a[href="#/${section}"][aria-current="page"]`).waitFor()
}

/** Clicks the confirm button of the open confirmation dialog. */
export async function confirmDialog (page: Page, action: string): Promise<void> {
  const dialog = page.locator('dialog[open]')
  await dialog.waitFor()
  await dialog.getByRole('button', { name: action, exact: true }).click()
  await page.locator('dialog[open]').waitFor({ state: 'hidden' })
}
