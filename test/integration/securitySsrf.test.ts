import { sql } from 'kysely';
import { seedEndpoint, seedPartner, seedTenant, waitForWorkflowResult } from '../support/fixtures';
import { postEvent } from '../support/inboundSigning';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { startWorker, type RunningWorker } from '../../src/temporal/worker';

type EventResult = { status: string; deliveries: Array<{ status: string }> };

/**
 * SSRF at delivery time. The endpoints are created while private networks are allowed (as if the
 * setting changed, or a hostname re-resolved after creation: DNS rebinding), then the worker runs
 * with SWITCHBOARD_ALLOW_PRIVATE_NETWORK=false. The check must happen on the address that is
 * dialled, after resolution, and nothing may reach the receiver.
 */
describe('SSRF: delivery re-checks the resolved address', () => {
  let stack: TestStack;
  let worker: RunningWorker;
  let receiver: Receiver;
  let partner: Awaited<ReturnType<typeof seedPartner>>;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    worker = await startWorker({ ...stack.core, config: { ...stack.config, allowPrivateNetwork: false }, db: stack.core.database.db });
    receiver = await startReceiver();
    partner = await seedPartner(stack);
  });
  afterAll(async () => {
    await worker?.shutdown();
    await receiver?.close();
    await stack?.close();
  });

  async function deliverTo(url: string, routeKey: string) {
    const tenant = await seedTenant(stack, partner.id, `T ${routeKey}`, [['crm_account_id', routeKey]]);
    await seedEndpoint(stack, partner.id, tenant.id, { url });
    const res = await postEvent(stack.api, partner.id, partner.inbound_secret, {
      event: 'call.ended',
      call_id: `ssrf-${routeKey}`,
      occurred_at: new Date().toISOString(),
      runtime_vars: { crm_account_id: routeKey },
      data: {},
    });
    expect(res.status).toBe(202);
    const ack = (await res.json()) as { event_id: string; workflow_id: string };
    const result = await waitForWorkflowResult<EventResult>(stack, ack.workflow_id);
    const delivery = await stack.core.database.db
      .selectFrom('deliveries')
      .select(['id', 'status', 'dead_letter_reason', 'attempt_count'])
      .where('event_id', '=', ack.event_id)
      .executeTakeFirstOrThrow();
    const attempts = await stack.core.database.db.selectFrom('delivery_attempts').select(['status_code', 'error']).where('delivery_id', '=', delivery.id).execute();
    return { result, delivery, attempts };
  }

  it('refuses a hostname that the OS resolver maps to loopback (localhost): dead-lettered at once, receiver untouched', async () => {
    const port = new URL(receiver.url).port;
    const { result, delivery, attempts } = await deliverTo(`http://localhost:${port}/hook`, 'by-name');
    expect(result.deliveries.map((d) => d.status)).toEqual(['dead_lettered']);
    expect(delivery.status).toBe('dead_lettered');
    expect(delivery.dead_letter_reason).toMatch(/permanent failure: .*private address/);
    // One attempt, recorded with the reason, not retried: the address will not become public.
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.status_code).toBeNull();
    expect(attempts[0]!.error).toMatch(/DestinationForbidden.*127\.0\.0\.1|private address \(127\.0\.0\.1\)/);
    expect(receiver.requests).toHaveLength(0);
  });

  // Node's net.connect skips the DNS `lookup` hook for IP literals, so webhookHttpClient checks literal
  // hosts (http://127.0.0.1:…, 2130706433, 0x7f.1, [::ffff:127.0.0.1], as URL normalises them)
  // before dialling. This was a real gap found by this test.
  it('refuses an IP-literal loopback URL at delivery as well', async () => {
    const before = receiver.requests.length;
    const port = new URL(receiver.url).port;
    const { delivery } = await deliverTo(`http://127.0.0.1:${port}/hook`, 'by-ip');
    expect(receiver.requests.length).toBe(before);
    expect(delivery.status).toBe('dead_lettered');
  });
});

describe('SSRF: redirects are not followed', () => {
  let stack: TestStack;
  let target: Receiver;
  let redirector: Receiver;

  beforeAll(async () => {
    stack = await startTestStack({ env: { DELIVERY_MAX_ATTEMPTS: '2' } });
    target = await startReceiver();
    redirector = await startReceiver(() => ({ status: 302, headers: { location: target.url } }));
  });
  afterAll(async () => {
    await redirector?.close();
    await target?.close();
    await stack?.close();
  });

  it('a 302 to another host is a failed attempt, and the other host gets nothing', async () => {
    const partner = await seedPartner(stack);
    const tenant = await seedTenant(stack, partner.id, 'T', [['crm_account_id', 'redirect']]);
    await seedEndpoint(stack, partner.id, tenant.id, { url: redirector.url });
    const res = await postEvent(stack.api, partner.id, partner.inbound_secret, {
      event: 'call.ended',
      call_id: 'redirect-1',
      occurred_at: new Date().toISOString(),
      runtime_vars: { crm_account_id: 'redirect' },
      data: {},
    });
    const ack = (await res.json()) as { event_id: string; workflow_id: string };
    const result = await waitForWorkflowResult<EventResult>(stack, ack.workflow_id);
    expect(result.deliveries.map((d) => d.status)).toEqual(['dead_lettered']);
    expect(redirector.requests.length).toBeGreaterThanOrEqual(1);
    expect(target.requests).toHaveLength(0);
    const attempts = await sql<{ status_code: number | null }>`
      select a.status_code from delivery_attempts a join deliveries d on d.id = a.delivery_id where d.event_id = ${ack.event_id}`.execute(stack.core.database.db);
    expect(attempts.rows.length).toBeGreaterThanOrEqual(1);
    expect(attempts.rows.every((r) => r.status_code === 302)).toBe(true);
  });
});
