import { insertRoute } from '../../src/tenancy/tenants';
import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { api, captureHistory, eventView, seedApiKey, sendEvent, settle, uniqueCallId, waitUntil } from './deliveryHelpers';

describe('delivery: tenant resolution, quarantine review and scoped reads', () => {
  let stack: TestStack;
  let receiverA: Receiver;
  let receiverB: Receiver;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  let tenantA: Awaited<ReturnType<typeof seedTenant>>;
  let tenantB: Awaited<ReturnType<typeof seedTenant>>;
  let partnerKey: string;
  const secrets: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    receiverA = await startReceiver();
    receiverB = await startReceiver();
    partner = await seedPartner(stack);
    tenantA = await seedTenant(stack, partner.id, 'Tenant A', [['crm_account_id', 'crm-A']]);
    tenantB = await seedTenant(stack, partner.id, 'Tenant B', [['partner_tenant_ref', 'ref-B']]);
    const epA = await seedEndpoint(stack, partner.id, tenantA.id, { url: receiverA.url });
    const epB = await seedEndpoint(stack, partner.id, tenantB.id, { url: receiverB.url });
    partnerKey = await seedApiKey(stack, 'partner', partner.id);
    secrets.push(partner.inbound_secret, epA.secret, epB.secret, partnerKey);
  });
  afterAll(async () => {
    await receiverA?.close();
    await receiverB?.close();
    await stack?.close();
  });

  it('a call resolved once is learned: its later events carrying only call_id / voice_session_id reach the same tenant', async () => {
    // Its own tenant and receiver, so the other tests' receivers stay untouched.
    const receiverC = await startReceiver();
    const tenantC = await seedTenant(stack, partner.id, 'Tenant C', [['crm_account_id', 'crm-C']]);
    secrets.push((await seedEndpoint(stack, partner.id, tenantC.id, { url: receiverC.url })).secret);
    const callId = uniqueCallId('learn');
    const first = await sendEvent(stack, partner, { event: 'call.started', call_id: callId, voice_session_id: `vs-${callId}`, runtime_vars: { crm_account_id: 'crm-C' } });
    expect(await settle(stack, first.workflow_id)).toMatchObject({ status: 'delivered', tenantId: tenantC.id });
    const byCall = await sendEvent(stack, partner, { event: 'call.ended', call_id: callId });
    expect(await settle(stack, byCall.workflow_id)).toMatchObject({ status: 'delivered', tenantId: tenantC.id });
    // A different call with the same voice session: the learned session route resolves it too.
    const bySession = await sendEvent(stack, partner, { event: 'call.ended', call_id: uniqueCallId('learn-other'), voice_session_id: `vs-${callId}` });
    expect(await settle(stack, bySession.workflow_id)).toMatchObject({ status: 'delivered', tenantId: tenantC.id });
    expect(receiverC.uniqueWebhookIds()).toEqual(new Set([first.event_id, byCall.event_id, bySession.event_id]));
    await receiverC.close();
    // Without the learning, a bare call_id is unroutable: the control case.
    const stranger = await sendEvent(stack, partner, { event: 'call.ended', call_id: uniqueCallId('never-seen') });
    expect(await settle(stack, stranger.workflow_id)).toMatchObject({ status: 'quarantined', reason: 'unroutable' });
  });

  it('conflicting tenant keys: quarantined, zero deliveries; a partner releases it to a tenant', async () => {
    const ack = await sendEvent(stack, partner, {
      call_id: uniqueCallId('conflict'),
      runtime_vars: { crm_account_id: 'crm-A', partner_tenant_ref: 'ref-B' },
    });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'quarantined', reason: 'conflicting_keys', deliveries: [] });
    await captureHistory(stack, ack.workflow_id, 'event-quarantined', secrets);

    const view = await eventView(stack, ack.event_id);
    expect(view.status).toBe('quarantined');
    expect(view.deliveries).toHaveLength(0);
    expect(view.checkpoints.map((c) => c.stage)).toEqual(['received', 'quarantined']);
    const count = await stack.core.database.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n')).where('event_id', '=', ack.event_id).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(0);
    expect(receiverA.requests).toHaveLength(0);
    expect(receiverB.requests).toHaveLength(0);

    const list = await api<{ data: Array<{ id: string; event_id: string; reason: string; status: string }> }>(stack, 'GET', '/v1/quarantine?status=open', partnerKey);
    const item = list.body.data.find((q) => q.event_id === ack.event_id)!;
    expect(item).toMatchObject({ reason: 'conflicting_keys', status: 'open' });

    // A tenant of another partner is refused; the item stays open.
    const other = await seedPartner(stack, 'Other Voice');
    const foreignTenant = await seedTenant(stack, other.id, 'Foreign');
    const refused = await api(stack, 'POST', `/v1/quarantine/${item.id}/release`, partnerKey, { tenant_id: foreignTenant.id });
    expect(refused.status).toBe(422);

    const released = await api<{ workflow_id: string }>(stack, 'POST', `/v1/quarantine/${item.id}/release`, partnerKey, { tenant_id: tenantB.id });
    expect(released.status).toBe(202);
    expect(released.body.workflow_id).toBe(`${ack.workflow_id}:release`);
    expect(await settle(stack, released.body.workflow_id)).toMatchObject({ status: 'delivered', tenantId: tenantB.id });
    await captureHistory(stack, released.body.workflow_id, 'event-released', secrets);
    expect(receiverB.requests.map((r) => r.headers['webhook-id'])).toEqual([ack.event_id]);
    expect(receiverA.requests).toHaveLength(0);

    const again = await api(stack, 'POST', `/v1/quarantine/${item.id}/release`, partnerKey, { tenant_id: tenantB.id });
    expect(again.status).toBe(409);
    const after = await eventView(stack, ack.event_id);
    expect(after).toMatchObject({ status: 'delivered', tenant_id: tenantB.id });
    expect(after.checkpoints.map((c) => c.stage)).toEqual(['received', 'quarantined', 'released', 'tenant_resolved', 'delivering', 'delivered']);
  });

  it('a tenant_id of another partner is quarantined as foreign_tenant and can be discarded', async () => {
    const other = await seedPartner(stack, 'Third Voice');
    const theirs = await seedTenant(stack, other.id, 'Theirs');
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('foreign'), tenant_id: theirs.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'quarantined', reason: 'foreign_tenant' });

    const q = await stack.core.database.db.selectFrom('quarantine').select('id').where('event_id', '=', ack.event_id).executeTakeFirstOrThrow();
    const discarded = await api(stack, 'POST', `/v1/quarantine/${q.id}/discard`, partnerKey);
    expect(discarded).toMatchObject({ status: 200, body: { status: 'discarded' } });
    expect((await eventView(stack, ack.event_id)).status).toBe('discarded');
    expect((await api(stack, 'POST', `/v1/quarantine/${q.id}/discard`, partnerKey)).status).toBe(409);
  });

  it('no resolvable key: waits (bounded) for the routing map, then quarantines as unroutable', async () => {
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('nowhere'), runtime_vars: { crm_account_id: 'crm-unknown' } });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'quarantined', reason: 'unroutable' });
    const view = await eventView(stack, ack.event_id);
    const [received, quarantined] = view.checkpoints;
    // TENANT_RESOLUTION_WAIT is 2 s in the test stack: it waited before giving up.
    expect(Date.parse(quarantined!.at) - Date.parse(received!.at)).toBeGreaterThanOrEqual(1_500);
  });

  it('a route added while the event waits: a later poll resolves it and plans its deliveries in the same step', async () => {
    const receiverD = await startReceiver();
    const tenantD = await seedTenant(stack, partner.id, 'Tenant D');
    secrets.push((await seedEndpoint(stack, partner.id, tenantD.id, { url: receiverD.url })).secret);
    const crm = `crm-late-${uniqueCallId('late')}`;
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('late'), runtime_vars: { crm_account_id: crm } });
    // The first poll found nothing and the workflow sleeps (TENANT_RESOLUTION_POLL 500 ms of a 2 s wait).
    const history = async () => (await stack.temporal.workflow.getHandle(ack.workflow_id).fetchHistory()).events ?? [];
    // (The outbox relay starts the workflow a moment after the ack: not found until then.)
    await waitUntil('the first unresolved poll', async () => (await history().catch(() => [])).some((e) => e.timerStartedEventAttributes));
    await insertRoute(stack.core.database.db, partner.id, tenantD.id, 'crm_account_id', crm);

    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered', tenantId: tenantD.id });
    expect(receiverD.uniqueWebhookIds()).toEqual(new Set([ack.event_id]));
    // Checkpoints as with separate steps: nothing for the empty poll, then resolved, then delivering.
    expect((await eventView(stack, ack.event_id)).checkpoints.map((c) => c.stage)).toEqual(['received', 'tenant_resolved', 'delivering', 'delivered']);
    // Every poll was the one routing step; no separate resolve, plan or first attempt.
    const steps = (await history()).flatMap((e) => {
      const data = e.markerRecordedEventAttributes?.details?.['data']?.payloads?.[0]?.data;
      return data ? [(JSON.parse(Buffer.from(data).toString()) as { activity_type: string }).activity_type] : [];
    });
    expect(steps.filter((t) => t === 'routeAndDeliver').length).toBeGreaterThanOrEqual(2);
    expect(steps).not.toContain('resolveAndPlanDeliveries');
    expect(steps).not.toContain('resolveTenant');
    expect(steps).not.toContain('planDeliveries');
    await receiverD.close();
  });

  it('reads are scoped: a tenant sees only its own events and deliveries, another partner nothing', async () => {
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('scope'), runtime_vars: { crm_account_id: 'crm-A' } });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered', tenantId: tenantA.id });
    const keyA = await seedApiKey(stack, 'tenant', partner.id, tenantA.id);
    const keyB = await seedApiKey(stack, 'tenant', partner.id, tenantB.id);
    const stranger = await seedPartner(stack, 'Stranger');
    const strangerKey = await seedApiKey(stack, 'partner', stranger.id);

    expect((await api(stack, 'GET', `/v1/events/${ack.event_id}`, keyA)).status).toBe(200);
    expect((await api(stack, 'GET', `/v1/events/${ack.event_id}`, partnerKey)).status).toBe(200);
    expect((await api(stack, 'GET', `/v1/events/${ack.event_id}`, keyB)).status).toBe(404);
    expect((await api(stack, 'GET', `/v1/events/${ack.event_id}`, strangerKey)).status).toBe(404);

    const mine = await api<{ data: Array<{ tenant_id: string }> }>(stack, 'GET', '/v1/deliveries', keyA);
    expect(mine.body.data.length).toBeGreaterThan(0);
    expect(new Set(mine.body.data.map((d) => d.tenant_id))).toEqual(new Set([tenantA.id]));
    // Asking for another tenant's deliveries with a tenant key yields nothing, not an error leak.
    expect((await api<{ data: unknown[] }>(stack, 'GET', `/v1/deliveries?tenant_id=${tenantB.id}`, keyA)).body.data).toHaveLength(0);
    expect((await api<{ data: unknown[] }>(stack, 'GET', '/v1/deliveries', strangerKey)).body.data).toHaveLength(0);
    // Quarantine review is for partners, not tenants.
    expect((await api(stack, 'GET', '/v1/quarantine', keyA)).status).toBe(403);
    expect((await api(stack, 'GET', '/v1/deliveries?status=bogus', keyA)).status).toBe(422);
  });
});
