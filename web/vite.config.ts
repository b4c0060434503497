// Vite build of the dashboard: web/ in, dist/web out (served by the daemon, see
// src/daemon/api/dashboard.ts). No inline scripts or styles, so the page runs under a CSP
// without 'unsafe-inline'; Preact's JSX through Oxc, no framework plugin needed.
import { defineConfig } from 'vite'

export default defineConfig({
  root: 'web',
  base: '/',
  publicDir: false,
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    target: 'es2022',
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } }
})
