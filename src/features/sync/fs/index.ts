/**
 * A sync folder's file system behind one interface ({@link FolderFs}): the real disk
 * ({@link nodeFs}, the default everywhere) or memory ({@link MemoryFs}, for tests), with the
 * errors, name checks and on-disk comparisons the scanner, puller and block server share.
 */
export type { FolderFs, FsDirent, FsFile, FsStats, OpenMode } from './types.js'
export { NodeFs, nodeFs } from './node.js'
export { MemoryFs } from './memory.js'
export type { MemoryFault, MemoryFsOp, MemoryFsOptions } from './memory.js'
export * from './errors.js'
export * from './entry.js'
export * from './names.js'
