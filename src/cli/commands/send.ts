/**
 * `weft send FILE... [--to DEVICE]` and `weft receive CODE [--dir DIR]`: one-shot transfers
 * with a short code (or straight to a member), a progress line on a terminal, resume by
 * running the same receive again, and a SHA-256 check at the end.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { WeftError } from '../../core/errors.js'
import type { TransferView } from '../../features/reach/transfer.js'
import type { ApiClient } from '../client.js'
import type { CliContext } from '../context.js'
import { contextOf } from '../context.js'
import { printJson } from '../output.js'

function mib (n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

/** Polls a transfer until it is done or failed, with a progress line on a terminal. */
async function follow (ctx: CliContext, client: ApiClient, id: string): Promise<TransferView> {
  const started = Date.now()
  for (;;) {
    const t = await client.request<TransferView>('GET', `/transfers/${id}`)
    if (process.stderr.isTTY && !ctx.json && t.state !== 'waiting') {
      const done = Math.min(t.bytesDone, t.bytesTotal)
      const rate = done / Math.max(0.001, (Date.now() - started) / 1000)
      const eta = rate > 0 ? Math.round((t.bytesTotal - done) / rate) : null
      process.stderr.write(`\r\x1b[K${mib(done)} of ${mib(t.bytesTotal)} (${t.bytesTotal === 0 ? 100 : Math.floor(done / t.bytesTotal * 100)}%), ${mib(rate)}/s${eta === null ? '' : `, ETA ${eta}s`}`)
    }
    if (t.state === 'done' || t.state === 'error') {
      if (process.stderr.isTTY && !ctx.json) process.stderr.write('\n')
      if (t.state === 'error') throw new WeftError('PROTOCOL_ERROR', t.error ?? 'transfer failed')
      return t
    }
    await new Promise((resolve) => setTimeout(resolve, 300))
  }
}

/** Registers `send` and `receive`. */
export function registerSendCommands (program: Command): void {
  program.command('send <files...>').description('send files to another member: prints a short code for weft receive, unless --to')
    .option('--to <device>', 'send straight to this member (device ID or name); it lands in its inbox')
    .action(async (files: string[], flags: { to?: string }, command: Command) => {
      const ctx = contextOf(command)
      const client = await ctx.client()
      const t = await client.request<TransferView>('POST', '/send', { paths: files.map((f) => resolve(f)), to: flags.to })
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
      else process.stdout.write(`received ${done.files.join(', ')} (${mib(done.bytesTotal)}, SHA-256 checked) into ${resolve(flags.dir)}\n`)
    })
}
