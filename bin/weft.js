#!/usr/bin/env node
// Entry point of the `weft` command: runs the compiled CLI (build with `npm run build`).
import '../dist/src/cli/main.js'
