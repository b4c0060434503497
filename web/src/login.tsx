/**
 * What a browser without a session sees: only how to sign in.
 */
import type { JSX } from 'preact'

/** The login hint (and why the last sign-in failed, if it did). */
export function LoginHint ({ error }: { error: string | null }): JSX.Element {
  return (
    <main class="login" aria-labelledby="login-title">
      <h1 id="login-title">weft</h1>
      <section class="card">
        <h2>Sign in to this dashboard</h2>
        <p>In a terminal on this device, run</p>
        <pre><code>weft open</code></pre>
        <p>and open the one-time link it prints (the daemon also prints one when it starts). Links work once, for 15 minutes.</p>
        <p class="muted">(from a checkout of weft: <code>npx weft open</code>; with another home: <code>weft open --home DIR</code>)</p>
        {error !== null && <p class="error" role="alert">{error}</p>}
      </section>
    </main>
  )
}
