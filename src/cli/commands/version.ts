/**
 * `weft version`: this program's version, Node's and the platform; the running daemon's
 * version (it may be older than the CLI after an upgrade) and its members' when one runs.
 */
import type { Command } from 'commander'
import { toWeftError } from '../../core/errors.js'
import type { StatusView } from '../../daemon/api/types.js'
import type { MemberView } from '../../network/views.js'
import { weftVersion } from '../../version.js'
import { contextOf } from '../context.js'
import { printJson, printTable } from '../output.js'

/** What `weft version --json` prints. */
export interface VersionView {
  version: string
  node: string
  platform: string
  arch: string
  /** The daemon of the chosen home, or why it could not be asked. */
  daemon: { version: string, pid: number, home: string } | { error: string }
  /** Members and the versions they announced (null: offline or unknown). */
  members: Array<{ name: string, deviceId: string, online: boolean, version: string | null }>
}

/** Registers `version`. */
export function registerVersionCommand (program: Command): void {
  program.command('version').description('versions of weft, Node, the running daemon and its members')
    .action(async (_flags: unknown, command: Command) => {
      const ctx = contextOf(command)
      const view: VersionView = { version: weftVersion, node: process.versions.node, platform: process.platform, arch: process.arch, daemon: { error: 'not asked' }, members: [] }
      try {
        const client = await ctx.client()
        const status = await client.request<StatusView>('GET', '/status')
        view.daemon = { version: status.version, pid: status.pid, home: status.home }
        view.members = (await client.request<MemberView[]>('GET', '/peers')).map((p) => ({ name: p.name, deviceId: p.deviceId, online: p.online, version: p.version ?? null }))
      } catch (err) {
        view.daemon = { error: toWeftError(err).message }
      }
      if (ctx.json) return printJson(view)
      process.stdout.write([
        `weft    ${view.version}`,
        `node    ${view.node} (${view.platform} ${view.arch})`,
        `daemon  ${'version' in view.daemon ? `weft ${view.daemon.version}, pid ${view.daemon.pid}, ${view.daemon.home}` : view.daemon.error}`
      ].join('\n') + '\n')
      if (view.members.length > 0) {
        process.stdout.write('\n')
        printTable(['MEMBER', 'DEVICE', 'VERSION'], view.members.map((m) => [m.name, m.deviceId.slice(0, 7), m.version ?? (m.online ? 'unknown' : 'offline')]))
      }
    })
}
