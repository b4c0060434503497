/**
 * Printing for the CLI: JSON for scripts (`--json`), aligned columns for people.
 */

/** Prints `value` as indented JSON. */
export function printJson (value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

/** Prints rows as columns under a header. */
export function printTable (header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()
  process.stdout.write([line(header), ...rows.map(line)].join('\n') + '\n')
}

/** A relative time such as `12s ago`. */
export function ago (ms: number | null): string {
  if (ms === null) return 'never'
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000))
  if (s < 5) return 'now'
  if (s < 120) return `${s}s ago`
  if (s < 7200) return `${Math.round(s / 60)}m ago`
  return `${Math.round(s / 3600)}h ago`
}
