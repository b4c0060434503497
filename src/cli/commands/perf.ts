/**
 * `weft perf DEVICE`: measures stream throughput to a member (like iperf).
 */
import type { Command } from 'commander'
import { InvalidArgumentError } from 'commander'
import type { PerfResult } from '../../features/perf.js'
import { contextOf } from '../context.js'
import { printJson } from '../output.js'

/** Parses sizes such as `512K`, `100M`, `1G` (powers of 1024). */
export function parseSize (text: string): number {
  const match = /^(\d+)([KMG]?)i?B?$/i.exec(text.trim())
  if (match === null) throw new InvalidArgumentError('expected a size such as 100M or 1G')
  const unit = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[(match[2] ?? '').toUpperCase() as '' | 'K' | 'M' | 'G']
  return Number(match[1]) * unit
}

/** Registers `perf`. */
export function registerPerfCommand (program: Command): void {
  program.command('perf <device>').description('measure stream throughput to a member (device ID or name)')
    .option('--bytes <size>', 'how much to send (e.g. 100M, 1G)', parseSize, 100 * 1024 ** 2)
    .option('--mesh', 'use a stream of the shared mesh connection, as most protocols do (default: a direct stream when the path allows, as service reach uses)')
    .action(async (device: string, flags: { bytes: number, mesh?: boolean }, command: Command) => {
      const ctx = contextOf(command)
      const result = await (await ctx.client()).request<PerfResult>('POST', '/perf', { device, bytes: flags.bytes, stream: flags.mesh === true ? 'mesh' : 'direct' })
      if (ctx.json) printJson(result)
      else process.stdout.write(`${(result.bytes / 1024 ** 2).toFixed(0)} MiB in ${result.seconds.toFixed(2)} s: ${result.megabytesPerSecond.toFixed(0)} MB/s (${result.stream} stream)\n`)
    })
}
