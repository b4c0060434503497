/**
 * The CLI's client of the daemon's local API: finds the API URL and token in the home
 * directory and turns error answers back into WeftErrors with their codes.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { WeftError, isErrorCode } from '../core/errors.js'

/** A connection to one daemon's API. */
export class ApiClient {
  readonly url: string
  readonly #token: string

  private constructor (url: string, token: string) {
    this.url = url
    this.#token = token
  }

  /** Reads api.json and api.token from `home`; DAEMON_NOT_RUNNING when absent. */
  static async fromHome (home: string): Promise<ApiClient> {
    let info: { url?: unknown }
    let token: string
    try {
      info = JSON.parse(await readFile(join(home, 'api.json'), 'utf8')) as { url?: unknown }
      token = (await readFile(join(home, 'api.token'), 'utf8')).trim()
    } catch {
      throw new WeftError('DAEMON_NOT_RUNNING', `no weft daemon is running for ${home} (start one with "weft daemon")`)
    }
    if (typeof info.url !== 'string') throw new WeftError('DAEMON_NOT_RUNNING', `${join(home, 'api.json')} is damaged; restart the daemon`)
    return new ApiClient(info.url, token)
  }

  /** The Authorization header value, for streaming requests made outside {@link request}. */
  get authorization (): string {
    return `Bearer ${this.#token}`
  }

  /** Calls the API; resolves with the JSON answer or throws the daemon's error. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return await this.#call<T>(method, path, body === undefined ? undefined : JSON.stringify(body), body === undefined ? undefined : 'application/json')
  }

  /** Like {@link request}, with raw bytes as the body. */
  async requestRaw<T>(method: string, path: string, body: Uint8Array): Promise<T> {
    return await this.#call<T>(method, path, body, 'application/octet-stream')
  }

  async #call<T>(method: string, path: string, body: string | Uint8Array | undefined, type: string | undefined): Promise<T> {
    let response: Response
    try {
      response = await fetch(`${this.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(type === undefined ? {} : { 'content-type': type }) },
        body,
        // Blocking queries (watches) wait up to 5 minutes for a change.
        signal: AbortSignal.timeout(path.includes('index=') ? 330_000 : 60_000)
      })
    } catch (err) {
      throw new WeftError('DAEMON_NOT_RUNNING', `cannot reach the weft daemon at ${this.url} (${(err as Error).message}); is it running?`)
    }
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch {
      throw new WeftError('PROTOCOL_ERROR', `the daemon answered ${response.status} with non-JSON`)
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: unknown, message?: unknown } } | undefined)?.error
      throw new WeftError(isErrorCode(error?.code) ? error.code : 'INTERNAL', typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`)
    }
    return parsed as T
  }
}
