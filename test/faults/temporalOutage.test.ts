import { rmSync } from 'node:fs';
import { TemporalDevServer } from '../../src/dev/temporalDevServer';
import { startPrivateTemporal } from '../support/privateTemporal';
import { createTestDatabase } from '../support/testStack';
import { awaitDelivered, printFigures, runLoad, sleep, tally } from './faultRun';
import { eventually } from '../support/eventually';
import { deliveryStatusCounts, settledDeliveryCounts, startFaultStack, type FaultStack } from './faultStack';

const TOTAL = Number(process.env['FAULT_EVENTS'] ?? 150);
const LOAD_MS = 15_000;
const OUTAGE_MS = 20_000;

/**
 * A private Temporal dev server (the shared one serves other files) stopped for 20 s in the middle
 * of the load and started again on the same port and SQLite file. Ingest must keep acknowledging
 * (the event is committed in Postgres; the outbox starts its workflow later) and the worker child
 * must ride out the outage and finish everything.
 */
describe('fault: Temporal down for 20 s mid-load', () => {
  let temporal: TemporalDevServer;
  let f: FaultStack;
  let root: string;

  beforeAll(async () => {
    ({ temporal, root } = await startPrivateTemporal('fault-temporal'));
    f = await startFaultStack({ databaseUrl: await createTestDatabase(), temporalAddress: temporal.address });
  });
  afterAll(async () => {
    await f?.close();
    await temporal?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('keeps acknowledging with 202 while Temporal is down and delivers every event after it returns', async () => {
    const load = runLoad({ api: () => f.stack.api, partnerId: f.partner.id, secret: f.partner.inbound_secret, total: TOTAL, durationMs: LOAD_MS });
    await sleep(LOAD_MS * 0.2);
    await temporal.stop();
    const downFrom = Date.now();
    const deliveredWhenStopped = f.receiver.accepted.size;
    await sleep(OUTAGE_MS);
    const downUntil = Date.now();
    await temporal.start();
    const result = await load;

    expect(result.refused).toEqual([]);
    expect(result.abandoned).toEqual([]);
    const duringOutage = result.attempts.filter((a) => a.startedAt >= downFrom && a.endedAt <= downUntil);
    expect(duringOutage.length).toBeGreaterThan(TOTAL / 3);
    // Acknowledged durably (committed, in the outbox) without Temporal.
    expect(duringOutage.every((a) => a.status === 202)).toBe(true);

    await awaitDelivered(f.receiver, result.acks, 90_000);
    const figures = tally('temporal down 20 s', result, f.receiver);
    printFigures(figures, { acknowledgedWhileDown: duringOutage.length, deliveredWhenStopped, deliveries: await deliveryStatusCounts(f.stack) });

    expect(figures.acknowledged).toBe(TOTAL);
    expect(figures.lost).toBe(0);
    expect(figures.unacknowledgedDelivered).toBe(0);
    expect(new Set(f.receiver.accepted.keys())).toEqual(new Set(result.acks.keys()));
    expect(await settledDeliveryCounts(f.stack, TOTAL)).toEqual({ delivered: TOTAL });
    // The relay marks an event started after its start call returns, which can be after delivery.
    const unstarted = () => f.stack.core.database.db.selectFrom('events').select('id').where('workflow_started_at', 'is', null).execute();
    expect(await eventually(unstarted, (rows) => rows.length === 0, 30_000).catch(unstarted)).toEqual([]);
  });
});
