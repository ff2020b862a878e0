import { Webhook } from 'standardwebhooks';
import { activeSecrets } from '../../src/db/signingSecrets';
import { apiAs, type Caller } from '../support/apiClient';
import { waitForWorkflowResult } from '../support/fixtures';
import { postEvent } from '../support/inboundSigning';
import { startReceiver, type ReceivedRequest, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * Secret rotation and the endpoint test route against the real stack (worker, Temporal, a real
 * receiver). The stack allows private networks, as `npm start` does, so http://127.0.0.1 is a
 * valid endpoint here.
 */
describe('tenancy: secret rotation and test deliveries', () => {
  let stack: TestStack;
  let receiver: Receiver;
  let bystander: Receiver;
  let admin: Caller;

  beforeAll(async () => {
    stack = await startTestStack();
    receiver = await startReceiver();
    bystander = await startReceiver();
    admin = apiAs(stack, stack.adminKey);
  });
  afterAll(async () => {
    await receiver?.close();
    await bystander?.close();
    await stack?.close();
  });

  function verifyWith(secret: string, req: ReceivedRequest): Record<string, unknown> {
    return new Webhook(secret).verify(req.body, {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    }) as Record<string, unknown>;
  }

  async function setup() {
    const p = (await admin.post('/v1/partners', { name: 'Rotating partner' })).body;
    const partner = apiAs(stack, p.api_key);
    const t = (await partner.post('/v1/tenants', { name: 'T', partner_tenant_ref: `ref-${p.id}` })).body;
    return { p, partner, t };
  }

  it('partner inbound secret: old and new both verify during the grace period', async () => {
    const { p, partner } = await setup();
    const event = (callId: string) => ({
      event: 'call.started',
      call_id: callId,
      occurred_at: new Date().toISOString(),
      runtime_vars: { partner_tenant_ref: `ref-${p.id}` },
    });
    expect((await postEvent(stack.api, p.id, p.inbound_secret, event('c1'))).status).toBe(202);

    const rotated = await partner.post(`/v1/partners/${p.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const newSecret = rotated.body.inbound_secret as string;
    expect(newSecret).not.toBe(p.inbound_secret);
    expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeGreaterThan(23 * 3_600_000);

    expect((await postEvent(stack.api, p.id, p.inbound_secret, event('c2'))).status).toBe(202);
    expect((await postEvent(stack.api, p.id, newSecret, event('c3'))).status).toBe(202);
    const wrong = await postEvent(stack.api, p.id, 'whsec_' + Buffer.alloc(32, 7).toString('base64'), event('c4'));
    expect(wrong.status).toBe(401);

    // A zero grace period retires the previous secret at once: only the newest stays active.
    const immediate = await admin.post(`/v1/partners/${p.id}/rotate-secret`, { grace_period_seconds: 0 });
    expect(immediate.status).toBe(200);
    const active = await activeSecrets(stack.core.database.db, stack.core.secretBox, 'partner', p.id);
    expect(active).toEqual([immediate.body.inbound_secret]);
    expect((await postEvent(stack.api, p.id, immediate.body.inbound_secret, event('c5'))).status).toBe(202);
  });

  it('POST .../test delivers a signed switchboard.test event to that endpoint only, recorded like any delivery', async () => {
    const { partner, t } = await setup();
    const base = `/v1/tenants/${t.id}/endpoints`;
    const ep = (await partner.post(base, { url: receiver.url })).body;
    expect(ep.url).toBe(receiver.url);
    // Another endpoint of the same tenant, subscribed to everything: must not get the test.
    expect((await partner.post(base, { url: bystander.url })).status).toBe(201);

    const before = receiver.requests.length;
    const res = await apiAs(stack, t.api_key).post(`${base}/${ep.id}/test`);
    expect(res.status).toBe(202);
    const { event_id, delivery_id, workflow_id } = res.body as { event_id: string; delivery_id: string; workflow_id: string };
    const result = await waitForWorkflowResult<{ status: string; attempts: number }>(stack, workflow_id);
    expect(result).toMatchObject({ status: 'delivered', attempts: 1 });

    expect(receiver.requests.length).toBe(before + 1);
    const req = receiver.requests[before]!;
    expect(req.headers['webhook-id']).toBe(event_id);
    const payload = verifyWith(ep.secret, req);
    expect(payload).toMatchObject({ id: event_id, type: 'switchboard.test', tenant_id: t.id, data: { endpoint_id: ep.id } });
    expect(bystander.requests).toHaveLength(0);

    const db = stack.core.database.db;
    const delivery = await db.selectFrom('deliveries').selectAll().where('id', '=', delivery_id).executeTakeFirstOrThrow();
    expect(delivery).toMatchObject({ endpoint_id: ep.id, status: 'delivered', attempt_count: 1, last_status_code: 200 });
    const event = await db.selectFrom('events').selectAll().where('id', '=', event_id).executeTakeFirstOrThrow();
    expect(event).toMatchObject({ source: 'test', event_type: 'switchboard.test', tenant_id: t.id, status: 'delivered' });
  });

  it('endpoint secret rotation: deliveries carry a v1 signature per active secret; either verifies', async () => {
    const { p, partner, t } = await setup();
    const base = `/v1/tenants/${t.id}/endpoints`;
    const ep = (await partner.post(base, { url: receiver.url, event_types: ['call.ended', 'switchboard.test'] })).body;
    const rotated = await apiAs(stack, t.api_key).post(`${base}/${ep.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const oldSecret = ep.secret as string;
    const newSecret = rotated.body.secret as string;

    // The test route ...
    let before = receiver.requests.length;
    const test = (await partner.post(`${base}/${ep.id}/test`)).body;
    await waitForWorkflowResult(stack, test.workflow_id);
    const testReq = receiver.requests[before]!;
    expect(String(testReq.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const part of String(testReq.headers['webhook-signature']).split(' ')) expect(part).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifyWith(oldSecret, testReq)).toMatchObject({ type: 'switchboard.test' });
    expect(verifyWith(newSecret, testReq)).toMatchObject({ type: 'switchboard.test' });
    expect(() => verifyWith('whsec_' + Buffer.alloc(32, 1).toString('base64'), testReq)).toThrow();

    // ... and a real partner event alike.
    before = receiver.requests.length;
    const ack = await postEvent(stack.api, p.id, p.inbound_secret, {
      event: 'call.ended',
      call_id: `rot-${ep.id}`,
      occurred_at: new Date().toISOString(),
      runtime_vars: { partner_tenant_ref: `ref-${p.id}` },
    });
    expect(ack.status).toBe(202);
    await waitForWorkflowResult(stack, ((await ack.json()) as { workflow_id: string }).workflow_id);
    const realReq = receiver.requests[before]!;
    expect(verifyWith(oldSecret, realReq)).toMatchObject({ type: 'call.ended' });
    expect(verifyWith(newSecret, realReq)).toMatchObject({ type: 'call.ended' });

    // After a zero-grace rotation only the newest secret signs.
    const last = (await partner.post(`${base}/${ep.id}/rotate-secret`, { grace_period_seconds: 0 })).body.secret as string;
    before = receiver.requests.length;
    await waitForWorkflowResult(stack, (await partner.post(`${base}/${ep.id}/test`)).body.workflow_id);
    const lastReq = receiver.requests[before]!;
    expect(String(lastReq.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verifyWith(last, lastReq)).toMatchObject({ type: 'switchboard.test' });
    expect(() => verifyWith(newSecret, lastReq)).toThrow();
  });
});
