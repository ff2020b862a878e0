import { randomBytes } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema';
import { PURGE_TARGETS } from '../../src/domain/retentionPlan';
import { ensureRetentionSchedule } from '../../src/temporal/schedules';
import { startWorker, type RunningWorker } from '../../src/temporal/worker';
import type { retentionWorkflow, RetentionWorkflowInput, RetentionWorkflowResult } from '../../workflows/retentionWorkflow';
import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/testStack';

/** Days before now, as Postgres computes it (rows are backdated in SQL, like real old rows). */
const daysAgo = (days: number) => sql<Date>`now() - make_interval(days => ${days})`;

describe('the retention purge', () => {
  let stack: TestStack;
  let worker: RunningWorker | undefined;
  let db: Kysely<Database>;
  let partnerId: string;
  let tenantId: string;
  let endpointId: string;
  // Unique per run: every test file shares one Temporal server.
  const scheduleId = `retention-test-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    stack = await startTestStack({
      worker: false,
      env: { RETENTION: '30d', RETENTION_SCHEDULE_ID: scheduleId, RETENTION_CRON: '15 5 * * *', RETENTION_TIMEZONE: 'Europe/Berlin' },
    });
    worker = await startWorker({ ...stack.core, db: stack.core.database.db }, { retentionSchedule: true });
    db = stack.core.database.db;
    const partner = await seedPartner(stack, 'Retention Voice');
    const tenant = await seedTenant(stack, partner.id, 'T');
    const endpoint = await seedEndpoint(stack, partner.id, tenant.id, { url: 'http://127.0.0.1:9/hook' });
    [partnerId, tenantId, endpointId] = [partner.id, tenant.id, endpoint.id];
  });
  afterAll(async () => {
    await stack?.temporal.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await worker?.shutdown();
    await stack?.close();
  });

  async function runPurge(input: Partial<RetentionWorkflowInput> = {}) {
    const handle = await stack.temporal.workflow.start<typeof retentionWorkflow>('retentionWorkflow', {
      taskQueue: stack.config.temporal.taskQueue,
      workflowId: `retention-direct-${randomBytes(4).toString('hex')}`,
      args: [{ retentionMs: 30 * 86_400_000, batchSize: 5_000, batchesPerRun: 100, ...input }],
    });
    return { handle, result: await handle.result() };
  }

  async function insertEvent(id: string, receivedDaysAgo: number, status = 'delivered') {
    await sql`
      insert into events (id, partner_id, call_id, event_type, terminal, tenant_id, occurred_at, received_at, payload, status, workflow_id, workflow_started_at)
      values (${id}, ${partnerId}, ${`call-${id}`}, 'call.ended', true, ${tenantId}, ${daysAgo(receivedDaysAgo)}, ${daysAgo(receivedDaysAgo)}, '{}'::jsonb, ${status}, ${`wf-${id}`}, ${daysAgo(receivedDaysAgo)})`.execute(db);
  }
  async function insertReceipt(eventId: string, days: number): Promise<string> {
    const { rows } = await sql<{ id: string }>`
      insert into receipts (partner_id, event_id, duplicate, received_at, headers, body)
      values (${partnerId}, ${eventId}, false, ${daysAgo(days)}, '{}'::jsonb, '{"raw":"body"}') returning id`.execute(db);
    return rows[0]!.id;
  }
  async function insertSourceReceipt(sourceId: string, days: number): Promise<string> {
    const id = `srr_ret_${randomBytes(6).toString('hex')}`;
    await sql`
      insert into source_receipts (id, source_id, partner_id, outcome, reason, received_at, headers, body)
      values (${id}, ${sourceId}, ${partnerId}, 'rejected', 'call_id: /id: no member "id"', ${daysAgo(days)}, '{}'::jsonb, '{"raw":"body"}')`.execute(db);
    return id;
  }
  async function insertCheckpoint(eventId: string, days: number): Promise<string> {
    const { rows } = await sql<{ id: string }>`
      insert into event_checkpoints (event_id, stage, at) values (${eventId}, 'received', ${daysAgo(days)}) returning id`.execute(db);
    return rows[0]!.id;
  }
  async function insertDelivery(id: string, eventId: string, days: number) {
    await sql`
      insert into deliveries (id, event_id, endpoint_id, tenant_id, partner_id, status, created_at, updated_at)
      values (${id}, ${eventId}, ${endpointId}, ${tenantId}, ${partnerId}, 'delivered', ${daysAgo(days)}, ${daysAgo(days)})`.execute(db);
  }
  async function insertAttempt(deliveryId: string, days: number): Promise<string> {
    const { rows } = await sql<{ id: string }>`
      insert into delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code)
      values (${deliveryId}, 1, ${daysAgo(days)}, 12, 200) returning id`.execute(db);
    return rows[0]!.id;
  }
  async function insertQuarantine(eventId: string, status: 'open' | 'released' | 'discarded', createdDaysAgo: number, resolvedDaysAgo: number | null) {
    await sql`
      insert into quarantine (id, event_id, partner_id, reason, detail, status, created_at, resolved_at)
      values (${`qtn_${eventId}`}, ${eventId}, ${partnerId}, 'unroutable', '{}'::jsonb, ${status}, ${daysAgo(createdDaysAgo)},
              ${resolvedDaysAgo === null ? null : daysAgo(resolvedDaysAgo)})`.execute(db);
  }
  async function insertRun(id: string, days: number, status: string) {
    await sql`
      insert into reconciliation_runs (id, partner_id, window_from, window_to, status, started_at, finished_at)
      values (${id}, ${partnerId}, ${daysAgo(days + 1)}, ${daysAgo(days)}, ${status}, ${daysAgo(days)}, ${status === 'running' ? null : daysAgo(days)})`.execute(db);
  }
  async function insertReplay(runId: string, days: number): Promise<string> {
    const { rows } = await sql<{ id: string }>`
      insert into reconciliation_replays (run_id, partner_id, call_id, action, at)
      values (${runId}, ${partnerId}, 'call-x', 'started', ${daysAgo(days)}) returning id`.execute(db);
    return rows[0]!.id;
  }
  async function insertIncident(id: string, runId: string, days: number, resolvedDaysAgo: number | null) {
    await sql`
      insert into incidents (id, partner_id, reconciliation_run_id, kind, severity, status, summary, detail, created_at, resolved_at)
      values (${id}, ${partnerId}, ${runId}, 'reconciliation_mismatch', 'warning', ${resolvedDaysAgo === null ? 'open' : 'resolved'}, 's', '{}'::jsonb,
              ${daysAgo(days)}, ${resolvedDaysAgo === null ? null : daysAgo(resolvedDaysAgo)})`.execute(db);
  }
  async function ids(table: 'receipts' | 'source_receipts' | 'delivery_attempts' | 'event_checkpoints' | 'operational_events' | 'reconciliation_replays' | 'incidents' | 'reconciliation_runs' | 'quarantine' | 'events' | 'deliveries' | 'audit_log' | 'ingest_refusals') {
    const { rows } = await sql<{ id: string }>`select id::text as id from ${sql.table(table)} order by id`.execute(db);
    return rows.map((r) => r.id).sort();
  }

  it('deletes exactly what is past the window, keeps open quarantine and open incidents, and a second run deletes nothing', async () => {
    // Events: the dedupe records are never purged, whatever their age.
    await insertEvent('evt_old', 40);
    await insertEvent('evt_new', 1);
    await insertEvent('evt_qopen', 40, 'quarantined');
    await insertEvent('evt_qreleased', 40);
    await insertEvent('evt_qdiscarded', 40, 'discarded');
    await insertQuarantine('evt_qopen', 'open', 40, null);
    await insertQuarantine('evt_qreleased', 'released', 40, 35); // decided long ago: record goes
    await insertQuarantine('evt_qdiscarded', 'discarded', 40, 2); // decided recently: record stays

    const oldReceipts = [await insertReceipt('evt_old', 40), await insertReceipt('evt_old', 31), await insertReceipt('evt_qreleased', 40)];
    const keptReceipts = [await insertReceipt('evt_new', 1), await insertReceipt('evt_old', 29), await insertReceipt('evt_qopen', 40), await insertReceipt('evt_qopen', 39)];

    // A source's rejected / ignored requests: kept for the partner to audit, inside the window only.
    await sql`
      insert into sources (id, partner_id, name, verification) values ('src_retention', ${partnerId}, 'R', '{"scheme":"token"}'::jsonb)`.execute(db);
    const oldSourceReceipts = [await insertSourceReceipt('src_retention', 40), await insertSourceReceipt('src_retention', 31)];
    const keptSourceReceipts = [await insertSourceReceipt('src_retention', 29), await insertSourceReceipt('src_retention', 1)];

    await insertDelivery('dlv_old', 'evt_old', 40);
    await insertDelivery('dlv_new', 'evt_new', 1);
    const oldAttempts = [await insertAttempt('dlv_old', 40), await insertAttempt('dlv_old', 35)];
    const keptAttempts = [await insertAttempt('dlv_new', 1), await insertAttempt('dlv_old', 20)];

    const oldCheckpoints = [await insertCheckpoint('evt_old', 40), await insertCheckpoint('evt_qreleased', 40)];
    const keptCheckpoints = [await insertCheckpoint('evt_new', 1), await insertCheckpoint('evt_qopen', 40)];

    const { rows: ops } = await sql<{ id: string; old: boolean }>`
      insert into operational_events (partner_id, type, detail, at)
      values (${partnerId}, 'endpoint.disabled', '{}'::jsonb, ${daysAgo(45)}), (${partnerId}, 'incident.raised', '{}'::jsonb, ${daysAgo(3)})
      returning id::text as id, at < now() - interval '30 days' as old`.execute(db);

    // The audit log is append-only, but what is past the window goes (the trigger allows that delete).
    await sql`
      insert into audit_log (id, at, partner_id, actor_kind, action, target_type, target_id)
      values ('aud_old', ${daysAgo(40)}, ${partnerId}, 'admin', 'partner.created', 'partner', ${partnerId}),
             ('aud_new', ${daysAgo(2)}, ${partnerId}, 'admin', 'tenant.created', 'tenant', ${tenantId})`.execute(db);
    await sql`
      insert into ingest_refusals (id, partner_id, received_at, status, code, reason, message)
      values ('irf_old', ${partnerId}, ${daysAgo(40)}, 401, 'invalid_signature', 'signature_mismatch', 'm'),
             ('irf_new', ${partnerId}, ${daysAgo(2)}, 401, 'invalid_signature', 'signature_mismatch', 'm')`.execute(db);

    await insertRun('rec_old', 40, 'completed'); // plain old run: replays and run go
    const oldReplays = [await insertReplay('rec_old', 40)];
    await insertRun('rec_old_resolved', 40, 'completed'); // incident resolved long ago: all go
    await insertIncident('inc_old_resolved', 'rec_old_resolved', 40, 38);
    const oldReplaysResolved = [await insertReplay('rec_old_resolved', 40)];
    await insertRun('rec_old_open', 40, 'completed'); // open incident: run, replay and incident stay
    await insertIncident('inc_open', 'rec_old_open', 40, null);
    const keptReplays = [await insertReplay('rec_old_open', 40)];
    await insertRun('rec_old_recent_resolution', 40, 'failed'); // resolved inside the window: stays
    await insertIncident('inc_recent_resolution', 'rec_old_recent_resolution', 40, 5);
    await insertRun('rec_old_running', 40, 'running'); // a run still marked running is never cut from under its workflow
    await insertRun('rec_new', 2, 'completed');
    keptReplays.push(await insertReplay('rec_new', 2));

    const nowSecond = Math.floor(Date.now() / 1000);
    await sql`
      insert into endpoint_rate_windows (endpoint_id, window_start, sent)
      values (${endpointId}, ${nowSecond - 3_600}, 3), (${endpointId}, ${nowSecond - 600}, 1), (${endpointId}, ${nowSecond}, 2)`.execute(db);

    const eventsBefore = await ids('events');
    const deliveriesBefore = await ids('deliveries');
    const { result } = await runPurge();

    expect(result.deleted).toEqual({
      receipts: 3,
      source_receipts: 2,
      delivery_attempts: 2,
      event_checkpoints: 2,
      operational_events: 1,
      reconciliation_replays: 2,
      incidents: 1,
      reconciliation_runs: 2,
      quarantine: 1,
      endpoint_rate_windows: 2,
      audit_log: 1,
      ingest_refusals: 1,
    });
    expect(result.continuedAsNew).toBe(0);
    expect(await ids('receipts')).toEqual([...keptReceipts].sort());
    expect(await ids('receipts')).not.toEqual(expect.arrayContaining(oldReceipts));
    expect(await ids('source_receipts')).toEqual([...keptSourceReceipts].sort());
    expect(oldSourceReceipts.some((id) => keptSourceReceipts.includes(id))).toBe(false);
    expect(await ids('delivery_attempts')).toEqual([...keptAttempts].sort());
    expect(oldAttempts.some((id) => keptAttempts.includes(id))).toBe(false);
    expect(await ids('event_checkpoints')).toEqual([...keptCheckpoints].sort());
    expect(oldCheckpoints.some((id) => keptCheckpoints.includes(id))).toBe(false);
    expect(await ids('operational_events')).toEqual(ops.filter((o) => !o.old).map((o) => o.id));
    expect(await ids('reconciliation_replays')).toEqual([...keptReplays].sort());
    expect([...oldReplays, ...oldReplaysResolved].some((id) => keptReplays.includes(id))).toBe(false);
    expect(await ids('incidents')).toEqual(['inc_open', 'inc_recent_resolution']);
    expect(await ids('reconciliation_runs')).toEqual(['rec_new', 'rec_old_open', 'rec_old_recent_resolution', 'rec_old_running']);
    expect(await ids('quarantine')).toEqual(['qtn_evt_qdiscarded', 'qtn_evt_qopen']);
    expect(await ids('audit_log')).toEqual(['aud_new']);
    expect(await ids('ingest_refusals')).toEqual(['irf_new']);
    const { rows: windows } = await sql<{ window_start: string }>`select window_start from endpoint_rate_windows`.execute(db);
    expect(windows.map((w) => Number(w.window_start))).toEqual([nowSecond]);
    // Events and deliveries are kept: they are what dedupe, redrive and reconciliation read.
    expect(await ids('events')).toEqual(eventsBefore);
    expect(await ids('deliveries')).toEqual(deliveriesBefore);

    const again = await runPurge();
    expect(again.result.deleted).toEqual({});
    expect(again.result.batches).toBe(PURGE_TARGETS.length);
    // The current second's counter would turn stale a minute from now; later tests count exactly.
    await sql`delete from endpoint_rate_windows`.execute(db);
  });

  it('purges 30,000 old receipts in bounded batches, continuing as new, and nothing on a second run', async () => {
    await insertEvent('evt_bulk', 45);
    await sql`
      insert into receipts (partner_id, event_id, duplicate, received_at, headers, body)
      select ${partnerId}, 'evt_bulk', g > 1, now() - interval '45 days' + g * interval '1 second', '{}'::jsonb, 'body-' || g
      from generate_series(1, 30000) g`.execute(db);
    const fresh = [await insertReceipt('evt_bulk', 0), await insertReceipt('evt_bulk', 29)];
    const guarded = (await sql<{ n: number }>`
      select count(*)::int as n from receipts r join quarantine q on q.event_id = r.event_id and q.status = 'open'`.execute(db)).rows[0]!.n;

    const { handle, result } = await runPurge({ batchSize: 5_000, batchesPerRun: 3 });

    expect(result.deleted.receipts).toBe(30_000);
    // Six full batches and one short one for receipts, then one (short) batch per other table.
    const batches = 7 + PURGE_TARGETS.length - 1;
    expect(result.batches).toBe(batches);
    expect(result.continuedAsNew).toBe(Math.ceil(batches / 3) - 1);
    const firstRun = await stack.temporal.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
    const remaining = await sql<{ id: string }>`select id::text as id from receipts where event_id = 'evt_bulk'`.execute(db);
    expect(remaining.rows.map((r) => r.id).sort()).toEqual(fresh.sort());
    const guardedAfter = (await sql<{ n: number }>`
      select count(*)::int as n from receipts r join quarantine q on q.event_id = r.event_id and q.status = 'open'`.execute(db)).rows[0]!.n;
    expect(guardedAfter).toBe(guarded);

    const again = await runPurge();
    expect(again.result.deleted).toEqual({});
  });

  it('the daily Schedule exists after worker start (overlap SKIP) and a trigger purges with the configured window', async () => {
    const handle = stack.temporal.schedule.getHandle(scheduleId);
    const d = await handle.describe();
    expect(d.spec.timezone).toBe('Europe/Berlin');
    expect(d.spec.calendars![0]).toMatchObject({ hour: [{ start: 5, end: 5, step: 1 }], minute: [{ start: 15, end: 15, step: 1 }] });
    expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'retentionWorkflow', taskQueue: stack.config.temporal.taskQueue });
    expect(d.action.args?.[0]).toEqual({ retentionMs: 30 * 86_400_000, batchSize: 5_000, batchesPerRun: 100 });
    // A second worker start updates in place instead of failing or duplicating.
    expect(await ensureRetentionSchedule(stack.temporal, stack.config, stack.core.logger)).toBe('updated');

    await insertEvent('evt_sched', 50);
    const old = await insertReceipt('evt_sched', 31);
    const kept = await insertReceipt('evt_sched', 28);

    await handle.trigger();
    let workflowId: string | undefined;
    const deadline = Date.now() + 60_000;
    while (!workflowId) {
      const recent = (await handle.describe()).info.recentActions[0];
      if (recent) workflowId = recent.action.workflow.workflowId;
      else if (Date.now() > deadline) throw new Error('the schedule took no action');
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(workflowId.startsWith(`${scheduleId}-`)).toBe(true);
    const result = (await stack.temporal.workflow.getHandle(workflowId).result()) as RetentionWorkflowResult;
    expect(result.deleted).toEqual({ receipts: 1 });
    const left = await sql<{ id: string }>`select id::text as id from receipts where event_id = 'evt_sched'`.execute(db);
    expect(left.rows.map((r) => r.id)).toEqual([kept]);
    expect(left.rows.map((r) => r.id)).not.toContain(old);
  });
});
