/**
 * `weft init`: creates a home directory with a fresh device key and a default config.
 * Refuses to touch a home that already has either.
 */
import { mkdir, chmod } from 'node:fs/promises'
import { WeftError } from '../core/errors.js'
import { readFileIfExists } from '../core/atomic-file.js'
import { generateDeviceKey, saveDeviceKey } from '../identity/device-key.js'
import type { DeviceId } from '../core/ids.js'
import { defaultConfig, saveConfig, validateConfig } from './config.js'
import type { Config } from './config.js'
import { homePaths } from './home.js'

/** Options of {@link initHome}. */
export interface InitOptions {
  /** Device name (default: the host name). */
  name?: string
  /** Changes applied over the default config (validated). */
  configure?: (config: Config) => Config
}

/** True when `root` already holds an identity or a config. */
export async function isInitialized (root: string): Promise<boolean> {
  const paths = homePaths(root)
  return (await readFileIfExists(paths.deviceKey)) !== undefined || (await readFileIfExists(paths.config)) !== undefined
}

/** Initializes `root`; returns the new device ID. */
export async function initHome (root: string, options: InitOptions = {}): Promise<{ deviceId: DeviceId, config: Config }> {
  const paths = homePaths(root)
  if (await isInitialized(root)) throw new WeftError('ALREADY_EXISTS', `${root} is already initialized (it has a device key or config); refusing to overwrite it`)
  const base = defaultConfig(options.name)
  const config = validateConfig(options.configure?.(base) ?? base, 'config')
  await mkdir(root, { recursive: true, mode: 0o700 })
  await chmod(root, 0o700)
  const key = generateDeviceKey()
  await saveDeviceKey(paths.deviceKey, key)
  await saveConfig(paths.config, config)
  return { deviceId: key.deviceId, config }
}
