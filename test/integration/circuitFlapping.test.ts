import { sql } from 'kysely';
import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { startReceiver, type Receiver, type ReceivedRequest } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { api, eventView, sendEvent, settle, uniqueCallId, waitUntil } from './deliveryHelpers';

/**
 * Issue 17's flapping endpoint on the real stack: an endpoint that fails each message's first two
 * attempts must not open the circuit (every message goes on the retry schedule alone), while a
 * dead endpoint still opens it, its waiting deliveries spend no attempts, and it recovers.
 *
 * The test stack's retry schedule is 200 ms, then x2 (attempts at 0, 0.2, 0.6, 1.4 s, ...), so
 * the breaker's window here is scaled down with it, and stays longer than the way to a third try.
 */
describe('circuit breaker: flapping endpoints deliver on schedule, dead ones are still held back', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  const receivers: Receiver[] = [];

  beforeAll(async () => {
    stack = await startTestStack({
      env: {
        // Enough budget that a dead endpoint is still retrying when its first window ends.
        DELIVERY_MAX_ATTEMPTS: '30',
        // Far longer than the way to a third try (0.6 s) even on a loaded 2-core machine, where
        // the handover to the delivery workflow alone has taken over a second.
        CIRCUIT_WINDOW: '20s',
        CIRCUIT_MIN_ATTEMPTS: '5',
        CIRCUIT_OPEN_DURATION: '1s',
        CIRCUIT_HALF_OPEN_PROBES: '2',
        ENDPOINT_DISABLE_AFTER: '1h',
      },
    });
    partner = await seedPartner(stack);
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
  const circuitOf = (endpointId: string) =>
    stack.core.database.db
      .selectFrom('endpoints')
      .select(['circuit_state', 'circuit_opened_at', 'circuit_window_attempts', 'circuit_window_failures'])
      .where('id', '=', endpointId)
      .executeTakeFirstOrThrow();

  /** Did any workflow of this delivery wait on the circuit? (The waits are summarised timers.) */
  async function waitedOnCircuit(workflowIds: string[]): Promise<boolean> {
    for (const id of workflowIds) {
      const history = await stack.temporal.workflow.getHandle(id).fetchHistory();
      for (const e of history.events ?? []) {
        const summary = e.userMetadata?.summary?.data;
        if (e.timerStartedEventAttributes && summary && Buffer.from(summary).toString('utf8').includes('circuit open')) return true;
      }
    }
    return false;
  }

  it('an endpoint failing each message\'s first two attempts never opens the circuit: every message is delivered on its third attempt, no circuit wait', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Flapping');
    const seen = new Map<string, number>();
    const flapping = await receiver((r: ReceivedRequest) => {
      const id = String(r.headers['webhook-id']);
      const n = (seen.get(id) ?? 0) + 1;
      seen.set(id, n);
      return { status: n <= 2 ? 500 : 200 };
    });
    const ep = await seedEndpoint(stack, partner.id, tenant.id, { url: flapping.url });

    const acks = await Promise.all(Array.from({ length: 12 }, () => sendEvent(stack, partner, { call_id: uniqueCallId('flap'), tenant_id: tenant.id })));
    for (const ack of acks) expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });

    const deliveries = await Promise.all(acks.map(async (a) => (await eventView(stack, a.event_id)).deliveries[0]!));
    for (const d of deliveries) expect(d.attempts.map((x) => x.status_code)).toEqual([500, 500, 200]);
    expect(flapping.requests).toHaveLength(36);
    // 24 straight failures in well under a window: the old rule (5 consecutive) opened here.
    expect(await waitedOnCircuit([...acks.map((a) => a.workflow_id), ...deliveries.map((d) => d.workflow_id)])).toBe(false);
    expect((await circuitOf(ep.id)).circuit_state).toBe('closed');
  });

  it('a dead endpoint opens the circuit once the window has run; waiting deliveries spend no attempts; only probes reach it; it recovers when the endpoint is back', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Dead then back');
    let up = false;
    const target = await receiver(() => ({ status: up ? 200 : 503 }));
    const ep = await seedEndpoint(stack, partner.id, tenant.id, { url: target.url });
    const db = stack.core.database.db;
    const attemptsSoFar = async () =>
      Number((await db.selectFrom('deliveries').select((eb) => eb.fn.sum<string>('attempt_count').as('n')).where('endpoint_id', '=', ep.id).executeTakeFirstOrThrow()).n ?? 0);

    const acks = await Promise.all(Array.from({ length: 6 }, () => sendEvent(stack, partner, { call_id: uniqueCallId('dead'), tenant_id: tenant.id })));
    const opened = await waitUntil('the circuit to open', async () => {
      const c = await circuitOf(ep.id);
      return c.circuit_state === 'open' && c.circuit_opened_at;
    });

    // One full probe cycle after the next re-open: open → half-open (probes) → open again. Between
    // two opens only that half-open period's probes can reach the endpoint.
    const reopened = await waitUntil('a failed probe to re-open it', async () => {
      const c = await circuitOf(ep.id);
      return c.circuit_state === 'open' && c.circuit_opened_at && c.circuit_opened_at > opened! && c.circuit_opened_at;
    });
    const before = await attemptsSoFar();
    const requestsBefore = target.requests.length;
    await waitUntil('the next probe cycle', async () => {
      const c = await circuitOf(ep.id);
      return c.circuit_state === 'open' && c.circuit_opened_at && c.circuit_opened_at > reopened!;
    });
    expect((await attemptsSoFar()) - before).toBeLessThanOrEqual(2); // CIRCUIT_HALF_OPEN_PROBES
    expect(target.requests.length - requestsBefore).toBeLessThanOrEqual(2);
    // Nobody ran out of attempts while the circuit held them back.
    for (const ack of acks) expect((await eventView(stack, ack.event_id)).deliveries[0]!.status).not.toBe('dead_lettered');

    up = true;
    for (const ack of acks) expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });
    expect(await circuitOf(ep.id)).toMatchObject({ circuit_state: 'closed', circuit_opened_at: null, circuit_window_attempts: 0, circuit_window_failures: 0 });
    // Each opening was reported to the partner and the tenant as an operational event.
    const openings = await db.selectFrom('operational_events').select(['partner_id', 'tenant_id', 'detail']).where('type', '=', 'endpoint.circuit_opened').where(sql`detail->>'endpoint_id'`, '=', ep.id).execute();
    expect(openings.length).toBeGreaterThanOrEqual(2);
    expect(openings[0]).toMatchObject({ partner_id: partner.id, tenant_id: tenant.id, detail: { endpoint_id: ep.id, reason: expect.any(String) } });
    // And its closing (the successful probe), once per opening at most.
    const closings = await db.selectFrom('operational_events').select(['partner_id', 'tenant_id', 'detail']).where('type', '=', 'endpoint.circuit_closed').where(sql`detail->>'endpoint_id'`, '=', ep.id).execute();
    expect(closings.length).toBeGreaterThanOrEqual(1);
    expect(closings.length).toBeLessThanOrEqual(openings.length);
    expect(closings[0]).toMatchObject({ partner_id: partner.id, tenant_id: tenant.id, detail: { endpoint_id: ep.id } });
  });

  it('re-enabling an endpoint (PATCH enabled=true) resets its whole circuit, the window and probes too', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Re-enabled');
    const ep = await seedEndpoint(stack, partner.id, tenant.id, { url: 'http://127.0.0.1:9/unused' });
    const db = stack.core.database.db;
    // A disabled endpoint whose last window was all failures: kept, its next failure would re-open it.
    await db
      .updateTable('endpoints')
      .set({ enabled: false, circuit_state: 'half_open', circuit_window_ends_at: new Date(Date.now() - 1_000), circuit_window_attempts: 40, circuit_window_failures: 40, circuit_probes: 2 })
      .where('id', '=', ep.id)
      .execute();
    const res = await api(stack, 'PATCH', `/v1/tenants/${tenant.id}/endpoints/${ep.id}`, stack.adminKey, { enabled: true });
    expect(res.status).toBe(200);
    expect(await db.selectFrom('endpoints').select(['circuit_state', 'circuit_window_ends_at', 'circuit_window_attempts', 'circuit_window_failures', 'circuit_probes']).where('id', '=', ep.id).executeTakeFirstOrThrow()).toEqual({
      circuit_state: 'closed',
      circuit_window_ends_at: null,
      circuit_window_attempts: 0,
      circuit_window_failures: 0,
      circuit_probes: 0,
    });
  });
});
