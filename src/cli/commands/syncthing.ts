/**
 * `weft syncthing ...`: this device as Syncthing devices see it. `weft syncthing id` prints the
 * Syncthing device ID (from the certificate in the home, created on first use; no daemon needed).
 */
import type { Command } from 'commander'
import { WeftError } from '../../core/errors.js'
import { loadDeviceKey } from '../../identity/device-key.js'
import { loadOrCreateSyncthingIdentity } from '../../identity/syncthing-cert.js'
import { homePaths } from '../../daemon/home.js'
import { contextOf } from '../context.js'
import { printJson } from '../output.js'

/** Registers the `syncthing` command group. */
export function registerSyncthingCommands (program: Command): void {
  const syncthing = program.command('syncthing').description('this device as a Syncthing device')
  syncthing.command('id').description('this device\'s Syncthing device ID (SHA-256 of its certificate)').action(async (_flags: unknown, command: Command) => {
    const ctx = contextOf(command)
    // Only an initialized home gets a Syncthing identity (so a typo in --home creates nothing).
    await loadDeviceKey(homePaths(ctx.home).deviceKey).catch((err: unknown) => {
      throw err instanceof WeftError ? err : new WeftError('NOT_INITIALIZED', `${ctx.home} is not a weft home (run weft init)`)
    })
    const { deviceId } = await loadOrCreateSyncthingIdentity(ctx.home)
    if (ctx.json) printJson({ syncthingDeviceId: deviceId })
    else process.stdout.write(deviceId + '\n')
  })
}
