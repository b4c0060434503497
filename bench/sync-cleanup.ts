/**
 * Clean-up registry of `npm run bench:sync`: whatever a run starts (daemons, Syncthing
 * instances, bare processes, a namespace, temporary directories) registers how to undo it, and
 * SIGINT/SIGTERM run every registered undo before the process exits, as `finally` blocks do on
 * errors. Each undo runs once: a `finally` block and the signal handler reaching the same undo
 * share one run.
 */

const undos = new Set<() => Promise<void>>()
const runs = new Map<() => Promise<void>, Promise<void>>()
let signal: string | undefined

function runOnce (undo: () => Promise<void>): Promise<void> {
  let run = runs.get(undo)
  if (run === undefined) { run = undo(); runs.set(undo, run) }
  return run
}

/** Registers `undo`; call the returned function once it ran (or is no longer needed). */
export function onCleanup (undo: () => Promise<void>): () => void {
  undos.add(undo)
  return () => { undos.delete(undo) }
}

/** Runs `undo` now (or waits for the run already under way) and unregisters it (for `finally` blocks). */
export async function cleanupNow (undo: () => Promise<void>): Promise<void> {
  undos.delete(undo)
  await runOnce(undo)
}

/** The signal that started the clean-up, if one did (errors that follow from it are expected). */
export function signalled (): string | undefined {
  return signal
}

/** On SIGINT or SIGTERM, runs every registered undo (newest first), then exits. */
export function cleanupOnSignals (): void {
  for (const name of ['SIGINT', 'SIGTERM'] as const) {
    process.on(name, () => {
      if (signal !== undefined) return
      signal = name
      console.error(`\n${name}: cleaning up`)
      void (async () => {
        for (const undo of [...undos].reverse()) await runOnce(undo).catch((err: unknown) => { console.error(`clean-up failed: ${(err as Error).message}`) })
        process.exit(130)
      })()
    })
  }
}
