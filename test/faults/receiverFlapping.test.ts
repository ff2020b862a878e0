import type { Behaviour } from '../support/receiver';
import { awaitDelivered, printFigures, runLoad, sleep, tally } from './faultRun';
import { deliveryStatusCounts, settledDeliveryCounts, startFaultStack, type FaultStack } from './faultStack';

const TOTAL = Number(process.env['FAULT_EVENTS'] ?? 150);
const LOAD_MS = 12_000;
const FLAP_MS = 10_000;

/**
 * For 10 s the receiver misbehaves in turn: 500s, 503 with Retry-After, answers that come only
 * after the delivery timeout (the receiver still acts on them: the classic source of duplicates),
 * and connections closed without an answer. Then it recovers.
 */
const flapping: Behaviour = (req) => {
  switch (req.n % 4) {
    case 0:
      return { status: 500, body: 'boom' };
    case 1:
      return { status: 200, delayMs: 3_000 }; // DELIVERY_TIMEOUT is 2 s
    case 2:
      return { destroy: true };
    default:
      return { status: 503, headers: { 'retry-after': '1' } };
  }
};

describe('fault: receiver flapping (errors, hangs past the timeout, dropped connections)', () => {
  let f: FaultStack;
  beforeAll(async () => {
    f = await startFaultStack();
  });
  afterAll(async () => {
    await f?.close();
  });

  it('every acknowledged event is delivered, duplicates only before receiver dedupe', async () => {
    const load = runLoad({ api: () => f.stack.api, partnerId: f.partner.id, secret: f.partner.inbound_secret, total: TOTAL, durationMs: LOAD_MS });
    await sleep(LOAD_MS * 0.2);
    f.receiver.misbehave(flapping);
    const flapFrom = f.receiver.receiver.requests.length;
    await sleep(FLAP_MS);
    f.receiver.healthy();
    const flapRequests = f.receiver.receiver.requests.length - flapFrom;
    const result = await load;

    expect(result.refused).toEqual([]);
    expect(result.abandoned).toEqual([]);
    expect(result.attempts.every((a) => a.status === 202)).toBe(true);

    await awaitDelivered(f.receiver, result.acks, 90_000);
    const figures = tally('receiver flapping', result, f.receiver);
    const attempts = await f.stack.core.database.db.selectFrom('delivery_attempts').select(['status_code', 'error']).execute();
    const failedAttempts = attempts.filter((a) => a.status_code === null || a.status_code >= 300).length;
    printFigures(figures, { flapRequests, failedAttemptsRecorded: failedAttempts, deliveries: await deliveryStatusCounts(f.stack) });

    // The flapping really happened and really failed attempts.
    expect(flapRequests).toBeGreaterThanOrEqual(5);
    expect(failedAttempts).toBeGreaterThan(4);
    expect(figures.acknowledged).toBe(TOTAL);
    expect(figures.lost).toBe(0);
    expect(figures.unacknowledgedDelivered).toBe(0);
    expect(new Set(f.receiver.accepted.keys())).toEqual(new Set(result.acks.keys()));
    expect(await settledDeliveryCounts(f.stack, TOTAL)).toEqual({ delivered: TOTAL });
  });
});
