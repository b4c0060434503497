/**
 * Entry point: spends a login code from the URL (`#login=CODE`, then removed from the address
 * bar and history), checks the session, and shows the dashboard or the login hint. While the
 * daemon does not answer (e.g. restarting), it keeps trying.
 */
import './style.css'
import { render } from 'preact'
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { api, ApiError, sessionSecret, signIn } from './api'
import { App } from './app'
import { LoginHint } from './login'

type Phase = { kind: 'checking' } | { kind: 'unreachable' } | { kind: 'signed-out', error: string | null } | { kind: 'signed-in' }

async function check (code: string | undefined): Promise<Phase> {
  let error: string | null = null
  if (code !== undefined) {
    try {
      await signIn(code)
    } catch (err) {
      if (err instanceof ApiError && err.code === 'UNREACHABLE') return { kind: 'unreachable' }
      error = err instanceof Error ? err.message : String(err)
    }
  }
  if (sessionSecret() === null) return { kind: 'signed-out', error }
  try {
    await api('GET', '/session')
    return { kind: 'signed-in' }
  } catch (err) {
    if (err instanceof ApiError && err.code === 'UNREACHABLE') return { kind: 'unreachable' }
    return { kind: 'signed-out', error }
  }
}

function Root (): JSX.Element {
  const [phase, setPhase] = useState<Phase>({ kind: 'checking' })
  useEffect(() => {
    const match = /^#login=([A-Za-z0-9_-]+)$/.exec(window.location.hash)
    if (match !== null) window.history.replaceState(null, '', '/#/device')
    let code = match?.[1]
    let timer: number | undefined
    const attempt = (): void => {
      void check(code).then((next) => {
        if (next.kind !== 'unreachable') code = undefined
        setPhase(next)
        if (next.kind === 'unreachable') timer = window.setTimeout(attempt, 2000)
      })
    }
    attempt()
    return () => { window.clearTimeout(timer) }
  }, [])
  if (phase.kind === 'signed-in') return <App />
  if (phase.kind === 'signed-out') return <LoginHint error={phase.error} />
  return <main class="login"><p class="card" role="status">{phase.kind === 'checking' ? 'Loading…' : 'The weft daemon is not answering; trying again…'}</p></main>
}

const root = document.getElementById('app')
if (root !== null) render(<Root />, root)
