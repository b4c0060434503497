/**
 * Types shared by the native-TLS transport and its listeners: the transport's options and the
 * context it hands each listener. Kept apart so listener.ts and transport.ts do not import
 * each other.
 */
import type { ComponentLogger, Logger } from '@libp2p/interface'
import type { SecureContext } from 'node:tls'
import type { DirectAcceptor } from './direct.js'

/** Options of `nativeTlsTcp` (transport.ts). */
export interface NativeTlsTcpInit {
  /** Close idle sockets after this many ms (default 2 minutes, as @libp2p/tcp). */
  inactivityTimeout?: number
  /** Passed to `net.Server#listen` (e.g. `backlog`). */
  backlog?: number
  /** Takes direct connections (`/weft/direct/1.0.0`, see direct.ts); without it they are refused. */
  direct?: DirectAcceptor
}

/** Internal context shared by the transport and its listeners. */
export interface NativeTlsContext {
  log: Logger
  logger: ComponentLogger
  init: NativeTlsTcpInit
  getSecureContext: () => Promise<SecureContext>
}
