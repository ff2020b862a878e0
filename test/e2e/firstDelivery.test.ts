import { Webhook } from 'standardwebhooks';
import { seedEndpoint, seedPartner, seedTenant, waitForWorkflowResult } from '../support/fixtures';
import { postEvent } from '../support/inboundSigning';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';

describe('end to end: a signed event reaches a tenant endpoint', () => {
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

  it('POST -> 202 -> workflow completes -> receiver gets a verifiable delivery', async () => {
    const partner = await seedPartner(stack);
    const tenant = await seedTenant(stack, partner.id, 'Tenant A', [['crm_account_id', 'crm-42']]);
    const endpoint = await seedEndpoint(stack, partner.id, tenant.id, { url: receiver.url });

    const res = await postEvent(stack.api, partner.id, partner.inbound_secret, {
      event: 'call.ended',
      call_id: 'call-1',
      occurred_at: new Date().toISOString(),
      runtime_vars: { crm_account_id: 'crm-42' },
      data: { duration_seconds: 42 },
    });
    expect(res.status).toBe(202);
    const ack = (await res.json()) as { event_id: string; workflow_id: string; duplicate: boolean };
    expect(ack.workflow_id).toBe(`${partner.id}:call-1:call.ended`);
    expect(ack.duplicate).toBe(false);

    const result = await waitForWorkflowResult<{ status: string; tenantId: string }>(stack, ack.workflow_id);
    expect(result).toMatchObject({ status: 'delivered', tenantId: tenant.id });

    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    const payload = new Webhook(endpoint.secret).verify(req.body, {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    }) as Record<string, unknown>;
    expect(payload).toMatchObject({
      id: ack.event_id,
      type: 'call.ended',
      tenant_id: tenant.id,
      call_id: 'call-1',
      data: { duration_seconds: 42 },
    });
    expect(req.headers['webhook-id']).toBe(ack.event_id);
  });
});
