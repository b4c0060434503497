/**
 * `weft send FILE|DIR... [--to DEVICE] [--text MSG]`, `weft receive CODE [--dir DIR]` and
 * `weft inbox`: one-shot transfers
 * with a short code (or straight to a member), a progress line on a terminal, resume by
 * running the same receive again, and a SHA-256 check at the end.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { WeftError } from '../../core/errors.js'
import type { TransferView } from '../../features/reach/transfer.js'
import type { InboxEntry } from '../../features/reach/transfer-files.js'
import type { ApiClient } from '../client.js'
import type { CliContext } from '../context.js'
import { contextOf } from '../context.js'
import { printJson } from '../output.js'

function mib (n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

function progressLine (t: TransferView, started: number): string {
  const done = Math.min(t.bytesDone, t.bytesTotal)
  const rate = done / Math.max(0.001, (Date.now() - started) / 1000)
  const eta = rate > 0 ? Math.round((t.bytesTotal - done) / rate) : null
  return `${mib(done)} of ${mib(t.bytesTotal)} (${t.bytesTotal === 0 ? 100 : Math.floor(done / t.bytesTotal * 100)}%), ${mib(rate)}/s${eta === null ? '' : `, ETA ${eta}s`}`
}

/**
 * Polls a transfer until it is done or failed. Progress goes to stderr: redrawn on a terminal,
 * otherwise a plain line every 10 s (none with --json).
 */
async function follow (ctx: CliContext, client: ApiClient, id: string): Promise<TransferView> {
  const started = Date.now()
  let lastPlain = started
  const tty = process.stderr.isTTY
  for (;;) {
    const t = await client.request<TransferView>('GET', `/transfers/${id}`)
    if (!ctx.json && t.state === 'transferring') {
      if (tty) process.stderr.write(`\r\x1b[K${progressLine(t, started)}`)
      else if (Date.now() - lastPlain >= 10_000) {
        lastPlain = Date.now()
        process.stderr.write(`${progressLine(t, started)}\n`)
      }
    }
    if (t.state === 'done' || t.state === 'error') {
      if (tty && !ctx.json) process.stderr.write('\n')
      if (t.state === 'error') throw new WeftError('PROTOCOL_ERROR', t.error ?? 'transfer failed')
      return t
    }
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
}

/** Registers `send` and `receive`. */
export function registerSendCommands (program: Command): void {
  program.command('send [files...]').description('send files or directories to another member: prints a short code for weft receive, unless --to')
    .option('--to <device>', 'send straight to this member (device ID or name); it lands in its inbox')
    .option('--text <message>', 'send a short message instead of files')
    .action(async (files: string[], flags: { to?: string, text?: string }, command: Command) => {
      const ctx = contextOf(command)
      if (files.length === 0 && flags.text === undefined) throw new WeftError('INVALID_ARGUMENT', 'nothing to send: give files or directories, or --text MESSAGE')
      const client = await ctx.client()
      const t = await client.request<TransferView>('POST', '/send', { paths: files.map((f) => resolve(f)), to: flags.to, text: flags.text })
      // --json: with a code, the offer (holding the code) is printed at once and the exit status
      // tells how it ended; with --to, the finished transfer is printed.
      if (ctx.json && t.code !== null) printJson(t)
      else if (t.code !== null) process.stdout.write(`on the other device, run: weft receive ${t.code}\n`)
      else if (!ctx.json) process.stdout.write(`sending ${t.files.join(', ')} to ${flags.to ?? ''}\n`)
      const done = await follow(ctx, client, t.id)
      if (ctx.json && t.code === null) printJson(done)
      else if (!ctx.json) process.stdout.write(`sent ${done.files.length} file(s), ${mib(done.bytesTotal)}\n`)
    })

  program.command('receive <code>').description('receive the files offered under CODE (run again to resume)')
    .option('--dir <dir>', 'where to put them', '.')
    .action(async (code: string, flags: { dir: string }, command: Command) => {
      const ctx = contextOf(command)
      const client = await ctx.client()
      const t = await client.request<TransferView>('POST', '/receive', { code, dir: resolve(flags.dir) })
      const done = await follow(ctx, client, t.id)
      if (ctx.json) printJson(done)
      else if (done.text !== null) process.stdout.write(`${done.text}${done.text.endsWith('\n') ? '' : '\n'}`)
      else process.stdout.write(`received ${done.files.join(', ')} (${mib(done.bytesTotal)}, SHA-256 checked) into ${resolve(flags.dir)}\n`)
    })

  program.command('inbox').description('list what this device has received (name, size, from whom, when, where it is)')
    .action(async (_flags: unknown, command: Command) => {
      const ctx = contextOf(command)
      const client = await ctx.client()
      const entries = await client.request<InboxEntry[]>('GET', '/inbox')
      if (ctx.json) { printJson(entries); return }
      if (entries.length === 0) { process.stdout.write('nothing received yet\n'); return }
      for (const e of entries) {
        const where = e.path ?? (e.text !== undefined ? `text: ${JSON.stringify(e.text.length > 60 ? `${e.text.slice(0, 60)}...` : e.text)}` : '-')
        process.stdout.write(`${e.at}  ${e.from.slice(0, 7)}  ${mib(e.size).padStart(10)}  ${e.name}  ${where}\n`)
      }
    })
}
