import { awaitDelivered, printFigures, runLoad, tally } from './faultRun';
import { startFaultStack, type FaultStack } from './faultStack';

/**
 * kill -9 of the worker while it holds the circuit breaker's half-open probe. The probe holds a
 * lease (src/domain/circuitBreaker.ts): if it never reports (worker killed, Postgres down while
 * recording), another delivery may probe once the lease runs out, so the endpoint cannot stay
 * `half_open` forever. Before the lease existed this test reproduced exactly that wedge.
 */
describe('fault: worker killed during the circuit breaker probe', () => {
  let f: FaultStack;
  beforeAll(async () => {
    f = await startFaultStack({ extra: { CIRCUIT_FAILURE_THRESHOLD: '3' } });
  });
  afterAll(async () => {
    await f?.close();
  });

  it('the endpoint recovers and the event is delivered after the receiver and a new worker are back', async () => {
    // Three 500s open the circuit; the fourth request is the half-open probe: hold it unanswered.
    f.receiver.misbehave((req) => (req.n <= 3 ? { status: 500 } : { status: 503, delayMs: 25_000 }));
    const load = await runLoad({ api: () => f.stack.api, partnerId: f.partner.id, secret: f.partner.inbound_secret, total: 1, durationMs: 1 });
    await f.receiver.receiver.waitFor(4, 30_000);
    const endpoint = () => f.stack.core.database.db.selectFrom('endpoints').select(['circuit_state']).executeTakeFirstOrThrow();
    expect((await endpoint()).circuit_state).toBe('half_open'); // the probe really is in flight
    await f.worker.kill9();
    f.receiver.healthy();
    await f.worker.start();

    await awaitDelivered(f.receiver, load.acks, 40_000);
    const figures = tally('circuit probe killed', load, f.receiver);
    printFigures(figures, { circuit: (await endpoint()).circuit_state });
    expect(figures.lost).toBe(0);
  });
});
