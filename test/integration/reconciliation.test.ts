import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import type { ReconciliationWorkflowResult } from '../../workflows/reconciliationWorkflow';
import { createPartner, type CreatedPartner } from '../../src/tenancy/partners';
import { seedEndpoint, seedTenant, waitForWorkflowResult } from '../support/fixtures';
import { postEvent } from '../support/inboundSigning';
import { startReceiver, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * The scenario on the real stack: 100 terminal calls in the call log, 97 delivered through
 * ingest, 2 received but dead-lettered (the receiver refuses them with 400), 1 never received.
 */
describe('reconciliation: compare, replay missing, raise incidents', () => {
  let stack: TestStack;
  let receiver: Receiver;
  let ops: Receiver;
  let partner: CreatedPartner;
  let tenantId: string;
  const refused = new Set(['call-010', 'call-020']);
  const neverSent = 'call-099';
  const accepted = new Set<string>();
  let refusing = true;
  const base = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 6 * 3_600_000);
  const window = { from: base.toISOString(), to: new Date(base.getTime() + 3_600_000).toISOString() };
  const callIds = Array.from({ length: 100 }, (_, i) => `call-${String(i).padStart(3, '0')}`);
  const endedAt = (i: number) => new Date(base.getTime() + (i + 1) * 10_000).toISOString();

  const api = (path: string, key: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(`${stack.api}${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });

  async function runReconciliation(key: string, body: Record<string, unknown>): Promise<{ id: string; result: ReconciliationWorkflowResult }> {
    const res = await api('/v1/reconciliations', key, { method: 'POST', body });
    expect(res.status).toBe(202);
    const started = (await res.json()) as { id: string; workflow_id: string };
    const result = await waitForWorkflowResult<ReconciliationWorkflowResult>(stack, started.workflow_id, 240_000);
    return { id: started.id, result };
  }

  async function eventStatuses(partnerId: string): Promise<Map<string, string>> {
    const rows = await stack.core.database.db.selectFrom('events').select(['call_id', 'status']).where('partner_id', '=', partnerId).execute();
    return new Map(rows.map((r) => [r.call_id, r.status]));
  }

  // Generous: the shared 2-core machine can be very loaded; these bound a hang, not speed.
  async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 240_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  beforeAll(async () => {
    stack = await startTestStack({ env: { RECONCILIATION_THRESHOLD: '0.01', RECONCILIATION_PAGE_SIZE: '40' } });
    receiver = await startReceiver((req) => {
      const callId = (JSON.parse(req.body) as { call_id: string }).call_id;
      if (refusing && refused.has(callId)) return { status: 400, body: 'unknown call' };
      accepted.add(callId);
      return { status: 200 };
    });
    ops = await startReceiver();
    partner = await createPartner(stack.core.database.db, stack.core.secretBox, { name: 'Recon Voice', ops_webhook_url: ops.url });
    const tenant = await seedTenant(stack, partner.id, 'Recon tenant', [['crm_account_id', 'crm-rec']]);
    tenantId = tenant.id;
    await seedEndpoint(stack, partner.id, tenant.id, { url: receiver.url });
  });
  afterAll(async () => {
    await receiver?.close();
    await ops?.close();
    await stack?.close();
  });

  it('accepts the call log in bulk: per-row errors, idempotent upsert by call_id', async () => {
    const rows = callIds.map((call_id, i) => ({
      call_id,
      voice_session_id: `vs-${call_id}`,
      tenant_id: tenantId,
      status: call_id === neverSent ? 'failed' : 'ended',
      started_at: new Date(Date.parse(endedAt(i)) - 60_000).toISOString(),
      ended_at: endedAt(i),
    }));
    const bad = [
      { call_id: 'bad-1', status: 'ended' }, // terminal without ended_at
      { call_id: 'bad-2', status: 'exploded', ended_at: endedAt(0) },
      { status: 'ended', ended_at: endedAt(0) },
      { ...rows[0], voice_session_id: 'dup' },
    ];
    const res = await api(`/v1/partners/${partner.id}/voice-sessions`, partner.api_key, { method: 'POST', body: { sessions: [...rows, ...bad] } });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { inserted: number; updated: number; rejected: number; partial: boolean; errors: Array<{ index: number; field: string }> };
    expect(out).toMatchObject({ inserted: 100, updated: 0, rejected: 4, partial: true });
    expect(out.errors.map((e) => [e.index, e.field])).toEqual([
      [100, 'ended_at'],
      [101, 'status'],
      [102, 'call_id'],
      [103, 'call_id'],
    ]);

    const again = await api(`/v1/partners/${partner.id}/voice-sessions`, partner.api_key, { method: 'POST', body: { sessions: rows } });
    expect(await again.json()).toMatchObject({ inserted: 0, updated: 100, rejected: 0, partial: false, errors: [] });
    const count = await stack.core.database.db
      .selectFrom('voice_sessions')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('partner_id', '=', partner.id)
      .where('terminal', '=', true)
      .executeTakeFirstOrThrow();
    expect(count.n).toBe(100);

    const allBad = await api(`/v1/partners/${partner.id}/voice-sessions`, partner.api_key, { method: 'POST', body: { sessions: bad.slice(0, 3) } });
    expect(allBad.status).toBe(422);

    const other = await createPartner(stack.core.database.db, stack.core.secretBox, { name: 'Other' });
    const foreign = await api(`/v1/partners/${partner.id}/voice-sessions`, other.api_key, { method: 'POST', body: { sessions: rows.slice(0, 1) } });
    expect(foreign.status).toBe(403);
    const foreignTenant = await api(`/v1/partners/${other.id}/voice-sessions`, other.api_key, { method: 'POST', body: { sessions: rows.slice(0, 1) } });
    expect(foreignTenant.status).toBe(422); // its only row names a tenant of another partner
  });

  it('97 delivered, 2 dead-lettered, 1 never received -> 3 missing, 3 replayed, all 100 delivered, one incident', async () => {
    const sent = callIds.filter((c) => c !== neverSent);
    for (let i = 0; i < sent.length; i += 25) {
      const batch = sent.slice(i, i + 25);
      const answers = await Promise.all(
        batch.map((call_id) =>
          postEvent(stack.api, partner.id, partner.inbound_secret, {
            event: 'call.ended',
            call_id,
            occurred_at: endedAt(callIds.indexOf(call_id)),
            runtime_vars: { crm_account_id: 'crm-rec' },
            data: { duration_seconds: 60 },
          }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(batch.map(() => 202));
    }
    await waitUntil('99 events settled', async () => {
      const s = await eventStatuses(partner.id);
      return s.size === 99 && [...s.values()].every((v) => v === 'delivered' || v === 'dead_lettered');
    });
    const before = await eventStatuses(partner.id);
    expect([...before].filter(([, s]) => s === 'dead_lettered').map(([c]) => c).sort()).toEqual([...refused].sort());
    expect(accepted.size).toBe(97);

    refusing = false; // the receiver is fixed; reconciliation should now get everything through
    const { id, result } = await runReconciliation(partner.api_key, window);
    expect(result).toMatchObject({ terminalCalls: 100, processed: 97, missing: 3, replayed: 3, failed: 0, inFlight: 0 });
    expect(result.incidentIds).toHaveLength(1);

    await waitUntil('all 100 delivered', async () => {
      const s = await eventStatuses(partner.id);
      return s.size === 100 && [...s.values()].every((v) => v === 'delivered');
    });
    expect([...accepted].sort()).toEqual(callIds);

    const synthesized = receiver.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>).find((b) => b['call_id'] === neverSent)!;
    expect(synthesized).toMatchObject({ type: 'call.failed', source: 'reconciliation', tenant_id: tenantId, data: { source: 'reconciliation' } });

    const replays = await stack.core.database.db.selectFrom('reconciliation_replays').select(['call_id', 'action']).where('run_id', '=', id).execute();
    expect(replays.map((r) => `${r.call_id}:${r.action}`).sort()).toEqual(['call-010:redriven', 'call-020:redriven', 'call-099:synthesized']);
    const redriven = await stack.core.database.db
      .selectFrom('deliveries')
      .innerJoin('events', 'events.id', 'deliveries.event_id')
      .select(['events.call_id', 'deliveries.redrive_count', 'deliveries.attempt_count'])
      .where('events.call_id', 'in', [...refused])
      .execute();
    expect(redriven.map((d) => d.redrive_count)).toEqual([1, 1]);
    expect(redriven.every((d) => d.attempt_count === 2)).toBe(true); // one refused, one accepted

    const run = (await (await api(`/v1/reconciliations/${id}`, partner.api_key)).json()) as Record<string, unknown>;
    expect(run).toMatchObject({ status: 'completed', partner_id: partner.id, terminal_calls: 100, processed: 97, missing: 3, replayed: 3, failed: 0, incidents: result.incidentIds });
    expect(run.window_from).toBe(window.from);

    // The incident: row, operational event, metric, signed ops webhook.
    const list = (await (await api('/v1/incidents', partner.api_key)).json()) as { data: Array<Record<string, any>> };
    expect(list.data).toHaveLength(1);
    const incident = list.data[0]!;
    expect(incident).toMatchObject({ id: result.incidentIds[0], status: 'open', partner_id: partner.id, reconciliation_run_id: id, kind: 'reconciliation_mismatch' });
    expect(incident['detail']).toMatchObject({ terminal_calls: 100, missing: 3, threshold: 0.01 });
    expect([...(incident['detail']['sample_call_ids'] as string[])].sort()).toEqual(['call-010', 'call-020', 'call-099']);
    const opEvents = await stack.core.database.db.selectFrom('operational_events').selectAll().where('partner_id', '=', partner.id).where('type', '=', 'incident.raised').execute();
    expect(opEvents).toHaveLength(1);
    expect((await stack.core.metrics.incidentsRaised.get()).values[0]?.value).toBe(1);
    const ratio = (await stack.core.metrics.reconciliationMissingRatio.get()).values.find((v) => v.labels['partner_id'] === partner.id);
    expect(ratio?.value).toBeCloseTo(0.03);

    await ops.waitFor(1);
    const hook = ops.requests[0]!;
    const payload = new Webhook(partner.inbound_secret).verify(hook.body, {
      'webhook-id': String(hook.headers['webhook-id']),
      'webhook-timestamp': String(hook.headers['webhook-timestamp']),
      'webhook-signature': String(hook.headers['webhook-signature']),
    });
    expect(payload).toMatchObject({ type: 'incident.raised', data: { id: incident['id'], severity: incident['severity'], partner_id: partner.id } });
  }, 600_000);

  it('a second run replays nothing and raises nothing', async () => {
    const requestsBefore = receiver.requests.length;
    const { id, result } = await runReconciliation(stack.adminKey, { ...window, partner_id: partner.id });
    expect(result).toMatchObject({ terminalCalls: 100, processed: 100, missing: 0, replayed: 0, incidentIds: [] });
    const replays = await stack.core.database.db.selectFrom('reconciliation_replays').select('id').where('run_id', '=', id).execute();
    expect(replays).toHaveLength(0);
    const incidents = await stack.core.database.db.selectFrom('incidents').select('id').where('partner_id', '=', partner.id).execute();
    expect(incidents).toHaveLength(1);
    expect(ops.requests).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.requests.length).toBe(requestsBefore);
  });

  it('resolves an incident once; other partners cannot see or resolve it', async () => {
    const [incident] = await stack.core.database.db.selectFrom('incidents').select('id').where('partner_id', '=', partner.id).execute();
    const other = await createPartner(stack.core.database.db, stack.core.secretBox, { name: 'Nosy' });
    expect(((await (await api('/v1/incidents', other.api_key)).json()) as { data: unknown[] }).data).toHaveLength(0);
    expect((await api(`/v1/incidents/${incident!.id}/resolve`, other.api_key, { method: 'POST', body: {} })).status).toBe(404);
    expect((await api('/v1/reconciliations', other.api_key, { method: 'POST', body: { ...window, partner_id: partner.id } })).status).toBe(403);

    const res = await api(`/v1/incidents/${incident!.id}/resolve`, partner.api_key, { method: 'POST', body: { note: 'receiver fixed' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'resolved', resolution_note: 'receiver fixed' });
    expect((await api(`/v1/incidents/${incident!.id}/resolve`, partner.api_key, { method: 'POST', body: {} })).status).toBe(409);
    const admin = (await (await api('/v1/incidents?status=resolved', stack.adminKey)).json()) as { data: Array<{ id: string }> };
    expect(admin.data.map((i) => i.id)).toContain(incident!.id);
  });

  it('with a 5% partner threshold the same 3% mismatch raises no incident', async () => {
    const db = stack.core.database.db;
    const lenient = await createPartner(db, stack.core.secretBox, { name: 'Lenient' });
    await db.updateTable('partners').set({ reconciliation_threshold: 0.05 }).where('id', '=', lenient.id).execute();
    const quiet = await seedTenant(stack, lenient.id, 'No endpoints');
    // 100 calls, 97 already delivered (loaded directly), 3 never received.
    await sql`
      insert into voice_sessions (partner_id, call_id, tenant_id, status, started_at, ended_at, terminal)
      select ${lenient.id}, 'l-' || g, ${quiet.id}, 'ended', ${base.toISOString()}::timestamptz, ${base.toISOString()}::timestamptz + g * interval '1 second', true
      from generate_series(1, 100) g`.execute(db);
    await sql`
      insert into events (id, partner_id, call_id, event_type, terminal, tenant_id, occurred_at, payload, status, workflow_id, workflow_started_at)
      select 'evt_l' || g, ${lenient.id}, 'l-' || g, 'call.ended', true, ${quiet.id}, now(), '{}'::jsonb, 'delivered', 'wf-l-' || g, now()
      from generate_series(1, 97) g`.execute(db);
    const { result } = await runReconciliation(stack.adminKey, { ...window, partner_id: lenient.id });
    expect(result).toMatchObject({ terminalCalls: 100, missing: 3, replayed: 3, incidentIds: [] });
    const incidents = await db.selectFrom('incidents').select('id').where('partner_id', '=', lenient.id).execute();
    expect(incidents).toHaveLength(0);
    // The synthesized events go through the normal workflow: a tenant without endpoints settles them as no_subscribers.
    await waitUntil('synthesized events settled', async () => {
      const s = await eventStatuses(lenient.id);
      return ['l-98', 'l-99', 'l-100'].every((c) => s.get(c) === 'no_subscribers');
    });
  });
});
