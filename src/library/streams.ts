/**
 * `node.streams`: byte streams between members by topic (`weft pipe`), over the daemon's
 * pipe broker. Two members that open the same topic in the same network get the two ends of
 * one end-to-end encrypted stream, whichever opens first.
 */
import type { AbortOptions } from '../core/lifecycle.js'
import type { ReachService } from '../features/reach/service.js'
import { WeftStream } from './stream.js'

/** Options of {@link Streams.open}. */
export interface OpenStreamOptions extends AbortOptions {
  /** Network (name or ID) to find the other end in; optional when this node is in one network. */
  network?: string
}

/** Streams between members, matched by topic. */
export class Streams {
  readonly #reach: ReachService

  /** @internal Built by {@link WeftNode}. */
  constructor (reach: ReachService) {
    this.#reach = reach
  }

  /**
   * Opens one end of stream `topic` and resolves once another member opened the same topic in
   * the same network. The end that opens first waits (until `signal` aborts, which rejects with
   * ABORTED); the other end asks the members online when it opens, so open it once the first
   * end's device is online ({@link Networks.waitForOnline}). One node holds at most one
   * unmatched end per topic (ALREADY_EXISTS otherwise).
   */
  async open (topic: string, options: OpenStreamOptions = {}): Promise<WeftStream> {
    const end = await this.#reach.pipe(topic, options.network, options.signal ?? new AbortController().signal)
    return new WeftStream(end.peer, end.stream, end.incoming)
  }
}
