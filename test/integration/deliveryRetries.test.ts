import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, secretKeyBytes } from '../../src/signing/webhookSecret';
import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { api, captureHistory, eventView, sendEvent, settle, uniqueCallId, waitUntil } from './deliveryHelpers';

/**
 * One endpoint per test, each with its own real receiver; the stack runs with short backoffs
 * (200 ms initial, x2, 4 attempts) and a 1 s delivery timeout so failure paths finish in seconds.
 */
describe('delivery: signing, retries, dead letter and redrive', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  const receivers: Receiver[] = [];
  const secrets: string[] = [];

  async function endpointWith(behave: Parameters<typeof startReceiver>[0], extra: { max_attempts?: number } = {}) {
    const receiver = await startReceiver(behave);
    receivers.push(receiver);
    // One endpoint per tenant keeps each test's deliveries to its own receiver.
    const t = await seedTenant(stack, partner.id, `Tenant ${receivers.length}`);
    const endpoint = await seedEndpoint(stack, partner.id, t.id, { url: receiver.url, ...extra });
    secrets.push(endpoint.secret);
    return { receiver, endpoint, tenant: t };
  }

  beforeAll(async () => {
    stack = await startTestStack({ env: { DELIVERY_TIMEOUT: '1s', DELIVERY_MAX_INTERVAL: '5s' } });
    partner = await seedPartner(stack);
    secrets.push(partner.inbound_secret);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.close();
  });

  it('signs each delivery so the standardwebhooks package and a plain HMAC both verify it', async () => {
    const { receiver, endpoint, tenant: t } = await endpointWith(() => ({ status: 204 }));
    const callId = uniqueCallId('sign');
    const ack = await sendEvent(stack, partner, { call_id: callId, tenant_id: t.id, data: { duration_seconds: 7 } });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered', tenantId: t.id });

    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    const headers = {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    };
    const payload = new Webhook(endpoint.secret).verify(req.body, headers);
    expect(payload).toMatchObject({ id: ack.event_id, type: 'call.ended', tenant_id: t.id, call_id: callId, data: { duration_seconds: 7 } });
    expect(headers['webhook-id']).toBe(ack.event_id);
    // A wrong secret must not verify: the check above is not vacuous.
    expect(() => new Webhook(generateWebhookSecret()).verify(req.body, headers)).toThrow();

    const expected = 'sha256=' + createHmac('sha256', secretKeyBytes(endpoint.secret)).update(req.body).digest('hex');
    expect(req.headers['x-signature']).toBe(expected);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toMatch(/^Switchboard\/\d+\.\d+\.\d+/);

    const view = await eventView(stack, ack.event_id);
    expect(view.checkpoints.map((c) => c.stage)).toEqual(expect.arrayContaining(['received', 'tenant_resolved', 'delivering', 'delivered']));
    // Delivered by its first attempt, made by the event workflow itself: no delivery workflow.
    expect(view.deliveries[0]!.workflow_id).toBe(ack.workflow_id);
    await expect(stack.temporal.workflow.getHandle(`${ack.workflow_id}:${endpoint.id}`).describe()).rejects.toThrow(/not found/i);
    await captureHistory(stack, ack.workflow_id, 'event-delivered', secrets);
  });

  it('a receiver failing twice then succeeding: 3 attempts recorded, delivered once', async () => {
    const { receiver, tenant: t } = await endpointWith((r) => (r.n <= 2 ? { status: 500, body: `boom ${r.n}` } : { status: 200 }));
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('flaky'), tenant_id: t.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });

    const view = await eventView(stack, ack.event_id);
    const d = view.deliveries[0]!;
    expect(d.status).toBe('delivered');
    expect(d.attempts.map((a) => a.status_code)).toEqual([500, 500, 200]);
    expect(d.attempts[0]!.response_body).toBe('boom 1');
    expect(receiver.requests).toHaveLength(3);
    // Same webhook-id on every attempt: a deduping receiver acts once.
    expect(receiver.uniqueWebhookIds()).toEqual(new Set([ack.event_id]));
    // The first attempt failed, so the delivery was handed over to its own workflow, which the API points to.
    expect(d.workflow_id).toBe(`${ack.workflow_id}:${d.endpoint_id}`);
    expect((await stack.temporal.workflow.getHandle(d.workflow_id).describe()).type).toBe('deliveryWorkflow');
    await captureHistory(stack, ack.workflow_id, 'event-retried', secrets);
    await captureHistory(stack, d.workflow_id, 'delivery-retried', secrets);
  });

  it('400 is permanent: dead-lettered after exactly 1 attempt', async () => {
    const { receiver, tenant: t } = await endpointWith(() => ({ status: 400, body: 'bad payload' }));
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('bad'), tenant_id: t.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'dead_lettered' });

    const d = (await eventView(stack, ack.event_id)).deliveries[0]!;
    expect(d).toMatchObject({ status: 'dead_lettered', attempt_count: 1 });
    expect(d.dead_letter_reason).toMatch(/permanent failure: endpoint answered 400/);
    expect(receiver.requests).toHaveLength(1);
  });

  it('429 with Retry-After: 2 is retried after about 2 s, not the 200 ms backoff', async () => {
    const { tenant: t } = await endpointWith((r) => (r.n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200 }));
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('429'), tenant_id: t.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });

    const [first, second] = (await eventView(stack, ack.event_id)).deliveries[0]!.attempts;
    expect(first!.status_code).toBe(429);
    expect(second!.status_code).toBe(200);
    const gap = Date.parse(second!.started_at) - (Date.parse(first!.started_at) + first!.duration_ms);
    expect(gap).toBeGreaterThanOrEqual(1_800);
    expect(gap).toBeLessThan(6_000);
  });

  it('a hanging receiver times out (DELIVERY_TIMEOUT=1s) and the retry succeeds', async () => {
    const { receiver, tenant: t } = await endpointWith((r) => (r.n === 1 ? { status: 200, delayMs: 4_000 } : { status: 200 }));
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('hang'), tenant_id: t.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });

    const attempts = (await eventView(stack, ack.event_id)).deliveries[0]!.attempts;
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({ status_code: null, error: 'timeout after 1000 ms' });
    expect(attempts[0]!.duration_ms).toBeGreaterThanOrEqual(900);
    expect(attempts[1]).toMatchObject({ status_code: 200, error: null });
    expect(receiver.requests).toHaveLength(2);
  });

  it('exhausted retries dead-letter; redrive delivers with the same webhook-id, and only once', async () => {
    const { receiver, tenant: t } = await endpointWith(() => ({ status: 503 }));
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('dead'), tenant_id: t.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'dead_lettered' });

    const dead = (await eventView(stack, ack.event_id)).deliveries[0]!;
    expect(dead).toMatchObject({ status: 'dead_lettered', attempt_count: 4 });
    expect(dead.dead_letter_reason).toMatch(/retries exhausted: endpoint answered 503/);
    expect(receiver.requests).toHaveLength(4);
    await captureHistory(stack, dead.workflow_id, 'delivery-dead-lettered', secrets);
    await captureHistory(stack, ack.workflow_id, 'event-dead-lettered', secrets);

    // An operator can find it in Temporal visibility by tenant and status.
    const found = await waitUntil('visibility to list the dead-lettered delivery', async () => {
      const ids: string[] = [];
      for await (const wf of stack.temporal.workflow.list({ query: `TenantId = "${t.id}" AND DeliveryStatus = "dead_lettered"` })) ids.push(wf.workflowId);
      return ids.includes(dead.workflow_id) && ids.includes(ack.workflow_id) ? ids : undefined;
    });
    expect(found).toEqual(expect.arrayContaining([dead.workflow_id, ack.workflow_id]));

    receiver.setBehaviour(() => ({ status: 200 }));
    const [r1, r2] = await Promise.all([
      api<{ redriven: boolean; workflow_id?: string }>(stack, 'POST', `/v1/deliveries/${dead.id}/redrive`),
      api<{ redriven: boolean; workflow_id?: string }>(stack, 'POST', `/v1/deliveries/${dead.id}/redrive`),
    ]);
    // Two concurrent redrives: exactly one starts a workflow.
    expect([r1.body.redriven, r2.body.redriven].sort()).toEqual([false, true]);
    const started = r1.body.redriven ? r1.body : r2.body;
    expect(started.workflow_id).toBe(`${dead.workflow_id}:redrive:1`);
    expect(await settle(stack, started.workflow_id!)).toMatchObject({ status: 'delivered', attempts: 5 });
    await captureHistory(stack, started.workflow_id!, 'delivery-redriven', secrets);

    expect(receiver.requests).toHaveLength(5);
    expect(receiver.requests[4]!.headers['webhook-id']).toBe(ack.event_id);
    const after = await eventView(stack, ack.event_id);
    expect(after.status).toBe('delivered');
    expect(after.deliveries[0]).toMatchObject({ status: 'delivered', attempt_count: 5, redrive_count: 1 });

    // A redrive of a delivered delivery is a no-op.
    const again = await api<{ redriven: boolean; status: string }>(stack, 'POST', `/v1/deliveries/${dead.id}/redrive`);
    expect(again).toMatchObject({ status: 200, body: { redriven: false, status: 'delivered' } });
    expect(receiver.requests).toHaveLength(5);
  });

  it('bulk redrive by tenant restarts only dead-lettered deliveries of that tenant', async () => {
    const { receiver, tenant: t } = await endpointWith(() => ({ status: 400 }));
    const acks = [];
    for (let i = 0; i < 2; i++) acks.push(await sendEvent(stack, partner, { call_id: uniqueCallId('bulk'), tenant_id: t.id }));
    for (const a of acks) expect(await settle(stack, a.workflow_id)).toMatchObject({ status: 'dead_lettered' });

    const list = await api<{ data: Array<{ id: string; status: string }> }>(stack, 'GET', `/v1/deliveries?tenant_id=${t.id}&status=dead_lettered`);
    expect(list.body.data).toHaveLength(2);

    receiver.setBehaviour(() => ({ status: 200 }));
    const bulk = await api<{ data: Array<{ redriven: boolean; workflow_id: string }> }>(stack, 'POST', '/v1/deliveries/redrive', stack.adminKey, { tenant_id: t.id });
    expect(bulk.status).toBe(202);
    expect(bulk.body.data.map((d) => d.redriven)).toEqual([true, true]);
    for (const d of bulk.body.data) expect(await settle(stack, d.workflow_id)).toMatchObject({ status: 'delivered' });
    const delivered = await api<{ data: unknown[] }>(stack, 'GET', `/v1/deliveries?tenant_id=${t.id}&status=delivered`);
    expect(delivered.body.data).toHaveLength(2);

    const rerun = await api<{ data: unknown[] }>(stack, 'POST', '/v1/deliveries/redrive', stack.adminKey, { tenant_id: t.id });
    expect(rerun.body.data).toHaveLength(0);
  });

});
