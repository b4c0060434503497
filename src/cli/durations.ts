/**
 * Commander parsers for flags that take a duration, all in the grammar of src/core/duration.ts
 * (`500ms`, `30s`, `10m`, `24h`, `7d`; a bare number is seconds).
 */
import { InvalidArgumentError } from 'commander'
import { parseDuration, parseDurationMs } from '../core/duration.js'

function asArgumentError<T> (parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text)
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message)
    }
  }
}

/** Parses a duration flag into milliseconds. */
export const durationMsArg = asArgumentError(parseDurationMs)

/** Parses a duration flag into whole seconds. */
export const durationSecondsArg = asArgumentError(parseDuration)
