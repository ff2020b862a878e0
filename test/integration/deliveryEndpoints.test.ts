import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { captureHistory, eventView, sendEvent, settle, uniqueCallId, waitUntil } from './deliveryHelpers';

/** Per-endpoint behaviour: independence of endpoints, the circuit breaker, the rate limit. */
describe('delivery: endpoints are independent, circuit-broken and rate-limited', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  const receivers: Receiver[] = [];
  const secrets: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack({
      env: {
        DELIVERY_TIMEOUT: '2s',
        CIRCUIT_FAILURE_THRESHOLD: '3',
        CIRCUIT_OPEN_DURATION: '2s',
        DELIVERY_MAX_ATTEMPTS: '6',
        // "Failing for days" scaled down: longer than any other test's failure streak here.
        ENDPOINT_DISABLE_AFTER: '2500ms',
      },
    });
    partner = await seedPartner(stack);
    secrets.push(partner.inbound_secret);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.close();
  });

  async function receiver(behave: Parameters<typeof startReceiver>[0]) {
    const r = await startReceiver(behave);
    receivers.push(r);
    return r;
  }

  it('two endpoints, one down: the healthy one is delivered without waiting for the failing one', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Two endpoints');
    const slowDown = await receiver(() => ({ status: 500, delayMs: 1_500 }));
    const healthy = await receiver(() => ({ status: 200 }));
    const down = await seedEndpoint(stack, partner.id, tenant.id, { url: slowDown.url, max_attempts: 2 });
    const up = await seedEndpoint(stack, partner.id, tenant.id, { url: healthy.url });
    secrets.push(down.secret, up.secret);

    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('two'), tenant_id: tenant.id });
    await healthy.waitFor(1);
    await slowDown.waitFor(1);
    // The healthy endpoint got its delivery before the failing endpoint had even answered once.
    expect(healthy.requests[0]!.at).toBeLessThan(slowDown.requests[0]!.at + 1_500);
    const mid = await eventView(stack, ack.event_id);
    const byEndpoint = Object.fromEntries(mid.deliveries.map((d) => [d.endpoint_id, d]));
    await waitUntil('the healthy delivery to be recorded', async () =>
      (await eventView(stack, ack.event_id)).deliveries.find((d) => d.endpoint_id === up.id && d.status === 'delivered'),
    );
    expect(byEndpoint[down.id]!.status).not.toBe('dead_lettered');

    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'partially_delivered' });
    const view = await eventView(stack, ack.event_id);
    expect(Object.fromEntries(view.deliveries.map((d) => [d.endpoint_id, [d.status, d.attempt_count]]))).toEqual({
      [down.id]: ['dead_lettered', 2],
      [up.id]: ['delivered', 1],
    });
  });

  it('the circuit opens after N failures, deliveries wait on timers, a half-open probe closes it', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Circuit');
    const flaky = await receiver((r) => (r.n <= 3 ? { status: 503 } : { status: 200 }));
    const ep = await seedEndpoint(stack, partner.id, tenant.id, { url: flaky.url });
    secrets.push(ep.secret);
    const db = stack.core.database.db;
    const circuit = () => db.selectFrom('endpoints').select(['circuit_state', 'consecutive_failures']).where('id', '=', ep.id).executeTakeFirstOrThrow();

    const first = await sendEvent(stack, partner, { call_id: uniqueCallId('circuit'), tenant_id: tenant.id });
    await waitUntil('the circuit to open', async () => (await circuit()).circuit_state === 'open', 10_000);
    expect((await circuit()).consecutive_failures).toBe(3);
    // Sent while open: it must wait for the circuit instead of burning attempts.
    const second = await sendEvent(stack, partner, { call_id: uniqueCallId('circuit'), tenant_id: tenant.id });

    expect(await settle(stack, first.workflow_id)).toMatchObject({ status: 'delivered' });
    expect(await settle(stack, second.workflow_id)).toMatchObject({ status: 'delivered' });
    expect(await circuit()).toEqual({ circuit_state: 'closed', consecutive_failures: 0 });

    const a = (await eventView(stack, first.event_id)).deliveries[0]!;
    expect(a.attempts.map((x) => x.status_code)).toEqual([503, 503, 503, 200]);
    const cooledDown = Date.parse(a.attempts[3]!.started_at) - (Date.parse(a.attempts[2]!.started_at) + a.attempts[2]!.duration_ms);
    expect(cooledDown).toBeGreaterThanOrEqual(1_800); // CIRCUIT_OPEN_DURATION = 2 s
    const b = (await eventView(stack, second.event_id)).deliveries[0]!;
    expect(b.attempts.map((x) => x.status_code)).toEqual([200]);
    expect(flaky.requests).toHaveLength(5);

    // The waits are durable workflow timers in the delivery's history.
    for (const d of [a, b]) {
      const history = await stack.temporal.workflow.getHandle(d.workflow_id).fetchHistory();
      expect(history.events!.some((e) => e.timerStartedEventAttributes)).toBe(true);
    }
    await captureHistory(stack, a.workflow_id, 'delivery-circuit-open', secrets);
  });

  it('rate_limit_per_second is respected without costing attempts', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Rate limited');
    const r = await receiver(() => ({ status: 200 }));
    const ep = await seedEndpoint(stack, partner.id, tenant.id, { url: r.url, rate_limit_per_second: 2 });
    secrets.push(ep.secret);

    const acks = await Promise.all(Array.from({ length: 6 }, () => sendEvent(stack, partner, { call_id: uniqueCallId('rate'), tenant_id: tenant.id })));
    for (const ack of acks) expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });

    expect(r.requests).toHaveLength(6);
    const times = r.requests.map((q) => q.at).sort((x, y) => x - y);
    // 6 deliveries at 2 per second need at least three one-second windows.
    expect(times[5]! - times[0]!).toBeGreaterThanOrEqual(1_000);
    for (const ack of acks) expect((await eventView(stack, ack.event_id)).deliveries[0]!.attempt_count).toBe(1);
  });

  it('an endpoint failing past ENDPOINT_DISABLE_AFTER is disabled and endpoint.disabled is recorded', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Always down');
    const dead = await receiver(() => ({ status: 503 }));
    const ep = await seedEndpoint(stack, partner.id, tenant.id, { url: dead.url });
    secrets.push(ep.secret);

    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('disable'), tenant_id: tenant.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'dead_lettered' });

    const db = stack.core.database.db;
    const row = await db.selectFrom('endpoints').select(['enabled', 'disabled_reason']).where('id', '=', ep.id).executeTakeFirstOrThrow();
    expect(row.enabled).toBe(false);
    expect(row.disabled_reason).toMatch(/circuit breaker/);
    const ops = await db.selectFrom('operational_events').select(['type', 'detail', 'tenant_id']).where('type', '=', 'endpoint.disabled').execute();
    expect(ops.filter((o) => (o.detail as { endpoint_id?: string }).endpoint_id === ep.id)).toHaveLength(1);
    const d = (await eventView(stack, ack.event_id)).deliveries[0]!;
    expect(d.dead_letter_reason).toMatch(/endpoint is disabled/);
    // It stopped trying once disabled instead of spending the whole attempt budget.
    expect(d.attempt_count).toBeLessThan(6);
  });
});
