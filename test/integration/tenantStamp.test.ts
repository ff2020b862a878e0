import { sql } from 'kysely';
import { tenantResolver } from '../../activities/resolveTenant';
import { connectDatabase, type DbHandle } from '../../src/db/connect';
import { stampAndPlanStatement } from '../../src/db/statements/stampAndPlan';
import { persistEvent } from '../../src/ingest/persistEvent';
import { createLogger } from '../../src/logger';
import { createTestDatabase } from '../support/testStack';

/**
 * An event's tenant is decided once. A second resolution (a retry whose first answer was lost, a
 * replay) may only confirm it: if the routing map has moved the event's keys to another tenant
 * in between, the event is a conflict for a human, never re-routed to a second tenant.
 */
describe('tenant stamp', () => {
  let handle: DbHandle;
  beforeAll(async () => {
    handle = connectDatabase(await createTestDatabase(), 2);
    await sql`insert into partners (id, name) values ('prt_s', 'S')`.execute(handle.db);
    await sql`insert into tenants (id, partner_id, name) values ('ten_a', 'prt_s', 'A'), ('ten_b', 'prt_s', 'B')`.execute(handle.db);
    await sql`insert into tenant_routes (id, partner_id, tenant_id, kind, value) values ('rte_1', 'prt_s', 'ten_a', 'crm_account_id', 'crm-1')`.execute(handle.db);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('confirms the stamped tenant without a second checkpoint, and quarantines a changed one', async () => {
    const body = JSON.stringify({ event: 'call.started', call_id: 'c-1', occurred_at: '2026-11-24T10:00:00Z', runtime_vars: { crm_account_id: 'crm-1' } });
    const { eventId } = await persistEvent(handle.db, {
      partnerId: 'prt_s', callId: 'c-1', eventType: 'call.started', terminal: false, tenantId: null, voiceSessionId: null,
      occurredAt: '2026-11-24T10:00:00Z', payload: undefined, payloadJson: body, workflowId: 'prt_s:c-1:call.started', source: 'partner',
      receipt: { sourceIp: null, headers: {}, body },
    });
    const resolver = tenantResolver({ db: handle.db, logger: createLogger('silent') });
    // What the routeAndDeliver step does before its first attempts: decide, then stamp and plan.
    const resolve = async () => {
      const decided = await resolver.decide(eventId);
      if (decided.outcome !== 'resolved') return decided;
      await stampAndPlanStatement(handle.db, {
        eventId, tenantId: decided.tenantId, eventType: 'call.started', stampDetail: decided.detail, learned: decided.learned,
        workflowId: 'prt_s:c-1:call.started', deliveryIds: ['dlv_s1'],
      });
      return decided;
    };
    const checkpoints = async () => (await sql<{ stage: string }>`select stage from event_checkpoints where event_id = ${eventId} order by id`.execute(handle.db)).rows.map((r) => r.stage);

    expect(await resolve()).toMatchObject({ outcome: 'resolved', tenantId: 'ten_a' });
    expect(await resolve()).toMatchObject({ outcome: 'resolved', tenantId: 'ten_a' });
    // One `tenant_resolved` however often the step runs (each run re-records `delivering`).
    expect(await checkpoints()).toEqual(['received', 'tenant_resolved', 'delivering', 'delivering']);

    // The partner moves the account (and the call the first resolution learned) to tenant B
    // before a retry of the same resolution: every key now agrees on B.
    await sql`update tenant_routes set tenant_id = 'ten_b' where partner_id = 'prt_s'`.execute(handle.db);
    expect(await resolve()).toEqual({
      outcome: 'conflict',
      reason: 'tenant_changed',
      detail: expect.objectContaining({ stamped_tenant_id: 'ten_a', resolved_tenant_id: 'ten_b' }),
    });
    const { rows } = await sql<{ tenant_id: string }>`select tenant_id from events where id = ${eventId}`.execute(handle.db);
    expect(rows[0]!.tenant_id).toBe('ten_a');
  });
});
