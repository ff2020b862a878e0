import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../../src/db/migrate';
import { freePort } from '../support/ports';
import { awaitDelivered, printFigures, runLoad, sleep, tally } from './faultRun';
import { deliveryStatusCounts, settledDeliveryCounts, startFaultStack, type FaultStack } from './faultStack';
import { PrivatePostgres } from '../support/privatePostgres';

const TOTAL = Number(process.env['FAULT_EVENTS'] ?? 150);
const LOAD_MS = 15_000;
const OUTAGE_MS = 8_000;

/**
 * A private Postgres (server and worker child both use it) stopped mid-load and started again on
 * the same data dir. While it is down, ingest cannot commit and so must answer 503, never 2xx; the
 * partner retries. The worker's activities fail and are retried by Temporal. Afterwards every
 * acknowledged event must reach the receiver.
 */
describe('fault: Postgres restarted mid-load', () => {
  let postgres: PrivatePostgres;
  let f: FaultStack;
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'switchboard-fault-pg-'));
    postgres = new PrivatePostgres(path.join(root, 'pg'), await freePort());
    const url = await postgres.start();
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url }) }) });
    await migrateToLatest(db);
    await db.destroy();
    f = await startFaultStack({ databaseUrl: url });
  });
  afterAll(async () => {
    await f?.close();
    await postgres?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('answers 503 (never 2xx) while Postgres is down and delivers every acknowledged event after the restart', async () => {
    const load = runLoad({ api: () => f.stack.api, partnerId: f.partner.id, secret: f.partner.inbound_secret, total: TOTAL, durationMs: LOAD_MS });
    await sleep(LOAD_MS * 0.3);
    await postgres.stop();
    const downFrom = Date.now();
    await sleep(OUTAGE_MS);
    const downUntil = Date.now();
    await postgres.start();
    const result = await load;

    expect(result.refused).toEqual([]);
    expect(result.abandoned).toEqual([]);
    const duringOutage = result.attempts.filter((a) => a.startedAt >= downFrom && a.endedAt <= downUntil);
    expect(duringOutage.length).toBeGreaterThan(10);
    const statuses = [...new Set(duringOutage.map((a) => a.status))];
    // Nothing is acknowledged that is not committed: every answer in the outage is a 503.
    expect(statuses).toEqual([503]);

    await awaitDelivered(f.receiver, result.acks, 90_000);
    const figures = tally('postgres restart', result, f.receiver);
    printFigures(figures, { refusedWhileDown: duringOutage.length, deliveries: await deliveryStatusCounts(f.stack) });

    expect(figures.acknowledged).toBe(TOTAL);
    expect(figures.lost).toBe(0);
    expect(figures.unacknowledgedDelivered).toBe(0);
    expect(new Set(f.receiver.accepted.keys())).toEqual(new Set(result.acks.keys()));
    expect(await settledDeliveryCounts(f.stack, TOTAL)).toEqual({ delivered: TOTAL });
    // One row per event key, despite the partner's retries.
    const events = await f.stack.core.database.db.selectFrom('events').select('id').execute();
    expect(events).toHaveLength(TOTAL);
  });
});
