/**
 * Routes of the Syncthing link (`/api/v1/syncthing`): this device as a Syncthing device, and
 * the Syncthing devices it knows. Sharing a folder with one is under `/folders/:id/share`.
 */
import { Hono } from 'hono'
import { z } from 'zod'
import type { SyncService } from '../../features/sync/service.js'
import { parseBody } from './schemas.js'

/** POST /syncthing/devices */
export const addSyncthingDeviceBody = z.object({
  id: z.string().min(1).max(128),
  address: z.string().min(1).max(300),
  name: z.string().trim().min(1).max(64).optional()
}).strict()

/** POST /folders/:id/share and /unshare */
export const shareFolderBody = z.object({ syncthing: z.string().min(1).max(128) }).strict()

/** Builds the Syncthing routes. */
export function syncthingRoutes (sync: SyncService): Hono {
  const app = new Hono()
  app.get('/', (c) => c.json(sync.syncthingView()))
  app.post('/devices', async (c) => {
    const body = await parseBody(addSyncthingDeviceBody, async (): Promise<unknown> => await c.req.json())
    return c.json(await sync.addSyncthingDevice(body), 201)
  })
  app.delete('/devices/:id', async (c) => { await sync.removeSyncthingDevice(c.req.param('id')); return c.json({ ok: true }) })
  return app
}
