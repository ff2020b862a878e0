import { awaitDelivered, printFigures, runLoad, sleep, tally } from './faultRun';
import { deliveryStatusCounts, settledDeliveryCounts, startFaultStack, type FaultStack } from './faultStack';

const TOTAL = Number(process.env['FAULT_EVENTS'] ?? 150);
const LOAD_MS = 12_000;

/**
 * kill -9 of the worker process in the middle of a steady load, then a fresh worker. In-flight
 * activities die with it (Temporal times them out and retries them on the new worker); the API
 * keeps acknowledging because it does not need a worker.
 */
describe('fault: worker killed with SIGKILL mid-load', () => {
  let f: FaultStack;
  beforeAll(async () => {
    f = await startFaultStack();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('every acknowledged event is delivered once after receiver dedupe', async () => {
    const load = runLoad({ api: () => f.stack.api, partnerId: f.partner.id, secret: f.partner.inbound_secret, total: TOTAL, durationMs: LOAD_MS });
    await sleep(LOAD_MS * 0.35);
    // Kill a worker that is demonstrably busy (slow machines may need a moment longer).
    for (let i = 0; i < 80 && f.receiver.accepted.size === 0; i++) await sleep(250);
    const deliveredBeforeKill = f.receiver.accepted.size;
    await f.worker.kill9();
    const killedAt = Date.now();
    await sleep(3_000);
    await f.worker.start();
    const result = await load;

    expect(result.refused).toEqual([]);
    expect(result.abandoned).toEqual([]);
    // The API never depended on the worker: every event was acknowledged on its first try.
    expect(result.attempts.filter((a) => a.startedAt >= killedAt && a.status !== 202)).toEqual([]);

    await awaitDelivered(f.receiver, result.acks, 90_000);
    const figures = tally('worker kill -9', result, f.receiver);
    printFigures(figures, { deliveredBeforeKill, deliveries: await deliveryStatusCounts(f.stack) });

    expect(figures.acknowledged).toBe(TOTAL);
    expect(figures.lost).toBe(0);
    expect(figures.unacknowledgedDelivered).toBe(0);
    expect(new Set(f.receiver.accepted.keys())).toEqual(new Set(result.acks.keys()));
    expect(await settledDeliveryCounts(f.stack, TOTAL)).toEqual({ delivered: TOTAL });
    // The kill really interrupted work in progress, otherwise this test proves nothing.
    expect(deliveredBeforeKill).toBeLessThan(TOTAL);
  });
});
