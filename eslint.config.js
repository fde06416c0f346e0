// ESLint flat config. `npm run lint` runs `eslint --max-warnings 0 .`, so a warning blocks as surely as
// an error; the severities below only decide how an editor shows a finding.
// Not type-aware on purpose: it keeps lint fast, and `tsc --noEmit` (npm run typecheck) already runs in CI.
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';
import security from 'eslint-plugin-security';

export default defineConfig(
  globalIgnores(['node_modules/', '.strongroom/', '.ci-artifacts/', '.test-data/'], 'strongroom/ignores'),

  tseslint.configs.recommended,
  security.configs.recommended,

  {
    name: 'strongroom/base',
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module' },
    // A disable comment that no longer suppresses anything must go, so exceptions stay honest.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // Code from strings is how injected data becomes executed code.
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-script-url': 'error',
      'no-proto': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // Services log through the scrubbing logger (#lib/log), never straight to stdout.
      'no-console': 'error',
      // Off: it flags every `obj[key]` with a non-literal key, so nearly every lookup table, array index and
      // loop in the codebase, and the noise would train people to add disable comments without reading
      // them. Prototype-pollution risk is handled where it arises instead: request bodies are validated by
      // TypeBox schemas, maps keyed by input use `Map` or `Object.create(null)`, and `no-proto` is on.
      'security/detect-object-injection': 'off',
    },
  },

  {
    name: 'strongroom/tests',
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: {
      // Tests build malformed inputs and partial doubles on purpose.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },

  {
    name: 'strongroom/no-untrusted-paths',
    // This rule guards against file paths built from request input. Only services/ handle requests, so it
    // stays on there, where every hit needs a look and a disable comment saying where the path comes from.
    // The supervisor and CLI (bin/), the libraries (lib/: paths come from the service's config file, written
    // by the supervisor or the operator, never from a request), tests and CI helpers get no such input.
    files: ['bin/**', 'lib/**', 'bench/**', 'test/**', '**/*.test.ts', '.ci/**'],
    rules: { 'security/detect-non-literal-fs-filename': 'off' },
  },

  {
    name: 'strongroom/test-patterns',
    // Test assertions match short, trusted strings; a slow pattern there is a slow test, not a DoS.
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { 'security/detect-unsafe-regex': 'off' },
  },

  {
    name: 'strongroom/command-line',
    // CLIs, the supervisor, benchmarks and CI helpers talk to a person on a terminal.
    files: ['bin/**', 'bench/**', '.ci/**'],
    rules: { 'no-console': 'off' },
  },
);
