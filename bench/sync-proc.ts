/**
 * Readings of a running process from /proc for `npm run bench:sync`: peak resident set size
 * (VmHWM, the high-water mark since the process started), current RSS (VmRSS) and CPU seconds
 * used (user + system),
 * plus the result type every runner (weft, Syncthing, interop, bare) returns.
 */
import { readFileSync } from 'node:fs'

/** Peak RSS (VmHWM) of `pid` in MB (MiB, as /proc counts kB of 1024 bytes), or NaN if gone. */
export function peakRssMb (pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024
  } catch {
    return NaN
  }
}

/** The readings taken as a run's clock starts. */
export interface ClockStart {
  /** RSS of sender and receiver right before the set moved in. */
  idle: [number, number]
  /** CPU seconds of sender and receiver at the start. */
  cpu0: [number, number]
  startedWall: number
  started: number
}

/** Reads both processes' idle RSS, runs `move` (the set into the sender's folder), then starts the clock. */
export async function startClock (pids: readonly [number, number], move: () => Promise<void>): Promise<ClockStart> {
  const idle: [number, number] = [rssMb(pids[0]), rssMb(pids[1])]
  await move()
  return { idle, cpu0: [cpuSeconds(pids[0]), cpuSeconds(pids[1])], startedWall: Date.now(), started: performance.now() }
}

/** Current RSS (VmRSS) of `pid` in MB, or NaN if gone. */
export function rssMb (pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024
  } catch {
    return NaN
  }
}

/** CPU seconds (user + system) `pid` has used so far, or NaN if gone. */
export function cpuSeconds (pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN
  }
}

/** What one sync of one data set measured. */
export interface SyncRun {
  /** From the scan request on the sender to the receiver reporting the whole set in sync. */
  seconds: number
  /** From the scan request until the last file landed on the receiver (its ctime): free of polling delay. */
  landedSeconds: number
  /** From the scan request until the sender had indexed every file. */
  scanSeconds: number
  /** Peak RSS of sender and receiver, MB. */
  peakRssMb: [number, number]
  /** CPU seconds of sender and receiver over the timed part. */
  cpuSeconds: [number, number]
  /** RSS of sender and receiver right before the data set was moved in, MB. */
  idleRssMb: [number, number]
  /** weft only, measured after the timed part: a rescan of the unchanged folder on the sender. */
  rescanSeconds?: number
  /** weft only, after the timed part: median latency of the receiver's folder status, ms. */
  statusMs?: number
  /**
   * weft only: sender's and receiver's memory split (`weft status`, MB) at the highest RSS
   * seen by sampling once a second during the timed part.
   */
  memoryAtPeak?: [MemorySplit, MemorySplit]
}

/** Where a weft daemon's memory was (MB): resident, JavaScript heap live and total, buffers. */
export interface MemorySplit { rss: number, heapUsed: number, heapTotal: number, arrayBuffers: number }

/** Sleeps `ms`. */
export async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * The pause before the next status poll: `pollMs`, or 9 times what the last poll took if that
 * is longer, so polling a status that costs the daemon a pass over its index (weft's, on big
 * folders) takes at most about a tenth of the time.
 */
export function pollDelay (pollMs: number, lastPollMs: number): number {
  return Math.max(pollMs, 9 * lastPollMs)
}
