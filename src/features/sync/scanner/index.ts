/**
 * The folder scanner: block sizes, file hashing, walking, change detection against the index,
 * and watching a folder for changes.
 */
export { blockSizeFor, blockSizes, desiredBlocksPerFile, isValidBlockSize, maxBlockSize, minBlockSize } from './blocksize.js'
export { BlockAccumulator, FileHasher, defaultChunkSize, hashBlocks, sha256OfNothing } from './hasher.js'
export type { FileHasherOptions, HashedFile, HashFileFn, HashFileOptions } from './hasher.js'
export { minimalPaths, walkFolder, walkFolderBatches } from './walker.js'
export { compareNames } from './order.js'
export { previousPageSize } from './previous.js'
export type { PreviousMeta, PreviousPages } from './previous.js'
export type { WalkEntry, WalkItem, WalkOptions } from './walker.js'
export { checkFolderPresent, deletedRecord, scanFolder } from './scanner.js'
export type { ScanError, ScannedFile, ScanOptions, ScanResult } from './scanner.js'
export { FolderWatcher } from './watcher.js'
export type { FolderWatcherOptions, WatchBatch } from './watcher.js'
