/**
 * Human durations such as `90s`, `10m`, `24h`, `7d` (or a bare number of seconds).
 */
import { WeftError } from './errors.js'

const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }

/** Parses a duration into whole seconds; throws INVALID_ARGUMENT on anything else. */
export function parseDuration (text: string): number {
  const match = /^(\d{1,9})([smhdw]?)$/.exec(text.trim())
  if (match === null) throw new WeftError('INVALID_ARGUMENT', `invalid duration "${text}": use a number with s, m, h, d or w (e.g. 30m, 24h, 7d)`)
  const seconds = Number(match[1]) * (unitSeconds[match[2] ?? ''] ?? 1)
  if (seconds <= 0) throw new WeftError('INVALID_ARGUMENT', `duration must be positive: "${text}"`)
  return seconds
}

/** Formats seconds compactly (e.g. 3600 → `1h`). */
export function formatDuration (seconds: number): string {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`
  }
  return `${seconds}s`
}
