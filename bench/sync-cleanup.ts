/**
 * Clean-up registry of `npm run bench:sync`: whatever a run starts (daemons, Syncthing
 * instances, a namespace, temporary directories) registers how to undo it, and SIGINT/SIGTERM
 * run every registered undo before the process exits, as `finally` blocks do on errors.
 */

const undos = new Set<() => Promise<void>>()

/** Registers `undo`; call the returned function once it ran (or is no longer needed). */
export function onCleanup (undo: () => Promise<void>): () => void {
  undos.add(undo)
  return () => { undos.delete(undo) }
}

/** Runs `undo` now and unregisters it (for `finally` blocks). */
export async function cleanupNow (undo: () => Promise<void>): Promise<void> {
  undos.delete(undo)
  await undo()
}

/** On SIGINT or SIGTERM, runs every registered undo (newest first), then exits. */
export function cleanupOnSignals (): void {
  let exiting = false
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (exiting) return
      exiting = true
      console.error(`\n${signal}: cleaning up`)
      void (async () => {
        for (const undo of [...undos].reverse()) await undo().catch((err: unknown) => { console.error(`clean-up failed: ${(err as Error).message}`) })
        process.exit(130)
      })()
    })
  }
}
