import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { OTEL_WORKFLOW_INTERCEPTORS } from '../../src/temporal/bundleVariant';
import { decodeHistory } from '../histories/historyFile';

/**
 * The replay gate. Every history captured from real runs (test/histories/**.json, written by the
 * delivery and CLI integration tests with CAPTURE_HISTORIES=1, `npm run capture-histories`) is
 * replayed against the current workflow code. A change that would break workflows in flight
 * (reordered or renamed activities, a new timer without `patched()`) fails here with a
 * nondeterminism error instead of in production. Histories of earlier code kept while a patch is
 * live go in a `before-<patch id>/` folder and are replayed too (docs/versioning.md).
 */
const DIR = path.join(__dirname, '..', 'histories');
const files = (readdirSync(DIR, { recursive: true }) as string[]).filter((f) => f.endsWith('.json')).sort();

function load(f: string) {
  return { workflowId: f.replace(/\.json$/, '').replace(/[\\/]/g, ':'), history: decodeHistory(readFileSync(path.join(DIR, f), 'utf8')) };
}

/** Each history's replay failure (`<workflow id>: <message>`); none when all replay cleanly. */
async function replayFailures(workflowsPath: string, histories: ReturnType<typeof load>[], workflowInterceptorModules: string[] = []) {
  const failures: Array<{ workflowId: string; message: string }> = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories({ workflowsPath, interceptors: { workflowModules: workflowInterceptorModules } }, histories)) {
    replayed++;
    if (result.error) failures.push({ workflowId: result.workflowId, message: result.error.message });
  }
  return { failures, replayed };
}

describe('workflow replay of stored histories', () => {
  beforeAll(() => {
    // The replay worker's chatter (and core's warning for each failure the last test provokes) is
    // noise here; real problems surface as results.
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  });

  it('covers the delivered, retried, dead-lettered, redriven, quarantined and reconciliation paths', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'event-delivered.json',
        'event-retried.json',
        'event-first-attempt-deferred.json',
        'event-dead-lettered.json',
        'event-quarantined.json',
        'event-released.json',
        'delivery-retried.json',
        'delivery-dead-lettered.json',
        'delivery-redriven.json',
        'delivery-circuit-open.json',
        'reconciliation-incident.json',
      ]),
    );
  });

  it('contain no secrets: workflow inputs are ids and policy only', () => {
    for (const f of files) {
      const text = readFileSync(path.join(DIR, f), 'utf8');
      // Webhook signing secrets and API keys have recognisable prefixes.
      expect(text).not.toMatch(/whsec_|sk_(admin|partner|tenant)_/);
    }
  });

  it('replay deterministically against the current workflow code', async () => {
    const { failures, replayed } = await replayFailures(require.resolve('../../workflows'), files.map(load));
    expect(failures.map((f) => `${f.workflowId}: ${f.message}`)).toEqual([]);
    expect(replayed).toBe(files.length);
  });

  it('replay deterministically with tracing on (OpenTelemetry workflow interceptors in the bundle)', async () => {
    // Histories recorded with tracing off, replayed by a traced worker: turning tracing on is safe
    // for workflows in flight (tracing.test.ts replays a traced history with tracing off).
    const { failures, replayed } = await replayFailures(require.resolve('../../workflows'), files.map(load), [require.resolve(OTEL_WORKFLOW_INTERCEPTORS)]);
    expect(failures.map((f) => `${f.workflowId}: ${f.message}`)).toEqual([]);
    expect(replayed).toBe(files.length);
  });

  it('fail on a changed command sequence: every event history breaks against an eventWorkflow with one more timer', async () => {
    const events = files.filter((f) => path.basename(f).startsWith('event-'));
    const deliveries = files.filter((f) => path.basename(f).startsWith('delivery-'));
    const histories = [...events, ...deliveries].map(load);
    const { failures, replayed } = await replayFailures(require.resolve('../histories/workflowsWithExtraTimer'), histories);
    expect(replayed).toBe(histories.length);
    // Exactly the event workflows fail, each with a nondeterminism error; the unchanged delivery
    // workflows still replay, so the failures are the change's and not the harness's.
    expect(failures.map((f) => f.workflowId).sort()).toEqual(events.map((f) => load(f).workflowId).sort());
    for (const f of failures) expect(f.message).toMatch(/\[TMPRL1100\] Nondeterminism error/);
  });
});
