/**
 * The versioning hook: before a remote change replaces or deletes a local file, the puller
 * hands the file to a Versioner, which moves it out of the way into `.stversions/` (as
 * Syncthing does; local changes are never versioned).
 */

/** Keeps old versions of files that remote changes replace or delete. */
export interface Versioner {
  /**
   * Moves the file at folder-relative `name` into the versions area, atomically (rename).
   * Afterwards nothing is at `name`. Resolves without doing anything when the file is gone.
   * Throws a WeftError (`INVALID_ARGUMENT`/`FORBIDDEN`) for a name that would escape the folder.
   */
  archive: (folderRoot: string, name: string) => Promise<void>
}
