/**
 * Reading pino lines back: levels, filtering, the human-readable form.
 */
import { describe, it } from 'node:test'
import { strict as assert } from 'node:assert'
import { atOrAbove, formatLogChunk, formatLogLine, isLevelName, levelNumbers, parseLogLine } from './log-format.js'

describe('log lines', () => {
  it('formats time, level, component, message, then key=value fields', () => {
    const line = parseLogLine('{"level":40,"time":"2026-12-07T20:01:20.123Z","component":"mesh","part":"relays","msg":"reservation refused","relay":"ABC","reason":"no space left","n":3}')
    assert.equal(line.level, 40)
    assert.equal(formatLogLine(line), '2026-12-07T20:01:20.123Z WARN  [mesh/relays] reservation refused relay=ABC reason="no space left" n=3')
  })

  it('shows a serialized error by its message and nested objects as JSON', () => {
    const line = parseLogLine('{"level":50,"time":1700000000000,"msg":"failed","err":{"type":"Error","message":"boom","stack":"Error: boom\\n  at x"},"peer":{"id":1}}')
    assert.equal(formatLogLine(line), '2023-11-14T22:13:20.000Z ERROR failed err="boom" peer={"id":1}')
  })

  it('leaves a top-level stack out of the human form', () => {
    const line = parseLogLine('{"level":50,"time":"t","type":"Error","message":"boom","stack":"Error: boom\\n    at f (x.js:1:1)","msg":"boom"}')
    assert.equal(formatLogLine(line), 't ERROR boom type=Error message=boom')
  })

  it('passes lines that are not JSON objects through unchanged', () => {
    for (const raw of ['plain text', '{broken', '[1,2]']) {
      const line = parseLogLine(raw)
      assert.equal(line.entry, undefined)
      assert.equal(formatLogLine(line), raw)
      assert.ok(atOrAbove(line, levelNumbers.fatal), 'a line without a level is never filtered out')
    }
  })

  it('filters at or above a level', () => {
    const info = parseLogLine('{"level":30,"msg":"a"}')
    assert.ok(atOrAbove(info, levelNumbers.info))
    assert.ok(atOrAbove(info, levelNumbers.debug))
    assert.ok(!atOrAbove(info, levelNumbers.warn))
    assert.ok(isLevelName('warn'))
    assert.ok(!isLevelName('loud'))
    assert.ok(!isLevelName('toString'))
  })

  it('turns a chunk of JSON lines into as many human lines', () => {
    const chunk = '{"level":40,"time":"t","msg":"one"}\n{"level":50,"time":"t","msg":"two","fault":"gossip-garbage"}\n'
    assert.equal(formatLogChunk(chunk), 't WARN  one\nt ERROR two fault=gossip-garbage\n')
  })
})
