/**
 * Pure rewriting of a config.xml made by `syncthing generate` so that the instance stays on this
 * machine: REST/GUI on a Unix socket (reachable from outside a network namespace), one TCP
 * listen address, and every discovery, relay, NAT/STUN, usage-report, crash-report and upgrade
 * option off. Also lists what the running instance must report back, so a start can check it.
 */

/** What {@link hardenSyncthingConfig} sets besides the fixed options. */
export interface SyncthingConfigPatch {
  /** Device name of the instance. */
  name: string
  /** Absolute path of the Unix socket serving the GUI and REST API. */
  guiSocket: string
  /** API key (`X-API-Key`). */
  apiKey: string
  /** The one listen address, e.g. `tcp://127.0.0.1:22001`. */
  listen: string
}

/**
 * Options (as the REST API's `/rest/config/options` names them) that keep Syncthing off the
 * network beyond its listen address, with the value each must have.
 */
export const offlineOptions: Readonly<Record<string, string | number | boolean>> = {
  globalAnnounceEnabled: false,
  localAnnounceEnabled: false,
  relaysEnabled: false,
  natEnabled: false,
  stunKeepaliveStartS: 0,
  stunKeepaliveMinS: 0,
  urAccepted: -1,
  crashReportingEnabled: false,
  autoUpgradeIntervalH: 0,
  startBrowser: false,
  announceLANAddresses: false
}

/** Options that make a test instance quick and predictable (not about privacy). */
const testOptions: Readonly<Record<string, string | number | boolean>> = {
  urSeen: 3,
  setLowPriority: false,
  reconnectionIntervalS: 5
}

function escapeXml (text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function section (xml: string, tag: string): { start: number, end: number } {
  const start = xml.indexOf(`<${tag}`)
  const close = `</${tag}>`
  const end = xml.indexOf(close, start)
  if (start < 0 || end < 0) throw new Error(`syncthing config.xml has no <${tag}> section`)
  return { start, end: end + close.length }
}

function setElement (body: string, tag: string, value: string): string {
  const element = new RegExp(`<${tag}(\\s[^>]*)?>[^<]*</${tag}>|<${tag}(\\s[^>]*)?/>`)
  const replacement = `<${tag}>${escapeXml(value)}</${tag}>`
  if (element.test(body)) return body.replace(element, replacement)
  const close = body.lastIndexOf('</')
  return `${body.slice(0, close)}    ${replacement}\n    ${body.slice(close)}`
}

function removeElements (body: string, tag: string): string {
  return body.replace(new RegExp(`[ \\t]*<${tag}(\\s[^>]*)?>[^<]*</${tag}>\\s*\\n?|[ \\t]*<${tag}(\\s[^>]*)?/>\\s*\\n?`, 'g'), '')
}

function patchSection (xml: string, tag: string, patch: (body: string) => string): string {
  const { start, end } = section(xml, tag)
  return xml.slice(0, start) + patch(xml.slice(start, end)) + xml.slice(end)
}

/** Returns `xml` (a generated config.xml) rewritten to stay on this machine; throws if a section is missing. */
export function hardenSyncthingConfig (xml: string, patch: SyncthingConfigPatch): string {
  let out = patchSection(xml, 'device', (body) => body.replace(/(<device\b[^>]*\bname=")[^"]*(")/, `$1${escapeXml(patch.name)}$2`))
  out = patchSection(out, 'gui', (body) => setElement(setElement(body, 'address', patch.guiSocket), 'apikey', patch.apiKey))
  out = patchSection(out, 'options', (body) => {
    let opts = removeElements(removeElements(body, 'listenAddress'), 'globalAnnounceServer')
    opts = setElement(opts, 'listenAddress', patch.listen)
    for (const [key, value] of Object.entries({ ...offlineOptions, ...testOptions })) opts = setElement(opts, key, String(value))
    return opts
  })
  return out
}

/** Names of the options in `reported` (from `GET /rest/config/options`) that differ from {@link offlineOptions}. */
export function onlineLeaks (reported: Record<string, unknown>): string[] {
  return Object.entries(offlineOptions).filter(([key, value]) => reported[key] !== value).map(([key]) => key)
}
