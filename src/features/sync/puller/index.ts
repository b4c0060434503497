/**
 * The puller: makes a folder on disk match needed FileInfo records without ever losing local
 * data (see puller.ts). Public surface for the model and session layers.
 */
export { Puller, pullFile } from './puller.js'
export type { NeededFile, PullerOptions, PullSummary } from './puller.js'
export { ByteBudget } from './budget.js'
export { DiskFullError, isDiskFull } from '../fs/errors.js'
export { nameProblem, validateName, resolveInFolder, tempBaseName, isTempName } from '../fs/names.js'
export { verifyBlock, validateBlocks, maxBlockSize } from './blocks.js'
export { defaultBytesInFlight } from './file.js'
export { removeStaleTemporaries, staleTemporaries, temporaryTarget, keepTemporariesMs } from './temporaries.js'
export type {
  BlockRequest, BlockRequestOptions, BlockSource, LocalBlock, LocalBlockFinder, PullCommit, PullDeps,
  PullFileOptions, PullOutcome, PullProgress, WriteAtFn
} from './types.js'
