import { randomBytes } from 'node:crypto';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config';
import { scheduledWindow } from '../../src/domain/reconciliationWindow';
import { ensureReconciliationSchedule } from '../../src/temporal/schedules';
import { startWorker, type RunningWorker } from '../../src/temporal/worker';
import type { ReconciliationWorkflowResult } from '../../workflows/reconciliationWorkflow';
import { seedPartner, seedTenant } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/testStack';

describe('the daily reconciliation Schedule', () => {
  let stack: TestStack;
  let worker: RunningWorker | undefined;
  // Unique per run: every test file shares one Temporal server.
  const scheduleId = `recon-test-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    stack = await startTestStack({
      worker: false,
      env: {
        RECONCILIATION_SCHEDULE_ID: scheduleId,
        RECONCILIATION_CRON: '30 4 * * *',
        RECONCILIATION_TIMEZONE: 'Europe/Berlin',
        RECONCILIATION_CATCHUP_WINDOW: '6h',
        RECONCILIATION_LAG: '2h',
      },
    });
    worker = await startWorker({ ...stack.core, db: stack.core.database.db }, { reconciliationSchedule: true });
  });
  afterAll(async () => {
    await stack?.temporal.schedule.getHandle(scheduleId).delete().catch(() => undefined);
    await worker?.shutdown();
    await stack?.close();
  });

  it('exists after worker start with the configured spec and policies', async () => {
    const d = await stack.temporal.schedule.getHandle(scheduleId).describe();
    expect(d.spec.timezone).toBe('Europe/Berlin');
    expect(d.spec.calendars).toHaveLength(1);
    expect(d.spec.calendars![0]).toMatchObject({ hour: [{ start: 4, end: 4, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });
    expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
    expect(d.policies.catchupWindow).toBe(6 * 3_600_000);
    expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconciliationWorkflow', taskQueue: stack.config.temporal.taskQueue });
    expect(d.action.args?.[0]).toMatchObject({ partnerId: null, lagMs: 2 * 3_600_000 });
  });

  it('a restart with a new time updates it in place', async () => {
    const changed = loadConfig({ ...envOf(stack), RECONCILIATION_CRON: '15 6 * * *' });
    expect(await ensureReconciliationSchedule(stack.temporal, changed, stack.core.logger)).toBe('updated');
    const d = await stack.temporal.schedule.getHandle(scheduleId).describe();
    expect(d.spec.calendars![0]).toMatchObject({ hour: [{ start: 6, end: 6, step: 1 }], minute: [{ start: 15, end: 15, step: 1 }] });
    expect(d.spec.timezone).toBe('Europe/Berlin');
  });

  it('trigger() runs a reconciliation of the day before its scheduled time', async () => {
    const db = stack.core.database.db;
    const partner = await seedPartner(stack, 'Scheduled Voice');
    const tenant = await seedTenant(stack, partner.id, 'T');
    // One delivered call at noon on each of the last three UTC days: whichever day the run
    // derives from its scheduled time, exactly one call is in it.
    await sql`
      insert into voice_sessions (partner_id, call_id, tenant_id, status, ended_at, terminal)
      select ${partner.id}, 'day-' || d, ${tenant.id}, 'ended', date_trunc('day', now() at time zone 'utc') at time zone 'utc' - d * interval '1 day' + interval '12 hours', true
      from generate_series(1, 3) d`.execute(db);
    await sql`
      insert into events (id, partner_id, call_id, event_type, terminal, tenant_id, occurred_at, payload, status, workflow_id, workflow_started_at)
      select 'evt_day' || d, ${partner.id}, 'day-' || d, 'call.ended', true, ${tenant.id}, now(), '{}'::jsonb, 'delivered', 'wf-day-' || d, now()
      from generate_series(1, 3) d`.execute(db);

    const handle = stack.temporal.schedule.getHandle(scheduleId);
    await handle.trigger();
    let action: { scheduledAt: Date; workflowId: string } | undefined;
    const deadline = Date.now() + 60_000;
    while (!action) {
      const d = await handle.describe();
      const recent = d.info.recentActions[0];
      if (recent) action = { scheduledAt: recent.scheduledAt, workflowId: recent.action.workflow.workflowId };
      else if (Date.now() > deadline) throw new Error('the schedule took no action');
      else await new Promise((r) => setTimeout(r, 200));
    }
    expect(action.workflowId.startsWith(`${scheduleId}-`)).toBe(true);
    const result = (await stack.temporal.workflow.getHandle(action.workflowId).result()) as ReconciliationWorkflowResult;
    expect(result.window).toEqual(scheduledWindow(action.scheduledAt, 2 * 3_600_000));
    expect(result).toMatchObject({ terminalCalls: 1, processed: 1, missing: 0 });
    const run = await db.selectFrom('reconciliation_runs').selectAll().where('workflow_id', '=', action.workflowId).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'completed', partner_id: null, terminal_calls: 1 });
  });
});

/** The env a stack was configured from, to derive a variant config (as a restarted worker would). */
function envOf(stack: TestStack): Record<string, string> {
  const c = stack.config;
  return {
    DATABASE_URL: stack.databaseUrl,
    TEMPORAL_ADDRESS: c.temporal.address!,
    TEMPORAL_TASK_QUEUE: c.temporal.taskQueue,
    SWITCHBOARD_ENCRYPTION_KEY: c.encryptionKey!,
    RECONCILIATION_SCHEDULE_ID: c.reconciliation.scheduleId,
    RECONCILIATION_TIMEZONE: c.reconciliation.timezone,
    RECONCILIATION_CATCHUP_WINDOW: `${c.reconciliation.catchupWindowMs}ms`,
    RECONCILIATION_LAG: `${c.reconciliation.lagMs}ms`,
  };
}
