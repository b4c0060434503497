/**
 * The text of the service definitions `weft service install` writes: a systemd user unit on
 * Linux and a launchd agent (property list) on macOS, plus their names. Pure functions of
 * their inputs (no files, no environment), so both platforms are unit-tested anywhere.
 */
import { createHash } from 'node:crypto'
import { basename } from 'node:path'
import { WeftError } from '../../core/errors.js'

/** What a service runs and where. */
export interface ServiceSpec {
  /** Absolute path of the `weft` launcher (bin/weft). */
  weft: string
  /** Absolute path of the daemon's home directory. */
  home: string
  /** PATH the daemon runs with (Node's directory first: a service manager's PATH may lack it). */
  path: string
}

/** Names of one service: the systemd unit and the launchd label. */
export interface ServiceNames {
  /** e.g. `weft.service` or `weft@laptop.service`. */
  unit: string
  /** e.g. `weft.daemon` or `weft.daemon.laptop`. */
  label: string
}

/**
 * Names for a home: plain for the default home, `weft@NAME` otherwise, NAME being `name` or
 * the home's last path component (characters systemd does not take in a name are replaced).
 */
export function serviceNames (home: string, isDefaultHome: boolean, name?: string): ServiceNames {
  if (isDefaultHome && name === undefined) return { unit: 'weft.service', label: 'weft.daemon' }
  let instance = (name ?? basename(home)).replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[.-]+/, '')
  if (instance === '') instance = createHash('sha256').update(home).digest('hex').slice(0, 8)
  return { unit: `weft@${instance}.service`, label: `weft.daemon.${instance}` }
}

function refuseControlCharacters (value: string, what: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(value)) throw new WeftError('INVALID_ARGUMENT', `${what} ${JSON.stringify(value)} contains a control character; a service cannot be defined with it`)
}

/**
 * One word of a systemd command line or assignment: `%` doubled (specifiers), `$` doubled
 * in command lines (variable expansion), and quoted with backslash escapes when it holds
 * spaces, quotes, backslashes or `;`, or is empty.
 */
export function systemdWord (word: string, commandLine = true): string {
  refuseControlCharacters(word, 'the argument')
  let escaped = word.replace(/%/g, '%%')
  if (commandLine) escaped = escaped.replace(/\$/g, '$$$$')
  if (escaped !== '' && !/[\s"'\\;]/.test(escaped)) return escaped
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** `word` as a POSIX shell word (for commands printed for a person to run). */
export function shellWord (word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** The systemd user unit that runs `weft daemon --home HOME`, restarted when it fails. */
export function systemdUnit (spec: ServiceSpec): string {
  const exec = [spec.weft, 'daemon', '--home', spec.home].map((w) => systemdWord(w)).join(' ')
  return [
    '# Written by `weft service install`; remove it with `weft service uninstall`.',
    '[Unit]',
    `Description=weft peer-to-peer daemon (home ${spec.home.replace(/%/g, '%%')})`,
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec}`,
    `Environment=${systemdWord(`PATH=${spec.path}`, false)}`,
    'Restart=on-failure',
    'RestartSec=5s',
    // The daemon stops cleanly on SIGTERM (systemd's default signal) and gives its ports back.
    'TimeoutStopSec=30s',
    '',
    '[Install]',
    'WantedBy=default.target',
    ''
  ].join('\n')
}

function xml (text: string): string {
  refuseControlCharacters(text, 'the value')
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/**
 * The launchd agent: started at login (RunAtLoad), started again when it exits with a
 * failure (KeepAlive SuccessfulExit false); its terminal output goes to `out` and `err`.
 */
export function launchdPlist (spec: ServiceSpec, label: string, out: { stdout: string, stderr: string }): string {
  const strings = (values: string[]): string => values.map((v) => `    <string>${xml(v)}</string>`).join('\n')
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<!-- Written by `weft service install`; remove it with `weft service uninstall`. -->',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  <string>${xml(label)}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    strings([spec.weft, 'daemon', '--home', spec.home]),
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    '    <key>PATH</key>',
    `    <string>${xml(spec.path)}</string>`,
    '  </dict>',
    '  <key>RunAtLoad</key>',
    '  <true/>',
    '  <key>KeepAlive</key>',
    '  <dict>',
    '    <key>SuccessfulExit</key>',
    '    <false/>',
    '  </dict>',
    '  <key>ThrottleInterval</key>',
    '  <integer>5</integer>',
    '  <key>ProcessType</key>',
    '  <string>Background</string>',
    '  <key>StandardOutPath</key>',
    `  <string>${xml(out.stdout)}</string>`,
    '  <key>StandardErrorPath</key>',
    `  <string>${xml(out.stderr)}</string>`,
    '</dict>',
    '</plist>',
    ''
  ].join('\n')
}
