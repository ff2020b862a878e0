import { sql } from 'kysely';
import { recordOperationalEvent } from '../../src/operational/recordOperationalEvent';
import { apiAs } from '../support/apiClient';
import { seedPartner, seedTenant } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * GET /v1/operational-events: type and time filters, the cursor, and the scope (a partner its
 * own, a tenant only the events about its own endpoints). Emission by the real delivery path is
 * asserted by the scope matrix (dead letters, quarantine, incidents) and circuitFlapping (circuit).
 */
describe('operational events route', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  let other: Awaited<ReturnType<typeof seedPartner>>;
  let tenant: Awaited<ReturnType<typeof seedTenant>>;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    const db = stack.core.database.db;
    [partner, other] = [await seedPartner(stack, 'Ops A'), await seedPartner(stack, 'Ops B')];
    tenant = await seedTenant(stack, partner.id, 'A1');
    for (let i = 0; i < 7; i++) {
      await recordOperationalEvent(db, { type: 'delivery.dead_lettered', partnerId: partner.id, tenantId: tenant.id, detail: { delivery_id: `dlv_${i}` } });
    }
    await recordOperationalEvent(db, { type: 'event.quarantined', partnerId: partner.id, tenantId: null, detail: { event_id: 'evt_q' } });
    await recordOperationalEvent(db, { type: 'event.quarantined', partnerId: other.id, tenantId: null, detail: { event_id: 'evt_other' } });
    // One old event, for the time range.
    await sql`insert into operational_events (partner_id, tenant_id, type, detail, at) values (${partner.id}, null, 'incident.raised', '{}'::jsonb, now() - interval '3 days')`.execute(db);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('filters by type and time range, pages newest first without gaps, and scopes by key', async () => {
    const pa = apiAs(stack, partner.api_key);
    const all = (await pa.get('/v1/operational-events')).body.data as Array<{ id: string; type: string; partner_id: string; tenant_id: string | null }>;
    expect(all).toHaveLength(9);
    expect(all.every((e) => e.partner_id === partner.id)).toBe(true);
    expect(all.map((e) => Number(e.id))).toEqual([...all.map((e) => Number(e.id))].sort((a, b) => b - a));

    expect((await pa.get('/v1/operational-events?type=event.quarantined')).body.data).toHaveLength(1);
    const dayAgo = new Date(Date.now() - 86_400_000).toISOString();
    expect((await pa.get(`/v1/operational-events?since=${dayAgo}`)).body.data).toHaveLength(8);
    expect((await pa.get(`/v1/operational-events?until=${dayAgo}`)).body.data.map((e: { type: string }) => e.type)).toEqual(['incident.raised']);

    const walked: string[] = [];
    let after: string | null = null;
    do {
      const res: { body: { data: Array<{ id: string }>; next_after: string | null } } = await pa.get(`/v1/operational-events?limit=4${after ? `&after=${after}` : ''}`);
      walked.push(...res.body.data.map((e) => e.id));
      after = res.body.next_after;
    } while (after);
    expect(walked).toEqual(all.map((e) => e.id));

    const tenantView = (await apiAs(stack, tenant.api_key).get('/v1/operational-events')).body.data as Array<{ tenant_id: string }>;
    expect(tenantView).toHaveLength(7);
    expect(tenantView.every((e) => e.tenant_id === tenant.id)).toBe(true);
    expect((await apiAs(stack, other.api_key).get(`/v1/operational-events?partner_id=${partner.id}`)).body.data).toEqual([]);
    expect((await apiAs(stack, stack.adminKey).get('/v1/operational-events')).body.data).toHaveLength(10);
    expect((await pa.get('/v1/operational-events?type=endpoint.exploded')).status).toBe(422);
    expect((await pa.get('/v1/operational-events?after=abc')).status).toBe(422);
  });
});
