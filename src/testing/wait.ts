/**
 * Polling helper for tests: waits until a condition holds, with a deadline and a useful
 * message when it never does.
 */

/** Calls `probe` until it returns a truthy value (returned) or `timeoutMs` passes (throws with `what`). */
export async function waitFor<T> (what: string, probe: () => Promise<T | undefined | false | null> | T | undefined | false | null, timeoutMs = 20_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false && value !== null) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : ` (last error: ${(lastError as Error).message})`}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
