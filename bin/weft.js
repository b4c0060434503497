#!/usr/bin/env node
// Entry point of the `weft` command: runs the compiled CLI (build with `npm run build`).
// A missing or broken build gives one line, not a stack trace (WEFT_DEBUG=1 shows it).
try {
  await import('../dist/src/cli/main.js')
} catch (err) {
  const missing = err?.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist')
  process.stderr.write(`weft: ${missing ? 'weft is not built: run "npm run build" in its checkout' : `cannot load weft: ${String(err?.message ?? err).split('\n')[0]}`}\n`)
  if (process.env.WEFT_DEBUG) process.stderr.write(`${err?.stack ?? err}\n`)
  process.exitCode = 1
}
