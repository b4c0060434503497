/**
 * weft's DHT: libp2p Kad-DHT on its own protocol (`/weft/kad/1.0.0`, so it holds weft nodes
 * only), storing nothing but self-certifying `/weft/` records (records.ts) with a validator
 * and a newest-wins selector, over a datastore capped in entries so that a flood of records
 * costs bounded memory. Devices with a public address (relays, bootstrap nodes) run it as
 * servers; the rest as clients. {@link KadRecordStore} is the {@link RecordStore} the network
 * layer uses to publish and find members' addresses.
 */
import { MemoryDatastore } from 'datastore-core/memory'
import type { Key } from 'interface-datastore'
import type { KadDHTInit, SingleKadDHT } from '@libp2p/kad-dht'
import type { AbortOptions } from '../../core/lifecycle.js'
import { keyFromSeed } from '../../identity/device-key.js'
import type { RecordStore } from '../types.js'
import { decodeRecord, encodeRecord, recordKey, recordNamespace, selectNewest } from './records.js'

/** DHT protocol of weft nodes. */
export const dhtProtocol = '/weft/kad/1.0.0'

/** Kad-DHT options for weft records. */
export function dhtInit (mode: 'client' | 'server'): KadDHTInit {
  return {
    protocol: dhtProtocol,
    clientMode: mode === 'client',
    validators: { [recordNamespace]: (key, value) => { decodeRecord(key, value) } },
    selectors: { [recordNamespace]: selectNewest },
    // Provider records are not used; keep the background work small.
    reprovide: { interval: 24 * 3600_000 }
  }
}

/** An in-memory datastore that evicts its oldest entries beyond `maxEntries`. */
export class BoundedMemoryDatastore extends MemoryDatastore {
  readonly #max: number

  constructor (maxEntries: number) {
    super()
    this.#max = maxEntries
  }

  override put (key: Key, value: Uint8Array, options?: AbortOptions): Key | Promise<Key> {
    const data = (this as unknown as { data: Map<string, Uint8Array> }).data
    const name = key.toString()
    if (!data.has(name)) {
      while (data.size >= this.#max) {
        const oldest = data.keys().next().value
        if (oldest === undefined) break
        data.delete(oldest)
      }
    }
    return super.put(key, value, options)
  }
}

type Outcome = { at: number, ok: boolean, error?: string }

/** {@link RecordStore} on a Kad-DHT. */
export class KadRecordStore implements RecordStore {
  readonly #dht: SingleKadDHT
  #lastPut?: Outcome
  #lastGet?: Outcome

  constructor (dht: SingleKadDHT) {
    this.#dht = dht
  }

  async put (seed: Uint8Array, payload: Uint8Array, options: AbortOptions = {}): Promise<void> {
    const { key, value } = encodeRecord(seed, BigInt(Date.now()), payload)
    try {
      let stored = 0
      for await (const event of this.#dht.put(key, value, { signal: options.signal })) {
        if (event.name === 'PEER_RESPONSE' && event.messageName === 'PUT_VALUE') stored++
      }
      if (stored === 0) throw new Error('no DHT server took the record')
      this.#lastPut = { at: Date.now(), ok: true }
    } catch (err) {
      this.#lastPut = { at: Date.now(), ok: false, error: (err as Error).message }
      throw err
    }
  }

  async get (seed: Uint8Array, options: AbortOptions = {}): Promise<Uint8Array | undefined> {
    const key = recordKey(keyFromSeed(seed).publicKey)
    let best: { seq: bigint, payload: Uint8Array } | undefined
    try {
      for await (const event of this.#dht.get(key, { signal: options.signal })) {
        if (event.name !== 'VALUE') continue
        try {
          const record = decodeRecord(key, event.value)
          if (best === undefined || record.seq > best.seq) best = record
        } catch { /* a lying peer's record: ignored */ }
      }
      this.#lastGet = { at: Date.now(), ok: true }
    } catch (err) {
      // "not found" ends the query with an error: a normal outcome for a record not there.
      this.#lastGet = { at: Date.now(), ok: best !== undefined, error: (err as Error).message }
      if (best === undefined && options.signal?.aborted === true) throw err
    }
    return best?.payload
  }

  health (): ReturnType<RecordStore['health']> {
    return {
      peers: this.#dht.routingTable.size,
      ...(this.#lastPut === undefined ? {} : { lastPut: this.#lastPut }),
      ...(this.#lastGet === undefined ? {} : { lastGet: this.#lastGet })
    }
  }
}
