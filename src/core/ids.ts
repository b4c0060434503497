/**
 * Branded identifier types. A device ID, a network ID and a protocol name are all strings
 * on the wire, but never interchangeable in code.
 */

declare const brand: unique symbol

/** A nominal type: `T` tagged with `B` so that different IDs cannot be mixed up. */
export type Brand<T, B extends string> = T & { readonly [brand]: B }

/** A device's ID in canonical text form (see identity/device-id.ts). */
export type DeviceId = Brand<string, 'DeviceId'>

/** A private network's ID: 32 lowercase hex characters. */
export type NetworkId = Brand<string, 'NetworkId'>

const networkIdPattern = /^[0-9a-f]{32}$/

/** Checks and brands a network ID. */
export function parseNetworkId (text: string): NetworkId | undefined {
  return networkIdPattern.test(text) ? text as NetworkId : undefined
}
