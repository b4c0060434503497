// Lint: type-aware TypeScript rules, and the layer boundaries of docs/ARCHITECTURE.md
// (dependencies point down only: core < identity < net < network < daemon < cli, library).
import { readFileSync } from 'node:fs'
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

/** Packages only installed for development: shipped code (src/ outside its tests) may not import them. */
const devOnly = Object.keys(JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).devDependencies)
  .filter((name) => !name.startsWith('@types/'))
  .map((name) => ({ group: [name, `${name}/*`], message: `${name} is a devDependency: shipped code may not import it (test helpers live in test/support/)` }))

const layers = {
  core: [],
  identity: ['core'],
  net: ['core', 'identity'],
  network: ['core', 'identity', 'net'],
  features: ['core', 'identity', 'net', 'network'],
  daemon: ['core', 'identity', 'net', 'network', 'features', 'version'],
  cli: ['core', 'daemon', 'identity', 'network', 'features', 'version'],
  // The embeddable library (src/index.ts re-exports it): a facade over the daemon's composition root.
  library: ['core', 'identity', 'net', 'network', 'features', 'daemon', 'version'],
  testing: ['core', 'identity', 'net', 'network', 'features', 'daemon']
}
const all = Object.keys(layers)

// What only the doctor reads of the mesh (src/net/types.ts): no other feature, nor the network layer, takes it.
const diagnostics = { group: ['**/net/types.js'], importNames: ['MeshDiagnostics'], message: 'only the doctor (src/features/doctor.ts) takes MeshDiagnostics; features use Mesh' }

function boundaries (layer, allowed, { shipped, doctor = false }) {
  const forbidden = all.filter((l) => l !== layer && !allowed.includes(l))
  const ignores = [...(shipped ? ['src/**/*.test.ts'] : []), ...(layer === 'features' && shipped && !doctor ? ['src/features/doctor.ts'] : [])]
  return {
    files: doctor ? ['src/features/doctor.ts'] : shipped ? [`src/${layer}/**/*.ts`] : [`src/${layer}/**/*.test.ts`],
    ...(ignores.length > 0 ? { ignores } : {}),
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...(shipped ? devOnly : []),
          ...forbidden.map((l) => ({ group: [`**/${l}/*`, `**/${l}/**`], message: `layer "${layer}" may not import "${l}" (dependencies point down: see docs/ARCHITECTURE.md)` })),
          ...(layer === 'net' ? [] : [{ group: ['libp2p', '@libp2p/*', '@chainsafe/*', '@multiformats/*'], message: 'only the net layer knows libp2p' }]),
          // Features see networks through the read-only port, never the service that commits.
          ...(layer === 'features' ? [{ group: ['**/network/*', '!**/network/networks.js'], message: 'features see networks only through src/network/networks.ts (the read-only Networks port)' }] : []),
          ...((layer === 'features' && !doctor) || layer === 'network' ? [diagnostics] : [])
        ]
      }]
    }
  }
}

export default tseslint.config(
  { ignores: ['dist/**', 'docs/api/**', 'node_modules/**', 'eslint.config.js', 'bin/**', 'scripts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after'] }] }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'error',
      'no-console': 'error'
    }
  },
  ...Object.entries(layers).flatMap(([layer, allowed]) => [boundaries(layer, allowed, { shipped: true }), boundaries(layer, allowed, { shipped: false })]),
  boundaries('features', layers.features, { shipped: true, doctor: true }),
  {
    // Unit tests of any layer may use the test helpers (nothing shipped imports them).
    files: ['src/**/*.test.ts'],
    ignores: ['src/net/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['libp2p', '@libp2p/*', '@chainsafe/*'], message: 'only the net layer knows libp2p' }] }]
    }
  },
  {
    // The dashboard is a client of the public API like any other: it imports nothing of the daemon.
    files: ['web/**/*.ts', 'web/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/*/**', 'weft', 'weft/*', 'node:*'], message: 'the dashboard uses only the public API (web/src/types.ts declares what it reads)' }] }]
    }
  },
  {
    // Example programs: plain JavaScript as an application would write it, printing what it does.
    files: ['examples/**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { console: 'readonly', process: 'readonly', AbortSignal: 'readonly', AbortController: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' }
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-console': 'off' }
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/**/*.test.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-non-null-assertion': 'off' }
  }
)
