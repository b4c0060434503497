/**
 * The events of an embedded node, gathered from the services that emit them (networks,
 * folder sync, the catalog) into one typed map.
 */
import { WeftError } from '../core/errors.js'
import type { Daemon } from '../daemon/daemon.js'
import type { CatalogEvents } from '../features/catalog/service.js'
import type { SyncEvents } from '../features/sync/service.js'
import type { NetworkEvents } from '../network/service.js'

/**
 * Every event of {@link WeftNode.on} and its payload:
 * - `network:changed`: a network's membership or name changed (or it was created, joined or left);
 * - `network:removed`: this device was removed from a network;
 * - `member:online` / `member:offline`: a connection with a member opened or closed;
 * - `folder:changed`: a folder's state or contents changed;
 * - `catalog:changed`: a network's service catalog changed;
 * - `kv:changed`: a key of a network's KV store changed (here or on another member);
 * - `member:state`: gossip marked a member alive, suspect, dead or gone.
 */
export interface NodeEvents {
  'network:changed': NetworkEvents['network:changed']
  'network:removed': NetworkEvents['network:removed']
  'member:online': NetworkEvents['member:online']
  'member:offline': NetworkEvents['member:offline']
  'folder:changed': SyncEvents['folder:changed']
  'catalog:changed': CatalogEvents['catalog:changed']
  'kv:changed': CatalogEvents['kv:changed']
  'member:state': CatalogEvents['member:state']
}

type Source = 'networks' | 'sync' | 'catalog'

const sources: Record<keyof NodeEvents, Source> = {
  'network:changed': 'networks',
  'network:removed': 'networks',
  'member:online': 'networks',
  'member:offline': 'networks',
  'folder:changed': 'sync',
  'catalog:changed': 'catalog',
  'kv:changed': 'catalog',
  'member:state': 'catalog'
}

/** Subscribes `listener` to `event` on the service that emits it; returns the unsubscriber. */
export function subscribe<K extends keyof NodeEvents> (daemon: Daemon, event: K, listener: (payload: NodeEvents[K]) => void): () => void {
  const source = Object.hasOwn(sources, event) ? sources[event] : undefined
  if (source === undefined) throw new WeftError('INVALID_ARGUMENT', `unknown event ${JSON.stringify(event)} (known: ${Object.keys(sources).join(', ')})`)
  // Each service's emitter is typed with its own map; the table above routes each name to it.
  const emitter = daemon[source].events as unknown as { on: (event: K, listener: (payload: NodeEvents[K]) => void) => () => void }
  return emitter.on(event, listener)
}
