/**
 * The signed-in dashboard: header with the connection state, section navigation (hash
 * routes, so links and the back button work), and the current view.
 */
import type { JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { signOut } from './api'
import { useDaemon } from './store'
import type { StreamState } from './events'
import { ConfirmProvider } from './ui'
import { LoginHint } from './login'
import { DeviceView } from './views/device'
import { NetworksView } from './views/networks'
import { MeshView } from './views/mesh'
import { FoldersView } from './views/folders'
import { ServicesView } from './views/services'

const sections = [
  { id: 'device', title: 'This device' },
  { id: 'networks', title: 'Networks' },
  { id: 'mesh', title: 'Mesh' },
  { id: 'folders', title: 'Folders' },
  { id: 'services', title: 'Services' }
] as const
type SectionId = typeof sections[number]['id']

function current (): SectionId {
  const id = window.location.hash.replace(/^#\/?/, '')
  return sections.find((s) => s.id === id)?.id ?? 'device'
}

const streamWords: Record<StreamState, string> = {
  connecting: 'connecting…',
  live: 'live',
  reconnecting: 'daemon not answering, reconnecting…',
  'signed-out': 'signed out'
}

/** The dashboard. */
export function App (): JSX.Element {
  const daemon = useDaemon()
  const [section, setSection] = useState<SectionId>(current())
  useEffect(() => {
    const onHash = (): void => { setSection(current()) }
    window.addEventListener('hashchange', onHash)
    return () => { window.removeEventListener('hashchange', onHash) }
  }, [])
  useEffect(() => {
    const title = sections.find((s) => s.id === section)?.title ?? ''
    document.title = daemon.data === null ? 'weft' : `${title} · ${daemon.data.status.name} · weft`
  }, [section, daemon.data?.status.name])
  if (daemon.signedOut) return <LoginHint error="This browser's session ended (signed out or expired)." />
  const { data } = daemon
  return (
    <ConfirmProvider>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus() }}>Skip to content</a>
      <header class="top">
        <h1>weft <span class="muted">{data?.status.name ?? ''}</span></h1>
        <p class={`stream ${daemon.stream}`} role="status" aria-live="polite" data-stream={daemon.stream}>{streamWords[daemon.stream]}</p>
        <button type="button" class="small" onClick={() => { void signOut().finally(() => { window.location.reload() }) }}>Sign out</button>
      </header>
      <nav aria-label="Sections">
        <ul>
          {sections.map((s) => (
            <li key={s.id}><a href={`#/${s.id}`} aria-current={s.id === section ? 'page' : undefined}>{s.title}</a></li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {daemon.error !== null && data !== null && <p class="warn" role="status">Showing the last known state: {daemon.error}</p>}
        {data === null
          ? <p class="card">{daemon.error ?? 'Loading…'}</p>
          : section === 'device' ? <DeviceView status={data.status} />
            : section === 'networks' ? <NetworksView networks={data.networks} members={data.members} onChange={daemon.refresh} />
              : section === 'mesh' ? <MeshView networks={data.networks} members={data.members} />
                : section === 'folders' ? <FoldersView folders={data.folders} networks={data.networks} onChange={daemon.refresh} />
                  : <ServicesView services={data.services} catalog={data.catalog} networks={data.networks} status={data.status} onChange={daemon.refresh} />}
      </main>
    </ConfirmProvider>
  )
}
