/**
 * What every command needs: the chosen home, whether to print JSON, and a client of the
 * daemon's API.
 */
import type { Command } from 'commander'
import { resolveHome } from '../daemon/home.js'
import { ApiClient } from './client.js'

/** Global options, accepted anywhere on the command line. */
export interface GlobalOptions {
  home?: string
  json?: boolean
}

/** Per-invocation context derived from the global options. */
export interface CliContext {
  home: string
  json: boolean
  client: () => Promise<ApiClient>
}

/** Builds the context of the running command. */
export function contextOf (command: Command): CliContext {
  const options = command.optsWithGlobals<GlobalOptions>()
  const home = resolveHome(options.home)
  return { home, json: options.json === true, client: async () => await ApiClient.fromHome(home) }
}
