/**
 * `.stignore` support for folder sync: compiling patterns, loading them from a folder, and
 * the names that are never synced.
 */
export { compileIgnores, noIgnores } from './ignores.js'
export type { CompileIgnoresOptions, IgnoreResult, Ignores, IncludeReader } from './ignores.js'
export { fsIncludeReader, loadIgnores } from './load.js'
export type { LoadIgnoresOptions } from './load.js'
export { baseName, folderMarker, ignoreFileName, isInternal, isTemporary, normalizeName } from './internal.js'
export { compileGlob, globToRegexSource } from './glob.js'
