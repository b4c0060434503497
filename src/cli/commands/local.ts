/**
 * Commands that work without a running daemon: `init` and `daemon`.
 */
import type { Command } from 'commander'
import { initHome, isInitialized } from '../../daemon/init.js'
import type { Config } from '../../daemon/config.js'
import type { Daemon } from '../../daemon/daemon.js'
import { contextOf } from '../context.js'
import { printJson } from '../output.js'

interface InitFlags { name?: string, apiPort?: string, listen?: string[], announce?: string[], mdns?: boolean, dns?: string, socks?: string, bootstrap?: string[], relays?: string[], relay?: boolean, dht?: 'auto' | 'server' | 'client' | 'off', syncthingListen?: string }

function configure (flags: InitFlags): (config: Config) => Config {
  return (config) => ({
    ...config,
    api: flags.apiPort === undefined ? config.api : { ...config.api, port: Number(flags.apiPort) },
    p2p: {
      ...config.p2p,
      listen: flags.listen ?? config.p2p.listen,
      announce: flags.announce ?? config.p2p.announce,
      mdns: flags.mdns ?? config.p2p.mdns,
      bootstrap: flags.bootstrap ?? config.p2p.bootstrap,
      relays: flags.relays ?? config.p2p.relays,
      relay: { ...config.p2p.relay, enabled: flags.relay ?? config.p2p.relay.enabled },
      dht: flags.dht ?? config.p2p.dht
    },
    reach: {
      ...config.reach,
      dns: flags.dns === undefined ? config.reach.dns : flags.dns === 'off' ? null : flags.dns,
      socks: flags.socks === undefined ? config.reach.socks : flags.socks === 'off' ? null : flags.socks
    },
    syncthing: flags.syncthingListen === undefined ? config.syncthing : { ...config.syncthing, listen: flags.syncthingListen === 'off' ? null : flags.syncthingListen }
  })
}

function initOptions (command: Command): Command {
  return command
    .option('--name <name>', 'device name shown to other members (default: host name)')
    .option('--api-port <port>', 'port of the local API (0: any free port)')
    .option('--listen <multiaddr...>', 'peer-to-peer listen addresses')
    .option('--announce <multiaddr...>', 'addresses to tell others instead of the listening ones (e.g. a public address)')
    .option('--bootstrap <multiaddr...>', 'bootstrap peers (DHT entry points), as /ip4/HOST/tcp/PORT/p2p/ID (default: none)')
    .option('--relays <multiaddr...>', 'relays to hold reservations on, as /ip4/HOST/tcp/PORT/p2p/ID')
    .option('--relay', 'serve as a relay for the members of this device\'s networks')
    .option('--dht <mode>', 'DHT role: auto, server (a public bootstrap node), client or off (default auto)')
    .option('--no-mdns', 'do not discover members on the LAN by mDNS')
    .option('--dns <host:port>', 'loopback address of the DNS server for .weft names, or off (default 127.0.0.1:7553)')
    .option('--socks <host:port>', 'loopback address of the SOCKS5 proxy, or off (default 127.0.0.1:7555)')
    .option('--syncthing-listen <tcp://host:port>', 'accept Syncthing devices on this TCP address (e.g. tcp://0.0.0.0:22001), or off (default off: weft dials them)')
}

function banner (daemon: Daemon): string {
  const s = daemon.status()
  return [
    `weft ${s.version} running as "${s.name}"`,
    `  device ID  ${s.deviceId}`,
    `  API        ${s.api}   (local API; token in ${daemon.paths.apiToken})`,
    `  dashboard  ${daemon.api.loginLink()}   (one-time sign-in link, 15 min; later: weft open)`,
    `  listening  ${s.addresses.join('  ') || '(nothing)'}`,
    `  home       ${s.home}   (log: ${daemon.paths.log})`,
    s.networks.length === 0
      ? '  To invite another device: weft net create NAME, then weft net invite NAME, and on the other device: weft net join CODE'
      : `  networks   ${s.networks.map((n) => `${n.name} (${n.members} members)`).join(', ')}. Invite with: weft net invite ${s.networks[0]?.name ?? 'NAME'}`,
    '  Stop with Ctrl-C.'
  ].join('\n')
}

/** Registers `init` and `daemon`. */
export function registerLocalCommands (program: Command): void {
  initOptions(program.command('init').description('create this device\'s identity and config; refuses to overwrite an existing one'))
    .action(async (flags: InitFlags, command: Command) => {
      const ctx = contextOf(command)
      const { deviceId } = await initHome(ctx.home, { name: flags.name, configure: configure(flags) })
      if (ctx.json) printJson({ deviceId, home: ctx.home })
      else process.stdout.write(`initialized ${ctx.home}\ndevice ID ${deviceId}\n`)
    })

  initOptions(program.command('daemon').description('run the node in the foreground (creates an identity on first run); SIGINT/SIGTERM stop it cleanly'))
    .action(async (flags: InitFlags, command: Command) => {
      const ctx = contextOf(command)
      if (!await isInitialized(ctx.home)) {
        const { deviceId } = await initHome(ctx.home, { name: flags.name, configure: configure(flags) })
        process.stdout.write(`created a new device identity in ${ctx.home} (${deviceId})\n`)
      }
      // Loaded here so that client commands do not pay for loading libp2p.
      const { Daemon } = await import('../../daemon/daemon.js')
      const daemon = await Daemon.open(ctx.home, { relay: flags.relay })
      // A promise some library left rejected with no handler is a bug, but not one worth
      // taking every network, sync and tunnel down for: it is logged (log and stderr) and the
      // daemon keeps running. A thrown exception still ends the process, after being logged.
      process.on('unhandledRejection', (reason) => {
        daemon.log.error({ err: reason }, 'unhandled promise rejection (a bug; the daemon keeps running)')
        process.stderr.write(`weft: unhandled promise rejection: ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}\n`)
      })
      process.on('uncaughtExceptionMonitor', (err) => {
        daemon.log.fatal({ err }, 'uncaught exception; the daemon exits')
      })
      await daemon.start()
      if (ctx.json) printJson(daemon.status())
      else process.stdout.write(banner(daemon) + '\n')
      await new Promise<void>((resolve) => {
        let stopping = false
        const onSignal = (signal: string): void => {
          if (stopping) {
            process.stderr.write(`weft: ${signal} again, exiting now\n`)
            process.exit(130)
          }
          stopping = true
          process.stdout.write(`weft: ${signal}, stopping\n`)
          daemon.stop().then(resolve, (err: unknown) => {
            process.stderr.write(`weft: error while stopping: ${(err as Error).message}\n`)
            process.exitCode = 1
            resolve()
          })
        }
        process.on('SIGINT', onSignal)
        process.on('SIGTERM', onSignal)
      })
    })
}
