/**
 * A small typed event emitter: components announce what happened; listeners never throw
 * into the emitter (a throwing listener is reported, not propagated).
 */

type Listener<T> = (payload: T) => void

/** Typed publish/subscribe over a map of event names to payload types. */
export class Emitter<Events extends Record<string, unknown>> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>()

  /** Subscribes; returns a function that unsubscribes. */
  on<K extends keyof Events>(event: K, listener: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    set.add(listener)
    return () => { set.delete(listener) }
  }

  /** Delivers `payload` to every listener of `event`. */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const listener of this.#listeners.get(event) ?? []) {
      try {
        (listener as Listener<Events[K]>)(payload)
      } catch (err) {
        queueMicrotask(() => { throw err })
      }
    }
  }
}
