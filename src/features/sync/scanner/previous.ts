/**
 * The index's previous records as the scanner reads them: metadata only (no block list), in
 * pages in name order ({@link compareNames}), so a scan compares a whole folder with a few
 * hundred queries instead of one lookup per entry. A cursor follows one scanned path (the whole
 * folder, or a sub-path and what lies under it) and checks that the pages really come in order:
 * the scanner merges them with the walk, and an out-of-order source would otherwise make files
 * on disk look deleted.
 */
import { WeftError } from '../../../core/errors.js'
import type { FileInfo } from '../types.js'
import { compareNames, isUnder } from './order.js'

/** What the scanner compares an entry with (a FileInfo has all of it). */
export type PreviousMeta = Pick<FileInfo, 'name' | 'type' | 'size' | 'permissions' | 'modifiedS' | 'modifiedNs' | 'deleted' | 'invalid' | 'symlinkTarget' | 'inode'>

/**
 * Reads the local records with names after `after` ('' for the first page), in
 * {@link compareNames} order, at most `limit` of them (fewer only at the end).
 */
export type PreviousPages = (after: string, limit: number) => readonly PreviousMeta[]

/** Records read per page. */
export const previousPageSize = 1000

/** Walks the previous records under one scanned path, in name order. */
export class PreviousCursor {
  private page: readonly PreviousMeta[] = []
  private pos = 0
  private after: string
  private exhausted = false
  private head: PreviousMeta | undefined
  private last: string | undefined

  /**
   * @param top The scanned path ('' for the whole folder).
   * @param topRecord The record of `top` itself (looked up by the caller), if any.
   */
  constructor (private readonly pages: PreviousPages, private readonly top: string, topRecord?: PreviousMeta, private readonly pageSize = previousPageSize) {
    if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new WeftError('INVALID_ARGUMENT', `page size ${pageSize} must be a positive integer`)
    this.after = top
    if (top !== '' && topRecord !== undefined && topRecord.name === top) {
      this.head = topRecord
      this.last = top
    }
  }

  /** The next record under the path, without consuming it; `undefined` at the end. */
  peek (): PreviousMeta | undefined {
    while (this.head === undefined) {
      const r = this.page[this.pos]
      if (r === undefined) {
        if (this.exhausted) return undefined
        this.page = this.pages(this.after, this.pageSize)
        this.pos = 0
        if (this.page.length < this.pageSize) this.exhausted = true
        const end = this.page[this.page.length - 1]
        if (end !== undefined) this.after = end.name
        continue
      }
      this.pos++
      if (this.last !== undefined && compareNames(this.last, r.name) >= 0) {
        throw new WeftError('INTERNAL', `index records out of name order (${JSON.stringify(this.last)} before ${JSON.stringify(r.name)}); scan stopped so that nothing is seen as deleted`)
      }
      this.last = r.name
      if (isUnder(this.top, r.name)) this.head = r
      else if (compareNames(r.name, `${this.top}/`) > 0) {
        // Past every name under the path ('a/...' sorts between 'a.txt' and 'a0').
        this.exhausted = true
        this.page = []
        return undefined
      }
    }
    return this.head
  }

  /** Consumes the record `peek` returned. */
  take (): void {
    this.head = undefined
  }
}
