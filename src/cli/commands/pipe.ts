/**
 * `weft pipe TOPIC`: this process's stdin goes to the other end of the topic and the other
 * end's stdin comes out on stdout (like airpipe). Either end can start first. Streams through
 * the daemon's API as one full-duplex HTTP request.
 */
import { request } from 'node:http'
import type { IncomingMessage } from 'node:http'
import type { Command } from 'commander'
import { WeftError, isErrorCode } from '../../core/errors.js'
import { contextOf } from '../context.js'

async function errorOf (response: IncomingMessage): Promise<WeftError> {
  const parts: Buffer[] = []
  for await (const chunk of response) parts.push(chunk as Buffer)
  try {
    const error = (JSON.parse(Buffer.concat(parts).toString('utf8')) as { error?: { code?: unknown, message?: unknown } }).error
    return new WeftError(isErrorCode(error?.code) ? error.code : 'INTERNAL', typeof error?.message === 'string' ? error.message : `HTTP ${response.statusCode ?? '?'}`)
  } catch {
    return new WeftError('PROTOCOL_ERROR', `the daemon answered ${response.statusCode ?? '?'}`)
  }
}

/** Registers `pipe`. */
export function registerPipeCommand (program: Command): void {
  program.command('pipe <topic>').description('join stdin/stdout with the other end of TOPIC on another member (either end may start first)')
    .option('--net <name>', 'network (optional when this device is in one)')
    .action(async (topic: string, flags: { net?: string }, command: Command) => {
      const ctx = contextOf(command)
      const client = await ctx.client()
      const url = new URL(`${client.url}/api/v1/pipes/${encodeURIComponent(topic)}${flags.net === undefined ? '' : `?net=${encodeURIComponent(flags.net)}`}`)
      const req = request(url, { method: 'POST', headers: { authorization: client.authorization, 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' } })
      if (process.stderr.isTTY && !ctx.json) process.stderr.write(`waiting for the other end of "${topic}"...\n`)
      const response = await new Promise<IncomingMessage>((resolve, reject) => {
        req.once('response', resolve)
        req.once('error', (err) => { reject(new WeftError('DAEMON_NOT_RUNNING', `cannot reach the weft daemon at ${client.url} (${err.message})`)) })
        // stdin flows at once; the daemon holds it (backpressure) until the pipe is joined.
        process.stdin.pipe(req)
      })
      if (response.statusCode !== 200) throw await errorOf(response)
      if (process.stderr.isTTY && !ctx.json) {
        const id = String(response.headers['x-weft-peer'] ?? '?').slice(0, 7)
        const name = response.headers['x-weft-peer-name']
        process.stderr.write(`joined with ${typeof name === 'string' ? `${decodeURIComponent(name)} (${id})` : id}\n`)
      }
      for await (const chunk of response) {
        if (!process.stdout.write(chunk as Buffer)) await new Promise((resolve) => process.stdout.once('drain', resolve))
      }
    })
}
