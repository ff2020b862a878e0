import { rmSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import type { TemporalDevServer } from '../../src/dev/temporalDevServer';
import { stripe } from '../fixtures/sources/providers';
import { apiAs } from '../support/apiClient';
import { eventually } from '../support/eventually';
import { waitForWorkflowResult } from '../support/fixtures';
import { startPrivateTemporal } from '../support/privateTemporal';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';

type Ack = { event_id: string; workflow_id: string; duplicate: boolean };

/**
 * Ingest through a source keeps the default route's outbox (ingestTemporalOutage.test.ts): with
 * Temporal unreachable a Stripe-signed request is still verified, mapped, committed and answered
 * 202; once Temporal is back the relay starts its workflow and the tenant gets the envelope. A
 * private Temporal dev server is stopped and started again (same port and SQLite file) so the
 * shared one keeps serving the other test files.
 */
describe('source ingest while Temporal is down', () => {
  let temporal: TemporalDevServer;
  let root: string;
  let stack: TestStack;
  let receiver: Receiver;

  beforeAll(async () => {
    ({ temporal, root } = await startPrivateTemporal('source-temporal'));
    stack = await startTestStack({ env: { TEMPORAL_ADDRESS: temporal.address } });
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
    await temporal?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('acknowledges 202 (committed in the outbox) while Temporal is unreachable, and delivers after it returns', async () => {
    const admin = apiAs(stack, stack.adminKey);
    const partner = (await admin.post('/v1/partners', { name: 'Outage source' })).body;
    const asPartner = apiAs(stack, partner.api_key);
    const tenant = (await asPartner.post('/v1/tenants', { name: 'T' })).body;
    expect((await asPartner.post(`/v1/tenants/${tenant.id}/routes`, { kind: 'crm_account_id', value: 'cus_NffrFeUfNV2Hib' })).status).toBe(201);
    const endpoint = (await asPartner.post(`/v1/tenants/${tenant.id}/endpoints`, { url: receiver.url })).body;
    const source = (await asPartner.post(`/v1/partners/${partner.id}/sources`, { name: 'Stripe', ...stripe.source })).body;
    const callId = `call-outage-${Date.now()}`;
    const body = stripe.body(callId);
    const post = () => fetch(`${stack.api}${source.ingest_path}`, { method: 'POST', headers: stripe.headers(stripe.source.secret, body, ''), body });
    const db = stack.core.database.db;

    await temporal.stop();

    const res = await post();
    expect(res.status).toBe(202);
    const ack = (await res.json()) as Ack;
    expect(ack).toMatchObject({ duplicate: false, workflow_id: `${partner.id}:${callId}:cost.calculated` });
    // Persisted before the 202, through the source, waiting in the outbox (no workflow yet).
    const stored = await db.selectFrom('events').select(['source_id', 'workflow_started_at']).where('id', '=', ack.event_id).executeTakeFirstOrThrow();
    expect(stored).toEqual({ source_id: source.id, workflow_started_at: null });
    // The platform's retry during the outage is the same event: 200, nothing new.
    const retry = await post();
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ ...ack, duplicate: true });
    // A relay has tried (and failed) to start it while Temporal was down.
    await eventually(
      () => db.selectFrom('events').select('start_attempts').where('id', '=', ack.event_id).executeTakeFirstOrThrow(),
      (r) => r.start_attempts >= 1,
    );

    const before = receiver.requests.length;
    await temporal.start();
    await eventually(
      () => db.selectFrom('events').select('workflow_started_at').where('id', '=', ack.event_id).executeTakeFirstOrThrow(),
      (r) => r.workflow_started_at !== null,
      60_000,
    );
    const result = await waitForWorkflowResult<{ status: string; tenantId: string }>(stack, ack.workflow_id);
    expect(result).toMatchObject({ status: 'delivered', tenantId: tenant.id });
    await receiver.waitFor(before + 1);
    const delivery = receiver.requests.find((r) => r.headers['webhook-id'] === ack.event_id)!;
    const envelope = new Webhook(endpoint.secret).verify(delivery.body, {
      'webhook-id': String(delivery.headers['webhook-id']),
      'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
      'webhook-signature': String(delivery.headers['webhook-signature']),
    }) as Record<string, unknown>;
    expect(envelope).toMatchObject({ id: ack.event_id, type: 'cost.calculated', tenant_id: tenant.id, call_id: callId });
    // Delivered exactly once: the retry during the outage started nothing of its own.
    expect(receiver.requests.filter((r) => r.headers['webhook-id'] === ack.event_id)).toHaveLength(1);
  });
});
