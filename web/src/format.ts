/**
 * Numbers and times in words people read: sizes, rates, durations, "3 min ago".
 */

/** 1536 → "1.5 KiB". */
export function bytes (n: number): string {
  if (n < 1024) return `${n} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = n / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++ }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit] ?? ''}`
}

/** Seconds → "1 h 5 min", "42 s". */
export function duration (seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`
}

/** A past time (ms since epoch) → "2 min ago"; "never" for null. */
export function ago (ms: number | null, now = Date.now()): string {
  if (ms === null) return 'never'
  return `${duration((now - ms) / 1000)} ago`
}

/** A device ID's first group, as the CLI shows it. */
export function shortId (deviceId: string): string {
  return deviceId.slice(0, 7)
}

/** "1 file", "3 files". */
export function plural (n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** RTT in ms, readable. */
export function rtt (ms: number | null): string {
  if (ms === null) return '–'
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`
}

/** A path in words: "LAN", "direct", "relayed via NAME". */
export function pathWords (path: string | null, relay: string | null | undefined, nameOf: (id: string) => string | undefined): string {
  if (path === null) return '–'
  if (path === 'lan') return 'LAN'
  if (path === 'relay') return relay === null || relay === undefined ? 'relayed' : `relayed via ${nameOf(relay) ?? shortId(relay)}`
  return path
}
