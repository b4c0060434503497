/**
 * Loading a folder's `.stignore` from disk: the thin I/O layer around compileIgnores. A
 * missing `.stignore` means "no patterns"; a missing included file is an error.
 */
import { join } from 'node:path'
import { WeftError } from '../../../core/errors.js'
import { compileIgnores, noIgnores } from './ignores.js'
import type { Ignores, IncludeReader } from './ignores.js'
import { ignoreFileName } from './internal.js'
import { nodeFs } from '../fs/node.js'
import type { FolderFs } from '../fs/types.js'

function isNotFound (err: unknown): boolean {
  return err instanceof Error && 'code' in err && (err.code === 'ENOENT' || err.code === 'ENOTDIR')
}

/** An include reader for files relative to `root` (`undefined` when a file does not exist). */
export function fsIncludeReader (root: string, fs: FolderFs = nodeFs): IncludeReader {
  return async (relPath) => {
    try {
      return (await fs.readFile(join(root, relPath))).toString('utf8')
    } catch (err) {
      if (isNotFound(err)) return undefined
      throw err
    }
  }
}

/** Options of {@link loadIgnores}. */
export interface LoadIgnoresOptions {
  /** Fold case for every pattern (Syncthing does on macOS and Windows). */
  caseInsensitive?: boolean
  /** The folder's file system (default: the real disk). */
  fs?: FolderFs
}

/**
 * Reads and compiles `root/.stignore` and its includes. Without a `.stignore`, returns
 * {@link noIgnores}. Throws WeftError (see compileIgnores) on a bad file.
 */
export async function loadIgnores (root: string, opts: LoadIgnoresOptions = {}): Promise<Ignores> {
  const read = fsIncludeReader(root, opts.fs)
  let text: string | undefined
  try {
    text = await read(ignoreFileName)
  } catch (err) {
    throw new WeftError('INTERNAL', `cannot read ${join(root, ignoreFileName)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
  }
  if (text === undefined) return noIgnores
  return await compileIgnores(text, { readInclude: read, fileName: ignoreFileName, caseInsensitive: opts.caseInsensitive })
}
