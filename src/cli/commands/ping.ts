/**
 * `weft ping DEVICE [-c N]` (after `tailscale ping`): per attempt, the path the round trip took
 * (LAN, direct, or a relay and whose) and its RTT. Without -c it stops at the first answer
 * over a LAN or direct path (at most 10 attempts), so a relayed path turning direct shows.
 */
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import { setTimeout as sleep } from 'node:timers/promises'
import { toWeftError } from '../../core/errors.js'
import type { PingResult } from '../../features/ping.js'
import { contextOf } from '../context.js'
import { printJson } from '../output.js'

/** Attempts without -c. */
const defaultAttempts = 10
/** Pause between attempts. */
const intervalMs = 1000

/** One attempt as `--json` prints it. */
export type PingAttempt = ({ ok: true } & PingResult) | { ok: false, error: { code: string, message: string } }

function count (value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new InvalidArgumentError('expected a whole number from 1 to 10000')
  return n
}

/** The line printed for one answer. */
export function pongLine (r: PingResult): string {
  const relay = [r.relayName, r.relay === null ? null : `(${r.relay.slice(0, 7)})`].filter((s) => s !== null).join(' ')
  const via = r.path === 'relay' ? `relay ${relay || '(unknown)'}` : [r.path, ...r.addresses.slice(0, 1)].join(' ')
  return `pong from ${r.name} (${r.deviceId.slice(0, 7)}) via ${via} in ${r.rttMs} ms`
}

/** Registers `ping`. */
export function registerPingCommand (program: Command): void {
  program.command('ping <device>').description('round trips to a member: path (lan, direct, relay through whom) and RTT of each')
    .option('-c, --count <n>', `attempts (default: until a LAN or direct answer, at most ${defaultAttempts})`, count)
    .action(async (device: string, flags: { count?: number }, command: Command) => {
      const ctx = contextOf(command)
      const client = await ctx.client()
      const attempts: PingAttempt[] = []
      const total = flags.count ?? defaultAttempts
      for (let i = 0; i < total; i++) {
        if (i > 0) await sleep(intervalMs)
        try {
          const result = await client.request<PingResult>('POST', '/ping', { device })
          attempts.push({ ok: true, ...result })
          if (!ctx.json) process.stdout.write(pongLine(result) + '\n')
          if (flags.count === undefined && result.path !== 'relay') break
        } catch (err) {
          const e = toWeftError(err)
          // A member that does not answer is one attempt's outcome; anything else ends the command.
          if (e.code !== 'PEER_UNREACHABLE' && e.code !== 'TIMEOUT') throw e
          attempts.push({ ok: false, error: e.toJSON() })
          if (!ctx.json) process.stdout.write(`no answer from ${device}: ${e.message}\n`)
        }
      }
      if (ctx.json) printJson(attempts)
      if (!attempts.some((a) => a.ok)) {
        process.stderr.write(`weft: ${device} did not answer (${attempts.length} ${attempts.length === 1 ? 'attempt' : 'attempts'})\n`)
        process.exitCode = 1
      }
    })
}
