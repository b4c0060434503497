/**
 * Routes of service reach: exposed services (`/services`), members' services
 * (`/services/remote`) and forwards (`/forwards`).
 */
import { Hono } from 'hono'
import type { ReachService } from '../../features/reach/service.js'
import { exposeBody, forwardBody, parseBody, receiveBody, sendBody } from './schemas.js'

/** Builds the reach routes (mounted at the API root). */
export function reachRoutes (reach: ReachService): Hono {
  const app = new Hono()
  app.get('/services', (c) => c.json({ exposed: reach.exposed(), remote: reach.services() }))
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
    return c.json(await reach.forward(body.device, body.service, body.host, body.port, { force: body.force }))
  })
  app.delete('/forwards/:id', async (c) => {
    await reach.unforward(c.req.param('id'))
    return c.json({ ok: true })
  })
  app.post('/send', async (c) => {
    const body = await parseBody(sendBody, async (): Promise<unknown> => await c.req.json())
    return c.json(await reach.send(body.paths, body.to, body.text))
  })
  app.post('/receive', async (c) => {
    const body = await parseBody(receiveBody, async (): Promise<unknown> => await c.req.json())
    return c.json(reach.transfers.receive(body.code, body.dir))
  })
  app.get('/transfers', (c) => c.json(reach.transfers.list()))
  app.get('/inbox', async (c) => c.json(await reach.received()))
  app.get('/transfers/:id', (c) => c.json(reach.transfers.view(c.req.param('id'))))
  // A pipe end: the request body goes to the other end, the response body is what it sends.
  // The answer starts once another member opened the same topic.
  app.post('/pipes/:topic', async (c) => {
    const end = await reach.pipe(c.req.param('topic'), c.req.query('net'), c.req.raw.signal)
    const body = c.req.raw.body
    c.req.raw.signal.addEventListener('abort', () => { end.stream.abort(new Error('the local end went away')) }, { once: true })
    // The response ends only after the upload did: the HTTP server discards the rest of a
    // request body once its response has finished.
    const upload = (async () => {
      try {
        const reader = (body as ReadableStream<Uint8Array> | null)?.getReader()
        for (;;) {
          const next = await reader?.read()
          if (next === undefined || next.done) break
          await end.stream.write(next.value)
        }
        await end.stream.closeWrite()
      } catch (err) {
        end.stream.abort(err instanceof Error ? err : new Error(String(err)))
      }
    })()
    const iterator = end.incoming[Symbol.asyncIterator]()
    const out = new ReadableStream<Uint8Array>({
      async pull (controller) {
        try {
          const next = await iterator.next()
          if (next.done === true) {
            await upload
            controller.close()
          }
          else controller.enqueue(next.value)
        } catch (err) {
          controller.error(err)
        }
      },
      cancel () { end.stream.abort(new Error('the local end went away')) }
    })
    const peerName = reach.memberName(end.peer)
    return new Response(out, { headers: { 'content-type': 'application/octet-stream', 'x-weft-peer': end.peer, ...(peerName === undefined ? {} : { 'x-weft-peer-name': encodeURIComponent(peerName) }) } })
  })
  return app
}
