/**
 * BEP block size rule: the smallest power of two from 128 KiB to 16 MiB that cuts a file into
 * fewer than 2,000 blocks (16 MiB for anything larger). Files below 250 MiB use 128 KiB.
 * The comparison is Syncthing's `size < 2000 * blockSize`, so a file of exactly 250 MiB
 * already gets 256 KiB. Receivers accept any power-of-two block size.
 */

/** Smallest block size we choose (128 KiB). */
export const minBlockSize = 128 * 1024
/** Largest block size we choose (16 MiB). */
export const maxBlockSize = 16 * 1024 * 1024
/** The rule aims at fewer than this many blocks per file. */
export const desiredBlocksPerFile = 2000

/** The block sizes we choose from, ascending: 128 KiB, 256 KiB, ..., 16 MiB. */
export const blockSizes: readonly number[] = Object.freeze(
  Array.from({ length: Math.log2(maxBlockSize / minBlockSize) + 1 }, (_, i) => minBlockSize * 2 ** i)
)

/** The block size for a file of `fileSize` bytes (BEP rule). */
export function blockSizeFor (fileSize: number): number {
  for (const size of blockSizes) {
    if (fileSize < desiredBlocksPerFile * size) return size
  }
  return maxBlockSize
}

/** True for a block size a peer may announce: any positive power of two (we only choose 128 KiB to 16 MiB). */
export function isValidBlockSize (size: number): boolean {
  return Number.isSafeInteger(size) && size > 0 && Number.isInteger(Math.log2(size))
}
