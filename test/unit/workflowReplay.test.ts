import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { decodeHistory } from '../histories/historyFile';

/**
 * Replays every history captured from real runs (test/histories/*.json, written by the delivery
 * and CLI integration tests with CAPTURE_HISTORIES=1, `npm run capture-histories`) against the
 * current workflow code. A change that
 * would break workflows in flight (reordered activities, a new timer without `patched()`) fails
 * here with a DeterminismViolationError instead of in production.
 */
const DIR = path.join(__dirname, '..', 'histories');
/**
 * Histories written by earlier workflow code, kept when a change ships behind patched(): the
 * current code must still replay them (the workflows in flight at an upgrade).
 */
const EARLIER = ['before-inline-first-attempt', 'before-local-first-attempt', 'before-resolve-and-plan'];
const files = [
  ...readdirSync(DIR).filter((f) => f.endsWith('.json')),
  ...EARLIER.flatMap((d) => readdirSync(path.join(DIR, d)).filter((f) => f.endsWith('.json')).map((f) => `${d}/${f}`)),
].sort();

describe('workflow replay of stored histories', () => {
  beforeAll(() => {
    // The replay worker's lifecycle chatter is noise here; real problems surface as results.
    Runtime.install({ logger: new DefaultLogger('WARN') });
  });

  it('covers the delivered, retried, dead-lettered, redriven, quarantined and reconciliation paths', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'event-delivered.json',
        'event-retried.json',
        'event-first-attempt-deferred.json',
        'before-inline-first-attempt/event-delivered.json',
        'before-inline-first-attempt/delivery-retried.json',
        'before-local-first-attempt/event-delivered.json',
        'before-local-first-attempt/event-retried.json',
        'before-resolve-and-plan/event-delivered.json',
        'before-resolve-and-plan/event-first-attempt-deferred.json',
        'before-resolve-and-plan/event-quarantined.json',
        'event-delivered.json',
        'delivery-retried.json',
        'delivery-dead-lettered.json',
        'event-dead-lettered.json',
        'delivery-redriven.json',
        'event-quarantined.json',
        'event-released.json',
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
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, '').replace('/', ':'), history: decodeHistory(readFileSync(path.join(DIR, f), 'utf8')) }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowsPath: require.resolve('../../workflows') }, histories)) {
      replayed++;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  });
});
