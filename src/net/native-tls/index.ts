/**
 * Public entry of weft's native-TLS TCP transport for js-libp2p 3.x.
 * See transport.ts for what it does and why.
 */
export { nativeTlsTcp } from './transport.js'
export type { NativeTlsTcpComponents } from './transport.js'
export type { NativeTlsTcpInit } from './context.js'
export { PeerAuthenticationError, TLS_PROTOCOL } from './handshake.js'
export { MultistreamError } from './multistream.js'
export { sendWithBackpressure } from './send.js'
export type { SendOptions } from './send.js'
export { dialDirect, readDirectProtocol, DIRECT_PROTOCOL, DirectPathError } from './direct.js'
export type { DirectAcceptor, DialDirectOptions } from './direct.js'
export { createLibp2pSecureContext } from './handshake.js'
