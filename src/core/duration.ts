/**
 * The one duration grammar of every flag and setting: a whole number and a unit, `500ms`,
 * `30s`, `10m`, `24h`, `7d`, `2w`; a bare number is seconds.
 */
import { WeftError } from './errors.js'

const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** What the grammar accepts, for error messages. */
export const durationHint = 'a whole number with ms, s, m, h, d or w (e.g. 500ms, 30s, 10m, 24h, 7d)'

/** Parses a duration into milliseconds; throws INVALID_ARGUMENT on anything else. */
export function parseDurationMs (text: string): number {
  const match = /^(\d{1,12})(ms|[smhdw])?$/.exec(text.trim())
  if (match === null) throw new WeftError('INVALID_ARGUMENT', `invalid duration "${text}": use ${durationHint}`)
  const ms = Number(match[1]) * (unitMs[match[2] ?? 's'] ?? 1000)
  if (ms <= 0) throw new WeftError('INVALID_ARGUMENT', `duration must be positive: "${text}"`)
  if (!Number.isSafeInteger(ms)) throw new WeftError('INVALID_ARGUMENT', `duration too long: "${text}"`)
  return ms
}

/** Parses a duration into whole seconds; INVALID_ARGUMENT on anything else (or a fraction of a second). */
export function parseDuration (text: string): number {
  const ms = parseDurationMs(text)
  if (ms % 1000 !== 0) throw new WeftError('INVALID_ARGUMENT', `duration "${text}" must be whole seconds here (e.g. 30s, 10m)`)
  return ms / 1000
}

/** Formats milliseconds compactly in the grammar (e.g. 1500 → `1500ms`, 3_600_000 → `1h`). */
export function formatDurationMs (ms: number): string {
  if (ms === 0) return '0s'
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

/** Formats seconds compactly (e.g. 3600 → `1h`). */
export function formatDuration (seconds: number): string {
  return formatDurationMs(seconds * 1000)
}
