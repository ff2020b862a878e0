import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret } from '../../src/signing/webhookSecret';
import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { startReceiver, type ReceivedRequest, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { api, sendEvent, uniqueCallId, waitUntil } from './deliveryHelpers';

interface OpsEnvelope {
  id: string;
  type: string;
  tenant_id: string | null;
  source?: string;
  data: { id: string; type: string; partner_id: string; tenant_id: string | null; detail: Record<string, unknown> };
}

/**
 * Operational webhooks on the tenant delivery path (issue 20 point 5): a partner's operations
 * endpoint and a tenant's, both fed by the worker's dispatcher from `operational_events`, signed,
 * retried, dead-lettered and redriven like any delivery; an operations endpoint's own failures
 * are never delivered (no loop). Real Temporal, Postgres and HTTP receivers; short backoffs.
 */
describe('operational webhooks', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  const receivers: Receiver[] = [];

  async function receiver(behave: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
    const r = await startReceiver(behave);
    receivers.push(r);
    return r;
  }

  /** A tenant whose only events endpoint fails at once: every event sent to it is dead-lettered. */
  async function failingTenant(name: string) {
    const t = await seedTenant(stack, partner.id, name);
    const rx = await receiver(() => ({ status: 500 }));
    const ep = await seedEndpoint(stack, partner.id, t.id, { url: rx.url, max_attempts: 1 });
    return { tenant: t, endpoint: ep };
  }

  function verified(req: ReceivedRequest, secret: string): OpsEnvelope {
    const headers = {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    };
    return new Webhook(secret).verify(req.body, headers) as OpsEnvelope;
  }

  const db = () => stack.core.database.db;

  async function opsDeliveryOf(endpointId: string, predicate: (d: { status: string }) => boolean) {
    return waitUntil(`an operations delivery to ${endpointId}`, async () => {
      const rows = await db().selectFrom('deliveries').selectAll().where('endpoint_id', '=', endpointId).execute();
      return rows.find(predicate);
    }, 60_000);
  }

  beforeAll(async () => {
    stack = await startTestStack({ env: { DELIVERY_TIMEOUT: '1s', DELIVERY_MAX_INTERVAL: '2s' } });
    partner = await seedPartner(stack, 'Ops Hooks');
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await stack?.close();
  });

  it("a partner's operations endpoint receives delivery.dead_lettered signed, after its own failures are retried", async () => {
    const opsRx = await receiver((r) => (r.n <= 2 ? { status: 503 } : { status: 200 }));
    const created = await api<{ id: string; secret: string; tenant_id: string | null; purpose: string }>(stack, 'POST', '/v1/operations-endpoints', partner.api_key, { url: opsRx.url });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ tenant_id: null, purpose: 'operations' });
    const { tenant, endpoint } = await failingTenant('Dead letters');

    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('ops-dl'), tenant_id: tenant.id });
    const delivered = await opsDeliveryOf(created.body.id, (d) => d.status === 'delivered');
    expect(delivered.tenant_id).toBeNull();
    const attempts = await db().selectFrom('delivery_attempts').select('status_code').where('delivery_id', '=', delivered.id).orderBy('attempt_number').execute();
    expect(attempts.map((a) => a.status_code)).toEqual([503, 503, 200]);

    const last = opsRx.requests[opsRx.requests.length - 1]!;
    const envelope = verified(last, created.body.secret);
    // The envelope names the receiving endpoint's tenant (none: the partner's own); data, the tenant it is about.
    expect(envelope).toMatchObject({ type: 'delivery.dead_lettered', tenant_id: null, source: 'operational', data: { tenant_id: tenant.id, partner_id: partner.id } });
    expect(envelope.data.detail).toMatchObject({ event_id: ack.event_id, endpoint_id: endpoint.id });
    // Every attempt carried the same webhook-id (the receiver can dedupe), and a wrong secret fails.
    expect(new Set(opsRx.requests.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(() => verified(last, generateWebhookSecret())).toThrow();
    // Never planned for tenant events: only operational events reached it.
    expect(opsRx.requests.every((r) => (JSON.parse(r.body) as OpsEnvelope).source === 'operational')).toBe(true);

    await api(stack, 'DELETE', `/v1/operations-endpoints/${created.body.id}`, partner.api_key);
  });

  it('a failing operations endpoint dead-letters, emits nothing about itself, and is redriven', async () => {
    let up = false;
    const opsRx = await receiver(() => (up ? { status: 200 } : { status: 500 }));
    const created = await api<{ id: string; secret: string }>(stack, 'POST', '/v1/operations-endpoints', partner.api_key, { url: opsRx.url, max_attempts: 2 });
    expect(created.status).toBe(201);
    const { tenant } = await failingTenant('Loop check');
    await sendEvent(stack, partner, { call_id: uniqueCallId('ops-loop'), tenant_id: tenant.id });

    const parked = await opsDeliveryOf(created.body.id, (d) => d.status === 'dead_lettered');
    // Its own dead letter is recorded (listable) and dispatched to nobody.
    const aboutItself = await waitUntil('the dispatch of the dead letter about the operations endpoint', async () => {
      const row = await db().selectFrom('operational_events').selectAll().where('type', '=', 'delivery.dead_lettered').where(({ eb }) => eb(eb.ref('detail', '->>').key('delivery_id'), '=', parked.id)).executeTakeFirst();
      return row?.dispatched_at ? row : undefined;
    }, 60_000);
    expect(await db().selectFrom('events').select('id').where('call_id', '=', `ops_${aboutItself.id}`).execute()).toEqual([]);
    expect((await db().selectFrom('deliveries').select('id').where('endpoint_id', '=', created.body.id).execute()).length).toBe(1);

    up = true;
    const redrive = await api(stack, 'POST', `/v1/deliveries/${parked.id}/redrive`, partner.api_key);
    expect(redrive.status).toBeLessThan(300);
    await opsDeliveryOf(created.body.id, (d) => d.status === 'delivered');
    const envelope = verified(opsRx.requests[opsRx.requests.length - 1]!, created.body.secret);
    expect(envelope).toMatchObject({ type: 'delivery.dead_lettered', tenant_id: null, data: { tenant_id: tenant.id } });

    await api(stack, 'DELETE', `/v1/operations-endpoints/${created.body.id}`, partner.api_key);
  });

  it('a redriven tenant delivery that succeeds is reported as delivery.recovered', async () => {
    const opsRx = await receiver(() => ({ status: 200 }));
    const created = await api<{ id: string; secret: string }>(stack, 'POST', '/v1/operations-endpoints', partner.api_key, { url: opsRx.url });
    expect(created.status).toBe(201);
    const t = await seedTenant(stack, partner.id, 'Recovers');
    let up = false;
    const rx = await receiver(() => ({ status: up ? 200 : 500 }));
    const ep = await seedEndpoint(stack, partner.id, t.id, { url: rx.url, max_attempts: 1 });
    await sendEvent(stack, partner, { call_id: uniqueCallId('recover'), tenant_id: t.id });
    const parked = await opsDeliveryOf(ep.id, (d) => d.status === 'dead_lettered');

    up = true;
    expect((await api(stack, 'POST', `/v1/deliveries/${parked.id}/redrive`, partner.api_key)).status).toBeLessThan(300);
    const recovered = await waitUntil('delivery.recovered at the operations endpoint', async () =>
      opsRx.requests.map((r) => verified(r, created.body.secret)).find((e) => e.type === 'delivery.recovered'),
    60_000);
    expect(recovered).toMatchObject({ source: 'operational', data: { tenant_id: t.id, detail: { delivery_id: parked.id, endpoint_id: ep.id } } });

    await api(stack, 'DELETE', `/v1/operations-endpoints/${created.body.id}`, partner.api_key);
  });

  it('an operations endpoint subscribes to operational event types, an events endpoint to catalog types; each refuses the other', async () => {
    const t = await seedTenant(stack, partner.id, 'Subscriptions');
    const url = 'http://127.0.0.1:9/ops';
    type Refusal = { error: { code: string; details: Array<{ field: string; message: string }> } };
    const partnerOps = await api<{ id: string; event_types: string[] }>(stack, 'POST', '/v1/operations-endpoints', partner.api_key, { url, event_types: ['delivery.dead_lettered', 'incident.raised'] });
    expect({ status: partnerOps.status, types: partnerOps.body.event_types }).toEqual({ status: 201, types: ['delivery.dead_lettered', 'incident.raised'] });
    const partnerWrong = await api<Refusal>(stack, 'POST', '/v1/operations-endpoints', partner.api_key, { url, event_types: ['call.ended'] });
    expect(partnerWrong.status).toBe(422);
    expect(partnerWrong.body.error.details[0]).toMatchObject({ field: 'event_types.0', message: expect.stringContaining('unknown operational event type "call.ended"') });

    const tenantOps = await api<{ id: string }>(stack, 'POST', `/v1/tenants/${t.id}/endpoints`, t.api_key, { url, purpose: 'operations', event_types: ['endpoint.disabled'] });
    expect(tenantOps.status).toBe(201);
    const tenantOpsWrong = await api<Refusal>(stack, 'POST', `/v1/tenants/${t.id}/endpoints`, t.api_key, { url, purpose: 'operations', event_types: ['endpoint.disabled', 'call.ended'] });
    expect(tenantOpsWrong.status).toBe(422);
    expect(tenantOpsWrong.body.error.details).toEqual([{ field: 'event_types.1', message: expect.stringContaining('"call.ended" is not in the operational catalogue') }]);
    const eventsWrong = await api<Refusal>(stack, 'POST', `/v1/tenants/${t.id}/endpoints`, t.api_key, { url, event_types: ['endpoint.disabled'] });
    expect(eventsWrong.status).toBe(422);
    expect(eventsWrong.body.error.details).toEqual([{ field: 'event_types.0', message: expect.stringContaining('"endpoint.disabled" is not in the event catalog') }]);

    // A change is checked against the stored endpoint's purpose, which the body does not carry.
    const patchWrong = await api<Refusal>(stack, 'PATCH', `/v1/tenants/${t.id}/endpoints/${tenantOps.body.id}`, t.api_key, { event_types: ['call.started'] });
    expect(patchWrong.status).toBe(422);
    expect(patchWrong.body.error.details).toEqual([{ field: 'event_types.0', message: expect.stringContaining('operational catalogue') }]);
    const patched = await api<{ event_types: string[] }>(stack, 'PATCH', `/v1/tenants/${t.id}/endpoints/${tenantOps.body.id}`, t.api_key, { event_types: ['delivery.dead_lettered'] });
    expect({ status: patched.status, types: patched.body.event_types }).toEqual({ status: 200, types: ['delivery.dead_lettered'] });
    expect((await api(stack, 'DELETE', `/v1/operations-endpoints/${partnerOps.body.id}`, partner.api_key)).status).toBe(204);
  });

  it("a tenant's own operations endpoint receives the events about its own endpoints only", async () => {
    const mine = await failingTenant('Mine');
    const theirs = await failingTenant('Theirs');
    const opsRx = await receiver(() => ({ status: 200 }));
    const created = await api<{ id: string; secret: string; purpose: string; tenant_id: string }>(stack, 'POST', `/v1/tenants/${mine.tenant.id}/endpoints`, mine.tenant.api_key, { url: opsRx.url, purpose: 'operations' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ purpose: 'operations', tenant_id: mine.tenant.id });

    const theirAck = await sendEvent(stack, partner, { call_id: uniqueCallId('theirs'), tenant_id: theirs.tenant.id });
    const myAck = await sendEvent(stack, partner, { call_id: uniqueCallId('mine'), tenant_id: mine.tenant.id });
    await opsDeliveryOf(created.body.id, (d) => d.status === 'delivered');
    // Both dead letters are dispatched before this one is checked: theirs went nowhere near mine.
    await waitUntil('both dead letters dispatched', async () => {
      const rows = await db().selectFrom('operational_events').select(['dispatched_at', 'detail']).where('type', '=', 'delivery.dead_lettered').execute();
      const of = (eventId: string) => rows.find((r) => r.detail['event_id'] === eventId);
      return Boolean(of(theirAck.event_id)?.dispatched_at && of(myAck.event_id)?.dispatched_at);
    }, 60_000);

    const envelopes = opsRx.requests.map((r) => verified(r, created.body.secret));
    expect(envelopes.length).toBeGreaterThan(0);
    expect(envelopes.every((e) => e.tenant_id === mine.tenant.id && e.data.tenant_id === mine.tenant.id && e.source === 'operational')).toBe(true);
    expect(envelopes.map((e) => e.data.detail['event_id'])).toContain(myAck.event_id);
    expect(envelopes.map((e) => e.data.detail['event_id'])).not.toContain(theirAck.event_id);
  });
});
