/**
 * Versioning of files replaced or deleted by remote changes: the Versioner hook the puller
 * calls, the trash can and simple implementations, and a factory from the folder's config.
 */
import type { VersioningConfig } from '../types.js'
import type { FolderFs } from '../fs/types.js'
import { SimpleVersioner } from './simple.js'
import { TrashCanVersioner } from './trashcan.js'

export type { Versioner } from './types.js'
export { TrashCanVersioner } from './trashcan.js'
export type { TrashCanOptions } from './trashcan.js'
export { SimpleVersioner, versionTag, taggedName } from './simple.js'
export type { SimpleOptions } from './simple.js'
export { versionsDirName } from './common.js'

/** The versioner a folder's config asks for, or undefined for `none`. */
export function createVersioner (config: VersioningConfig, fs?: FolderFs): TrashCanVersioner | SimpleVersioner | undefined {
  switch (config.type) {
    case 'none': return undefined
    case 'trashcan': return new TrashCanVersioner({ cleanoutDays: config.cleanoutDays, fs })
    case 'simple': return new SimpleVersioner({ keep: config.keep, fs })
  }
}
