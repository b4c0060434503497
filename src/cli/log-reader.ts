/**
 * Reads the daemon's log file as it grows, across rotation (see src/core/rotating-file.ts):
 * whole lines only, from one open file; when the path names a new file (rotated) or a shorter
 * one (truncated), the rest of the old file is read first, then the new one from its start.
 * No daemon is needed: the log is most useful when the daemon is down.
 */
import { open, stat } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'

const chunkBytes = 64 * 1024

/** Whole lines of one log file, read as they are appended. */
export class LogReader {
  readonly path: string
  #file?: FileHandle
  #ino = -1
  #pos = 0
  #partial = ''
  #decoder = new StringDecoder('utf8')

  constructor (path: string) {
    this.path = path
  }

  /** Whether a file is open (false while the path does not exist yet). */
  get opened (): boolean {
    return this.#file !== undefined
  }

  /** Lines appended since the last call (all of the file at first), switching files on rotation. */
  async read (): Promise<string[]> {
    if (this.#file === undefined && !await this.#open()) return []
    const lines = await this.#drain()
    const now = await stat(this.path).catch(() => undefined)
    if (now === undefined) return lines
    if (now.ino !== this.#ino) {
      // Rotated: the old file is complete (the writer renames it only after its last write).
      lines.push(...await this.#drain(), ...this.#rest())
      await this.close()
      if (await this.#open()) lines.push(...await this.#drain())
    } else if (now.size < this.#pos) {
      this.#pos = 0
      this.#partial = ''
      this.#decoder = new StringDecoder('utf8')
      lines.push(...await this.#drain())
    }
    return lines
  }

  /** Closes the open file. */
  async close (): Promise<void> {
    const file = this.#file
    this.#file = undefined
    await file?.close()
  }

  async #open (): Promise<boolean> {
    try {
      this.#file = await open(this.path, 'r')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false
      throw err
    }
    this.#ino = (await this.#file.stat()).ino
    this.#pos = 0
    this.#partial = ''
    this.#decoder = new StringDecoder('utf8')
    return true
  }

  async #drain (): Promise<string[]> {
    const file = this.#file
    if (file === undefined) return []
    const buffer = Buffer.alloc(chunkBytes)
    let text = this.#partial
    for (;;) {
      const { bytesRead } = await file.read(buffer, 0, chunkBytes, this.#pos)
      if (bytesRead === 0) break
      this.#pos += bytesRead
      text += this.#decoder.write(buffer.subarray(0, bytesRead))
    }
    const lines = text.split('\n')
    this.#partial = lines.pop() ?? ''
    return lines.filter((l) => l !== '')
  }

  /** A last line without its newline, when a file is left for good. */
  #rest (): string[] {
    const rest = this.#partial
    this.#partial = ''
    return rest === '' ? [] : [rest]
  }
}
