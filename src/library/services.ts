/**
 * `node.services` and `node.files`: exposing local services to members and reaching theirs
 * (`weft expose`, `weft forward`, `weft services`), and one-shot file transfers with short
 * codes (`weft send`, `weft receive`), over the daemon's ReachService.
 */
import type { DeviceId } from '../core/ids.js'
import type { AbortOptions } from '../core/lifecycle.js'
import { exposeBody, forwardBody, receiveBody, sendBody } from '../daemon/api/schemas.js'
import { checked } from './validate.js'
import type { ExposeRequest, ForwardView, ReachService, ServiceView } from '../features/reach/service.js'
import type { TransferView } from '../features/reach/transfer.js'
import type { ExposedService } from '../features/reach/types.js'
import { WeftStream } from './stream.js'

/** Options of {@link Services.forward}. */
export interface ForwardOptions {
  /** Local address to listen on (default 127.0.0.1). */
  host?: string
  /** Local port to listen on (default 0: any free port; the chosen one is in the result's `listen`). */
  port?: number
}

/** Services this node exposes to members, and members' services it reaches. */
export class Services {
  readonly #reach: ReachService

  /** @internal Built by {@link WeftNode}. */
  constructor (reach: ReachService) {
    this.#reach = reach
  }

  /**
   * Exposes a local TCP (or UDP) service to the members of a network (all of them, or those in
   * `allow`). Members reach it at a stable loopback address, by DNS name and through SOCKS5.
   */
  async expose (request: ExposeRequest): Promise<ExposedService> {
    return await this.#reach.expose(await checked(exposeBody, request))
  }

  /** Stops exposing a service. */
  async unexpose (name: string): Promise<void> {
    await this.#reach.unexpose(name)
  }

  /** The services this node exposes. */
  exposed (): ExposedService[] {
    return this.#reach.registry.list()
  }

  /** Members' services, with the local address to connect to each. */
  remote (): ServiceView[] {
    return this.#reach.services()
  }

  /** Listens locally and forwards each connection to `service` on `device` (ID or name). */
  async forward (device: string, service: string, options: ForwardOptions = {}): Promise<ForwardView> {
    const body = await checked(forwardBody, { device, service, host: options.host, port: options.port ?? 0 })
    return await this.#reach.forward(body.device, body.service, body.host, body.port)
  }

  /** Stops a forward by the ID {@link Services.forward} returned. */
  async unforward (id: string): Promise<void> {
    await this.#reach.unforward(id)
  }

  /** Active forwards and their connection counts. */
  forwards (): ForwardView[] {
    return this.#reach.forwards()
  }

  /** Opens one connection to a member's TCP service as a stream, without a local listener. */
  async connect (device: string, service: string, options: AbortOptions = {}): Promise<WeftStream> {
    const id: DeviceId = this.#reach.resolveMember(device)
    const connection = await this.#reach.connect(id, service, false, options.signal)
    return new WeftStream(id, connection.stream, connection.incoming)
  }
}

/** One-shot file transfers between members. */
export class Files {
  readonly #reach: ReachService

  /** @internal Built by {@link WeftNode}. */
  constructor (reach: ReachService) {
    this.#reach = reach
  }

  /**
   * Offers files under a short code (`NUMBER-WORD-WORD`) a member passes to {@link Files.receive},
   * or, with `to` (device ID or name), pushes them into that member's inbox.
   */
  async send (paths: string[], options: { to?: string } = {}): Promise<TransferView> {
    const body = await checked(sendBody, { paths, to: options.to })
    return await this.#reach.send(body.paths, body.to)
  }

  /** Fetches the files offered under `code` into directory `dir`; follow it with {@link Files.get}. */
  async receive (code: string, dir: string): Promise<TransferView> {
    const body = await checked(receiveBody, { code, dir })
    return this.#reach.transfers.receive(body.code, body.dir)
  }

  /** Every transfer since the node started. */
  list (): TransferView[] {
    return this.#reach.transfers.list()
  }

  /** One transfer's progress and state. */
  get (id: string): TransferView {
    return this.#reach.transfers.view(id)
  }
}
