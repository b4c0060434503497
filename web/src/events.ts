/**
 * The API's event stream (server-sent events at /api/v1/events), read with fetch so that the
 * session header goes along (EventSource cannot send headers). Reconnects with backoff when the
 * daemon goes away, so the page carries on after a daemon restart.
 */
import { sessionHeaders } from './api'

/** Where the stream stands. */
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'signed-out'

/** One event: its name and parsed data. */
export interface StreamEvent { event: string, data: unknown }

function parseBlock (block: string): StreamEvent | undefined {
  let event = 'message'
  const data: string[] = []
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim()
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
  }
  if (data.length === 0) return undefined
  try {
    return { event, data: JSON.parse(data.join('\n')) as unknown }
  } catch {
    return { event, data: data.join('\n') }
  }
}

async function readStream (body: ReadableStream<Uint8Array>, onEvent: (e: StreamEvent) => void): Promise<void> {
  const reader = body.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) return
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n')
    let end: number
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const parsed = parseBlock(buffer.slice(0, end))
      buffer = buffer.slice(end + 2)
      if (parsed !== undefined) onEvent(parsed)
    }
  }
}

const sleep = async (ms: number, signal: AbortSignal): Promise<void> => await new Promise((resolve) => {
  const timer = window.setTimeout(resolve, ms)
  signal.addEventListener('abort', () => { window.clearTimeout(timer); resolve() }, { once: true })
})

/** Follows the event stream until `signal` aborts; returns at once (runs in the background). */
export function followEvents (onEvent: (e: StreamEvent) => void, onState: (s: StreamState) => void, signal: AbortSignal): void {
  void (async () => {
    let delay = 500
    onState('connecting')
    while (!signal.aborted) {
      try {
        const response = await fetch('/api/v1/events', { headers: sessionHeaders(), credentials: 'same-origin', cache: 'no-store', signal })
        if (response.status === 401) { onState('signed-out'); return }
        if (response.ok && response.body !== null) {
          onState('live')
          delay = 500
          await readStream(response.body, onEvent)
        }
      } catch { /* the daemon went away, or we were aborted */ }
      if (signal.aborted) return
      onState('reconnecting')
      await sleep(delay, signal)
      delay = Math.min(delay * 2, 4000)
    }
  })()
}
