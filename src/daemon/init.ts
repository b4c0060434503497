/**
 * `weft init`: creates a home directory with a fresh device key and a default config.
 * Refuses to touch a home that already has either. Default ports that are taken are replaced
 * by free ones, and the ports nobody gave are marked as weft's to move later (ports.ts).
 */
import { mkdir, chmod } from 'node:fs/promises'
import { WeftError } from '../core/errors.js'
import { readFileIfExists } from '../core/atomic-file.js'
import { generateDeviceKey, saveDeviceKey } from '../identity/device-key.js'
import type { DeviceId } from '../core/ids.js'
import { defaultConfig, portKeys, saveConfig, validateConfig } from './config.js'
import type { Config } from './config.js'
import { overlayConfig, overlayPorts } from './config-overlay.js'
import type { ConfigOverlay } from './config-overlay.js'
import { homePaths } from './home.js'
import { pickFreePorts, probeBind } from './ports.js'
import type { PortMove, Probe } from './ports.js'

/** Options of {@link initHome}. */
export interface InitOptions {
  /** Device name (default: the host name). */
  name?: string
  /** Settings laid over the default config (validated); the ports it gives are kept as given, weft picks the others. */
  overlay?: ConfigOverlay
  /** How ports are probed (default: binding them). */
  probe?: Probe
}

/** True when `root` already holds an identity or a config. */
export async function isInitialized (root: string): Promise<boolean> {
  const paths = homePaths(root)
  return (await readFileIfExists(paths.deviceKey)) !== undefined || (await readFileIfExists(paths.config)) !== undefined
}

/** Initializes `root`; returns the new device ID. */
export async function initHome (root: string, options: InitOptions = {}): Promise<{ deviceId: DeviceId, config: Config, portMoves: PortMove[] }> {
  const paths = homePaths(root)
  if (await isInitialized(root)) throw new WeftError('ALREADY_EXISTS', `${root} is already initialized (it has a device key or config); refusing to overwrite it`)
  const base = defaultConfig(options.name)
  const overlay = options.overlay ?? {}
  const given = validateConfig(overlayConfig(overlay)(base), 'config')
  const auto = portKeys.filter((k) => !overlayPorts(overlay).includes(k))
  const picked = await pickFreePorts({ ...given, autoPorts: auto }, auto, options.probe ?? probeBind)
  const config = picked.config
  await mkdir(root, { recursive: true, mode: 0o700 })
  await chmod(root, 0o700)
  const key = generateDeviceKey()
  await saveDeviceKey(paths.deviceKey, key)
  await saveConfig(paths.config, config)
  return { deviceId: key.deviceId, config, portMoves: picked.moves }
}
