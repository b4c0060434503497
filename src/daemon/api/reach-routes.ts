/**
 * Routes of service reach: exposed services (`/services`), members' services
 * (`/services/remote`) and forwards (`/forwards`).
 */
import { Hono } from 'hono'
import type { ReachService } from '../../features/reach/service.js'
import { exposeBody, forwardBody, parseBody } from './schemas.js'

/** Builds the reach routes (mounted at the API root). */
export function reachRoutes (reach: ReachService): Hono {
  const app = new Hono()
  app.get('/services', (c) => c.json({ exposed: reach.registry.list(), remote: reach.services() }))
  app.post('/services', async (c) => {
    const body = await parseBody(exposeBody, async (): Promise<unknown> => await c.req.json())
    return c.json(await reach.expose(body))
  })
  app.delete('/services/:name', async (c) => {
    await reach.unexpose(c.req.param('name'))
    return c.json({ ok: true })
  })
  app.get('/forwards', (c) => c.json(reach.forwards()))
  app.post('/forwards', async (c) => {
    const body = await parseBody(forwardBody, async (): Promise<unknown> => await c.req.json())
    return c.json(await reach.forward(body.device, body.service, body.host, body.port))
  })
  app.delete('/forwards/:id', async (c) => {
    await reach.unforward(c.req.param('id'))
    return c.json({ ok: true })
  })
  return app
}
