/**
 * `weft open`: asks the daemon for a one-time dashboard login link, prints it and, on a
 * desktop, opens it in the default browser.
 */
import { spawn } from 'node:child_process'
import type { Command } from 'commander'
import { contextOf } from '../context.js'
import { printJson } from '../output.js'

/** Answer of `POST /api/v1/session/links`. */
interface LoginLink { url: string, expiresAt: number }

function launcher (): string | undefined {
  if (process.platform === 'darwin') return 'open'
  if (process.platform === 'linux' && (process.env.DISPLAY !== undefined || process.env.WAYLAND_DISPLAY !== undefined)) return 'xdg-open'
  return undefined
}

/** Registers `open`. */
export function registerOpenCommand (program: Command): void {
  program.command('open')
    .description('print a one-time link (valid 15 min) that signs a browser in to the dashboard, and open it on a desktop')
    .option('--print', 'only print the link, do not start a browser')
    .action(async (flags: { print?: boolean }, command: Command) => {
      const ctx = contextOf(command)
      const link = await (await ctx.client()).request<LoginLink>('POST', '/session/links')
      if (ctx.json) return printJson(link)
      process.stdout.write(`${link.url}\n(one-time sign-in link for the dashboard, valid until ${new Date(link.expiresAt).toLocaleTimeString()})\n`)
      const open = flags.print === true ? undefined : launcher()
      if (open === undefined) return
      const child = spawn(open, [link.url], { stdio: 'ignore', detached: true })
      child.on('error', () => { process.stderr.write(`weft: could not start ${open}; open the link above by hand\n`) })
      child.unref()
    })
}
