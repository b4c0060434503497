/**
 * The device's home directory and the files in it. `--home`, then `WEFT_HOME`, then
 * `$XDG_DATA_HOME/weft`, then `~/.local/share/weft`.
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

/** Paths of everything weft keeps in a home directory. */
export interface HomePaths {
  root: string
  config: string
  deviceKey: string
  networks: string
  /** Written by a running daemon: its API URL and pid. */
  apiInfo: string
  /** Written by a running daemon: the API bearer token (0600). */
  apiToken: string
  log: string
  /** Held by the running daemon: its pid. */
  lock: string
}

/** Picks the home directory from the flag, the environment and the XDG default. */
export function resolveHome (flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return resolve(flag)
  if (env.WEFT_HOME !== undefined && env.WEFT_HOME !== '') return resolve(env.WEFT_HOME)
  const xdg = env.XDG_DATA_HOME !== undefined && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share')
  return join(xdg, 'weft')
}

/** The paths inside `root`. */
export function homePaths (root: string): HomePaths {
  return {
    root,
    config: join(root, 'config.json'),
    deviceKey: join(root, 'device.key'),
    networks: join(root, 'networks'),
    apiInfo: join(root, 'api.json'),
    apiToken: join(root, 'api.token'),
    log: join(root, 'weft.log'),
    lock: join(root, 'daemon.lock')
  }
}

/** The command line that reaches `root` (`weft`, or `weft --home ROOT` when it is not the default home). */
export function weftCommandFor (root: string, env: NodeJS.ProcessEnv = process.env): string {
  if (resolveHome(undefined, env) === root) return 'weft'
  return `weft --home ${/^[\w@%+=:,./-]+$/.test(root) ? root : `'${root.replaceAll("'", "'\\''")}'`}`
}
