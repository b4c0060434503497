/**
 * The order of folder-relative names shared by the walker and the index: Unicode code point
 * order, which is the byte order of UTF-8 (SQLite's BINARY collation on TEXT). JavaScript's `<`
 * compares UTF-16 code units instead and differs for characters above U+FFFF, so the scanner's
 * merge of the walk with the index's records uses this comparison on both sides.
 */

/** Sort weight of a UTF-16 code unit such that code-unit comparison becomes code point order. */
function weight (unit: number): number {
  if (unit < 0xd800) return unit
  // Surrogates (characters above U+FFFF) sort after every other BMP character.
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800
}

/** Compares two names in code point (UTF-8 byte) order: negative, zero or positive. */
export function compareNames (a: string, b: string): number {
  if (a === b) return 0
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return weight(x) - weight(y)
  }
  return a.length - b.length
}

/** True when `name` is `top` or lies under it ('' stands for the whole folder). */
export function isUnder (top: string, name: string): boolean {
  return top === '' || name === top || (name.length > top.length && name.charCodeAt(top.length) === 0x2f && name.startsWith(top))
}
