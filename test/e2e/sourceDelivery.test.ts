import { Webhook } from 'standardwebhooks';
import { apiAs } from '../support/apiClient';
import { waitForWorkflowResult } from '../support/fixtures';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { github, stripe, svix, twilio } from '../fixtures/sources/providers';

/**
 * The whole path through a source, on real Postgres + Temporal: a partner platform POSTs in its
 * own format (Stripe-signed, Svix-signed, Twilio form, GitHub-signed with the event name in a
 * header), Switchboard verifies and maps it, the workflow resolves the tenant from the mapped
 * runtime vars and delivers Switchboard's envelope, Standard Webhooks-signed with the endpoint's
 * secret.
 */
describe('end to end through a source: partner format in, signed envelope out', () => {
  let stack: TestStack;
  let receiver: Receiver;

  beforeAll(async () => {
    stack = await startTestStack();
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
  });

  it.each([
    ['Stripe', stripe, 'cus_NffrFeUfNV2Hib', 'crm_account_id'],
    ['Svix', svix, 'ws-svix', 'partner_tenant_ref'],
    ['Twilio', twilio, null, null],
    // The event name is in the X-GitHub-Event header only (the mapping's event_header).
    ['GitHub', github, null, null],
  ] as const)('%s: POST in the provider format -> 202 -> delivered in the envelope, verifiable', async (_name, fixture, tenantKey, routeKind) => {
    const admin = apiAs(stack, stack.adminKey);
    const partner = (await admin.post('/v1/partners', { name: `E2E ${_name}` })).body;
    const asPartner = apiAs(stack, partner.api_key);
    const tenant = (await asPartner.post('/v1/tenants', { name: 'T' })).body;
    const callId = `call-${_name.toLowerCase()}-${Date.now()}`;
    // Twilio and GitHub carry no tenant: their calls are routed by call id through the routing map.
    const route = routeKind ? { kind: routeKind, value: tenantKey } : { kind: 'call_id', value: callId };
    expect((await asPartner.post(`/v1/tenants/${tenant.id}/routes`, route)).status).toBe(201);
    const endpoint = (await asPartner.post(`/v1/tenants/${tenant.id}/endpoints`, { url: receiver.url })).body;
    const source = (await asPartner.post(`/v1/partners/${partner.id}/sources`, { name: _name, ...fixture.source })).body;
    const before = receiver.requests.length;

    const body = fixture.body(callId);
    const url = (fixture.source.verification['url'] as string | undefined) ?? `${stack.api}${source.ingest_path}`;
    const res = await fetch(`${stack.api}${source.ingest_path}`, { method: 'POST', headers: fixture.headers(fixture.source.secret, body, url), body });
    expect(res.status).toBe(202);
    const ack = (await res.json()) as { event_id: string; workflow_id: string };
    const expected = fixture.expected(callId);

    const result = await waitForWorkflowResult<{ status: string; tenantId: string }>(stack, ack.workflow_id);
    expect(result).toMatchObject({ status: 'delivered', tenantId: tenant.id });
    await receiver.waitFor(before + 1);
    const delivery = receiver.requests.find((r) => r.headers['webhook-id'] === ack.event_id)!;
    const envelope = new Webhook(endpoint.secret).verify(delivery.body, {
      'webhook-id': String(delivery.headers['webhook-id']),
      'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
      'webhook-signature': String(delivery.headers['webhook-signature']),
    }) as Record<string, unknown>;
    expect(envelope).toMatchObject({ id: ack.event_id, type: expected.event, tenant_id: tenant.id, call_id: expected.call_id });
  });
});
