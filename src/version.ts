/**
 * weft's version, read once from package.json.
 */
import { readFileSync } from 'node:fs'

/** The version of this weft build. */
export const weftVersion: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version
