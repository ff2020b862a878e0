/**
 * `npm run capture-histories`: re-captures the replay fixtures in test/histories/ from real runs.
 *
 * The histories come from the integration tests that drive each path on the real stack (embedded
 * Postgres, Temporal dev server, real worker and receivers): with CAPTURE_HISTORIES=1 they write
 * the workflow histories they produced (refusing any that contains a secret). Reusing the tests
 * means a fixture always comes from a run whose outcome was asserted, not from a hand-made script.
 *
 * Re-capture as a step of docs/versioning.md (a patch shipped, deprecated or removed: the
 * fixtures of the code before it move to test/histories/before-<id>/ first), never to make a
 * failing replay test pass: that failure is the gate doing its job.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(__dirname, '..');
const HISTORIES = path.join(REPO, 'test', 'histories');

/** Test file -> the fixtures it writes. */
const CAPTURING_TESTS: Record<string, string[]> = {
  'test/integration/deliveryRetries.test.ts': ['event-delivered', 'event-retried', 'delivery-retried', 'delivery-dead-lettered', 'event-dead-lettered', 'delivery-redriven'],
  'test/integration/deliveryTenancy.test.ts': ['event-quarantined', 'event-released'],
  'test/integration/deliveryEndpoints.test.ts': ['delivery-circuit-open'],
  'test/integration/cli.test.ts': ['reconciliation-incident'],
  'test/integration/deliveryInline.test.ts': ['event-first-attempt-deferred'],
};

const started = Date.now();
const files = Object.keys(CAPTURING_TESTS);
process.stderr.write(`capturing histories from ${files.length} test files (real stack)…\n`);
const jest = spawnSync(path.join(REPO, 'node_modules', '.bin', 'jest'), ['--runInBand', ...files], {
  cwd: REPO,
  stdio: 'inherit',
  env: { ...process.env, CAPTURE_HISTORIES: '1' },
});
if (jest.status !== 0) {
  process.stderr.write('\nthe capturing tests failed: no fixture should be trusted from this run (git checkout test/histories)\n');
  process.exit(jest.status ?? 1);
}

const expected = Object.values(CAPTURING_TESTS).flat();
const fresh = readdirSync(HISTORIES)
  .filter((f) => f.endsWith('.json'))
  .filter((f) => statSync(path.join(HISTORIES, f)).mtimeMs >= started);
const missing = expected.filter((name) => !fresh.includes(`${name}.json`));
process.stdout.write(`\ncaptured ${fresh.length} histories into test/histories/: ${fresh.sort().join(', ')}\n`);
if (missing.length) {
  process.stderr.write(`not re-captured: ${missing.join(', ')}\n`);
  process.exit(1);
}
process.stdout.write('review with `git diff --stat test/histories` and run `npx jest test/unit/workflowReplay.test.ts`\n');
