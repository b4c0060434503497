/**
 * Routes of the catalog (issue 7): gossip members (`/members`), services and health
 * (`/catalog`), and the KV store (`/kv`). Reads of `/catalog` and `/kv` are blocking
 * queries as in Consul: with `?index=N` they answer once the change index passes N (or
 * after `wait`, at most 5 minutes), so watchers long-poll instead of polling.
 */
import { Hono } from 'hono'
import type { Context } from 'hono'
import { z } from 'zod'
import { WeftError } from '../../core/errors.js'
import { parseDurationMs } from '../../core/duration.js'
import type { CatalogService } from '../../features/catalog/service.js'
import { healthValues, maxValueBytes } from '../../features/catalog/types.js'
import { parseBody } from './schemas.js'

const checkInBody = z.object({ status: z.enum(healthValues).default('passing'), note: z.string().max(4096).default(''), network: z.string().max(128).optional() }).strict()
const healthQuery = z.enum(['any', 'healthy', 'passing', 'warning', 'critical'])

/** Waits for a change when the request carries `?index=`; returns the index to answer with. */
async function block (c: Context, catalog: CatalogService): Promise<number> {
  const index = c.req.query('index')
  if (index === undefined) return catalog.index
  const n = Number(index)
  if (!Number.isInteger(n) || n < 0) throw new WeftError('INVALID_ARGUMENT', 'index must be a whole number')
  const wait = c.req.query('wait')
  let waitMs = 60_000
  if (wait !== undefined) {
    try {
      waitMs = parseDurationMs(wait)
    } catch {
      throw new WeftError('INVALID_ARGUMENT', `wait ${JSON.stringify(wait)}: use a duration such as 30s or 5m`)
    }
  }
  return await catalog.waitForChange(n, Math.min(Math.max(waitMs, 0), 300_000), c.req.raw.signal)
}

/** Builds the catalog routes (mounted at the API root). */
export function catalogRoutes (catalog: CatalogService): Hono {
  const app = new Hono()
  app.get('/members', (c) => c.json(catalog.members(c.req.query('net'))))
  app.get('/catalog', async (c) => {
    const health = c.req.query('health')
    if (health !== undefined && !healthQuery.safeParse(health).success) throw new WeftError('INVALID_ARGUMENT', 'health must be any, healthy, passing, warning or critical')
    const index = await block(c, catalog)
    const instances = catalog.instances({ network: c.req.query('net'), name: c.req.query('name'), tag: c.req.query('tag'), health: health as z.infer<typeof healthQuery> | undefined })
    return c.json({ index, instances })
  })
  app.get('/catalog/services', (c) => c.json(catalog.registrations.list()))
  app.post('/catalog/services', async (c) => {
    const body = await parseBody(z.unknown(), async (): Promise<unknown> => await c.req.json())
    return c.json(await catalog.register(body as Parameters<CatalogService['register']>[0]), 201)
  })
  app.delete('/catalog/services/:name', async (c) => {
    await catalog.deregister(c.req.param('name'), c.req.query('net'))
    return c.json({ ok: true })
  })
  app.post('/catalog/services/:name/check-in', async (c) => {
    const body = await parseBody(checkInBody, async (): Promise<unknown> => await c.req.json())
    catalog.checkIn(c.req.param('name'), body.status, body.note, body.network)
    return c.json({ ok: true })
  })
  app.get('/catalog/stats', (c) => c.json(catalog.stats()))
  app.get('/kv', async (c) => {
    const index = await block(c, catalog)
    return c.json({ index, entries: catalog.kvList(c.req.query('prefix') ?? '', c.req.query('net')) })
  })
  app.get('/kv/:key{.+}', (c) => c.json(catalog.kvGet(c.req.param('key'), c.req.query('net'))))
  app.put('/kv/:key{.+}', async (c) => {
    const declared = Number(c.req.header('content-length') ?? '0')
    if (declared > maxValueBytes) throw new WeftError('INVALID_ARGUMENT', `value of ${declared} bytes: at most ${maxValueBytes} (512 KiB)`)
    const value = Buffer.from(await c.req.arrayBuffer())
    return c.json(catalog.kvPut(c.req.param('key'), value, { cas: c.req.query('cas'), network: c.req.query('net') }))
  })
  app.delete('/kv/:key{.+}', (c) => {
    catalog.kvDelete(c.req.param('key'), { cas: c.req.query('cas'), network: c.req.query('net') })
    return c.json({ ok: true })
  })
  return app
}
