/**
 * The daemon's state as the page holds it: loaded from the API, refreshed on every event of the
 * stream (debounced) and every few seconds for RTTs and progress, and reloaded whole when the
 * stream reconnects (e.g. after a daemon restart).
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import { api, ApiError } from './api'
import { followEvents } from './events'
import type { StreamState } from './events'
import type { Catalog, FolderList, Member, NetworkSummary, Services, Status } from './types'

/** Everything the views show. */
export interface DaemonData {
  status: Status
  networks: NetworkSummary[]
  /** Members per network ID. */
  members: Record<string, Member[]>
  peers: Member[]
  folders: FolderList
  services: Services
  /** The catalogs of this device's networks, with health. */
  catalog: Catalog
}

/** What {@link useDaemon} gives the views. */
export interface DaemonState {
  data: DaemonData | null
  stream: StreamState
  /** Why the last refresh failed, if it did. */
  error: string | null
  signedOut: boolean
  /** Reloads now (after an action). */
  refresh: () => void
}

async function load (): Promise<DaemonData> {
  const [status, networks, peers, folders, services, catalog] = await Promise.all([
    api<Status>('GET', '/status'),
    api<NetworkSummary[]>('GET', '/networks'),
    api<Member[]>('GET', '/peers'),
    api<FolderList>('GET', '/folders'),
    api<Services>('GET', '/services'),
    api<Catalog>('GET', '/catalog')
  ])
  const lists = await Promise.all(networks.map(async (n) => await api<Member[]>('GET', `/networks/${encodeURIComponent(n.id)}/members`).catch(() => [])))
  const members: Record<string, Member[]> = {}
  networks.forEach((n, i) => { members[n.id] = lists[i] ?? [] })
  return { status, networks, members, peers, folders, services, catalog }
}

const pollMs = 5000
const debounceMs = 150

/** Loads and follows the daemon. */
export function useDaemon (): DaemonState {
  const [data, setData] = useState<DaemonData | null>(null)
  const [stream, setStream] = useState<StreamState>('connecting')
  const [error, setError] = useState<string | null>(null)
  const [signedOut, setSignedOut] = useState(false)
  const timer = useRef<number | undefined>(undefined)
  const running = useRef(false)
  const again = useRef(false)

  const refreshNow = async (): Promise<void> => {
    if (running.current) { again.current = true; return }
    running.current = true
    try {
      do {
        again.current = false
        try {
          setData(await load())
          setError(null)
        } catch (err) {
          if (err instanceof ApiError && err.code === 'UNAUTHORIZED') setSignedOut(true)
          setError(err instanceof Error ? err.message : String(err))
        }
      } while (again.current)
    } finally {
      running.current = false
    }
  }
  const refresh = (): void => {
    window.clearTimeout(timer.current)
    timer.current = window.setTimeout(() => { void refreshNow() }, debounceMs)
  }

  useEffect(() => {
    const controller = new AbortController()
    followEvents((e) => { if (e.event !== 'ping') refresh() }, (s) => {
      setStream(s)
      if (s === 'signed-out') setSignedOut(true)
    }, controller.signal)
    void refreshNow()
    const poll = window.setInterval(() => { void refreshNow() }, pollMs)
    return () => { controller.abort(); window.clearInterval(poll); window.clearTimeout(timer.current) }
  }, [])

  return { data, stream, error, signedOut, refresh }
}
