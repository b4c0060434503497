/**
 * Routes of folder sync (`/api/v1/folders`).
 */
import { Hono } from 'hono'
import { WeftError } from '../../core/errors.js'
import type { SyncService } from '../../features/sync/service.js'
import { addFolderBody, parseBody } from './schemas.js'
import { shareFolderBody } from './syncthing-routes.js'

/** Builds the folder routes. */
export function folderRoutes (sync: SyncService): Hono {
  const app = new Hono()
  app.get('/', (c) => c.json(sync.list()))
  app.post('/', async (c) => {
    const body = await parseBody(addFolderBody, async (): Promise<unknown> => await c.req.json())
    return c.json(await sync.add(body), 201)
  })
  app.get('/:id', (c) => c.json(sync.view(c.req.param('id'))))
  app.get('/:id/file', (c) => {
    const name = c.req.query('name')
    if (name === undefined || name === '') throw new WeftError('INVALID_ARGUMENT', 'the name query parameter is required')
    return c.json(sync.file(c.req.param('id'), name))
  })
  app.get('/:id/conflicts', (c) => c.json(sync.conflicts(c.req.param('id'))))
  app.post('/:id/rescan', (c) => { sync.rescan(c.req.param('id')); return c.json({ ok: true }) })
  app.post('/:id/pause', async (c) => c.json(await sync.setPaused(c.req.param('id'), true)))
  app.post('/:id/resume', async (c) => c.json(await sync.setPaused(c.req.param('id'), false)))
  app.delete('/:id', async (c) => { await sync.remove(c.req.param('id')); return c.json({ ok: true }) })
  for (const [path, shared] of [['share', true], ['unshare', false]] as const) {
    app.post(`/:id/${path}`, async (c) => {
      const body = await parseBody(shareFolderBody, async (): Promise<unknown> => await c.req.json())
      return c.json(await sync.shareWithSyncthing(c.req.param('id'), body.syncthing, shared))
    })
  }
  return app
}
