/**
 * Explicit lifecycles: every long-lived component starts and stops on command, and the
 * composition root starts them in order and stops them in reverse.
 */

/** A component with an explicit lifecycle. */
export interface Startable {
  start: () => Promise<void>
  stop: () => Promise<void>
}

/** Options accepted by every async call that can be cancelled. */
export interface AbortOptions {
  signal?: AbortSignal
}

/**
 * Starts components in order; if one fails, stops the ones already started (in reverse)
 * and rethrows, so a failed start leaves nothing running.
 */
export async function startAll (components: Startable[]): Promise<void> {
  const started: Startable[] = []
  try {
    for (const c of components) {
      await c.start()
      started.push(c)
    }
  } catch (err) {
    await stopAll(started)
    throw err
  }
}

/** Stops components in reverse order; every one is asked even if an earlier one throws. */
export async function stopAll (components: Startable[]): Promise<void> {
  let first: Error | undefined
  for (const c of [...components].reverse()) {
    try {
      await c.stop()
    } catch (err) {
      first ??= err instanceof Error ? err : new Error(String(err))
    }
  }
  if (first !== undefined) throw first
}
