/**
 * Network namespaces for tests that must not touch the machine's real interfaces (mDNS
 * multicasts on every interface it finds). Each namespace holds only `lo`, with multicast
 * enabled on it; names carry a prefix and the test's pid so two runs can share a machine.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'

async function ip (args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('ip', args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve()
      else reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`))
    })
  })
}

/** Why namespaces cannot be used here, or undefined when they can. */
export async function netnsUnavailable (): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'network namespaces need Linux'
  if (process.getuid?.() !== 0) return 'network namespaces need root'
  const probe = `weft-probe-${process.pid}-${randomBytes(3).toString('hex')}`
  try {
    await ip(['netns', 'add', probe])
    await ip(['netns', 'del', probe])
    return undefined
  } catch (err) {
    return `"ip netns" does not work here (${(err as Error).message})`
  }
}

/** A namespace holding only a multicast-capable loopback. */
export interface LoopbackNamespace {
  name: string
  /** Prefix for commands to run inside it. */
  wrap: string[]
  /** Deletes the namespace (idempotent). */
  remove: () => Promise<void>
}

/** Creates a namespace with `lo` up, multicast on, and a multicast route via `lo`. */
export async function createLoopbackNamespace (tag: string): Promise<LoopbackNamespace> {
  const name = `weft-t-${tag}-${process.pid}-${randomBytes(3).toString('hex')}`
  await ip(['netns', 'add', name])
  const remove = async (): Promise<void> => { await ip(['netns', 'del', name]).catch(() => {}) }
  try {
    await ip(['-n', name, 'link', 'set', 'lo', 'up'])
    await ip(['-n', name, 'link', 'set', 'lo', 'multicast', 'on'])
    await ip(['-n', name, 'route', 'add', '224.0.0.0/4', 'dev', 'lo'])
  } catch (err) {
    await remove()
    throw err
  }
  return { name, wrap: ['ip', 'netns', 'exec', name], remove }
}
