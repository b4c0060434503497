/**
 * Zod schemas for duration settings: config.json (and API bodies) keep numbers in the
 * setting's unit, and also take a string in the grammar of duration.ts (`"30s"`, `"10m"`),
 * stored back as that number.
 */
import { z } from 'zod'
import { durationHint, parseDurationMs } from './duration.js'

function fromText (unitMs: number): (value: unknown, ctx: z.core.$RefinementCtx) => unknown {
  return (value, ctx) => {
    if (typeof value !== 'string') return value
    try {
      const ms = parseDurationMs(value)
      if (ms % unitMs !== 0) {
        ctx.addIssue({ code: 'custom', message: `"${value}" is not whole seconds`, input: value })
        return value
      }
      return ms / unitMs
    } catch {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration: use ${unitMs === 1 ? 'milliseconds' : 'seconds'} as a number, or ${durationHint}`, input: value })
      return value
    }
  }
}

/** A duration in milliseconds: a number, or a string such as `"500ms"` or `"10s"`. */
export function msDuration<T extends z.ZodType<number>> (inner: T): z.ZodPreprocess<T> {
  return z.preprocess(fromText(1), inner)
}

/** A duration in whole seconds: a number, or a string such as `"30s"` or `"1h"`. */
export function secondsDuration<T extends z.ZodType<number>> (inner: T): z.ZodPreprocess<T> {
  return z.preprocess(fromText(1000), inner)
}
