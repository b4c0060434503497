/**
 * Routes of the local API (v1). Thin: parse, call the daemon, answer JSON.
 */
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { ApiBackend } from './types.js'
import { createNetworkBody, inviteBody, joinBody, parseBody, perfBody, pingBody } from './schemas.js'
import { parseDeviceId } from '../../identity/device-id.js'
import { reachRoutes } from './reach-routes.js'
import { folderRoutes } from './folder-routes.js'
import { syncthingRoutes } from './syncthing-routes.js'
import { catalogRoutes } from './catalog-routes.js'

/** Builds the `/api/v1` routes. */
export function apiRoutes (backend: ApiBackend): Hono {
  const app = new Hono()
  const nets = backend.networks

  app.get('/status', (c) => c.json(backend.status()))
  app.get('/networks', (c) => c.json(nets.list()))
  app.post('/networks', async (c) => {
    const body = await parseBody(createNetworkBody, async (): Promise<unknown> => await c.req.json())
    return c.json(await nets.create(body.name), 201)
  })
  app.get('/networks/:net', (c) => c.json(nets.summary(nets.resolve(c.req.param('net')).id)))
  app.get('/networks/:net/members', (c) => c.json(nets.members(c.req.param('net'))))
  app.get('/networks/:net/links', async (c) => c.json(await backend.links.mesh(c.req.param('net'), { signal: c.req.raw.signal })))
  app.post('/networks/:net/invites', async (c) => {
    const body = await parseBody(inviteBody, async (): Promise<unknown> => await c.req.json())
    return c.json(await nets.invite(c.req.param('net'), body), 201)
  })
  app.delete('/networks/:net/members/:device', async (c) => {
    await nets.remove(c.req.param('net'), c.req.param('device'))
    return c.json({ ok: true })
  })
  app.post('/networks/:net/leave', async (c) => {
    await nets.leave(c.req.param('net'))
    return c.json({ ok: true })
  })
  app.post('/join', async (c) => {
    const body = await parseBody(joinBody, async (): Promise<unknown> => await c.req.json())
    return c.json(await nets.join(body.code, { signal: c.req.raw.signal }), 201)
  })
  app.route('/folders', folderRoutes(backend.sync))
  app.route('/syncthing', syncthingRoutes(backend.sync))
  app.route('/', reachRoutes(backend.reach))
  app.route('/', catalogRoutes(backend.catalog))
  app.get('/peers', (c) => c.json(nets.peers()))
  app.post('/ping', async (c) => {
    const body = await parseBody(pingBody, async (): Promise<unknown> => await c.req.json())
    return c.json(await backend.pinger.ping(body.device, { signal: c.req.raw.signal }))
  })
  app.get('/doctor', async (c) => c.json(await backend.doctor.report({ signal: c.req.raw.signal })))
  app.post('/perf', async (c) => {
    const body = await parseBody(perfBody, async (): Promise<unknown> => await c.req.json())
    const byName = nets.peers().find((p) => p.name === body.device)
    const device = byName?.deviceId ?? parseDeviceId(body.device).deviceId
    return c.json(await backend.perf.measure(device, body.bytes, { signal: c.req.raw.signal, stream: body.stream }))
  })
  app.get('/events', (c) => streamSSE(c, async (stream) => {
    const send = (event: string) => (data: unknown) => { void stream.writeSSE({ event, data: JSON.stringify(data) }) }
    const offs = [
      nets.events.on('network:changed', send('network:changed')),
      nets.events.on('network:removed', send('network:removed')),
      nets.events.on('member:online', send('member:online')),
      nets.events.on('member:offline', send('member:offline')),
      backend.sync.events.on('folder:changed', send('folder:changed')),
      backend.catalog.events.on('catalog:changed', send('catalog:changed')),
      backend.catalog.events.on('kv:changed', send('kv:changed')),
      backend.catalog.events.on('member:state', send('member:state'))
    ]
    await stream.writeSSE({ event: 'hello', data: JSON.stringify(backend.status()) })
    const closed = new Promise<void>((resolve) => { stream.onAbort(resolve) })
    while (!stream.aborted && !stream.closed) {
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 15_000))])
      if (!stream.aborted) await stream.writeSSE({ event: 'ping', data: String(Date.now()) })
    }
    for (const off of offs) off()
  }))
  return app
}
