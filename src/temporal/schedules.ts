import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptionsStartWorkflowAction, type ScheduleSpec } from '@temporalio/client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { reconciliationWorkflow } from '../../workflows/reconciliationWorkflow';

type ReconciliationAction = ScheduleOptionsStartWorkflowAction<typeof reconciliationWorkflow>;

/** The daily reconciliation Schedule as configured: spec, action and policies. */
export function reconciliationScheduleParts(config: Config) {
  const r = config.reconciliation;
  const spec: ScheduleSpec = { cronExpressions: [r.cron], timezone: r.timezone };
  const action: ReconciliationAction = {
    type: 'startWorkflow',
    workflowType: 'reconciliationWorkflow',
    // The server appends the nominal time: `switchboard-reconciliation-2025-01-02T03:00:00Z`.
    workflowId: r.scheduleId,
    taskQueue: config.temporal.taskQueue,
    // No window: each run derives "yesterday minus the lag" from its scheduled time.
    args: [{ partnerId: null, lagMs: r.lagMs, pageSize: r.pageSize, pagesPerRun: r.pagesPerRun }],
    staticSummary: 'Daily reconciliation: call log vs processed terminal events',
  };
  const policies = {
    // A run still going when the next is due means something is badly wrong; never stack them.
    overlap: ScheduleOverlapPolicy.SKIP,
    catchupWindow: r.catchupWindowMs,
  };
  return { spec, action, policies };
}

/**
 * Create the Schedule, or bring an existing one in line with the configuration (a changed
 * RECONCILIATION_CRON takes effect at the next worker start). Paused state is left as an
 * operator set it.
 */
export async function ensureReconciliationSchedule(client: Client, config: Config, logger: Logger): Promise<'created' | 'updated'> {
  const scheduleId = config.reconciliation.scheduleId;
  const { spec, action, policies } = reconciliationScheduleParts(config);
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
    logger.info({ schedule_id: scheduleId, cron: config.reconciliation.cron, timezone: config.reconciliation.timezone }, 'reconciliation schedule created');
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    spec,
    action,
    policies: { ...previous.policies, ...policies },
    state: { paused: previous.state.paused, note: previous.state.note, remainingActions: previous.state.remainingActions },
  }));
  logger.info({ schedule_id: scheduleId, cron: config.reconciliation.cron, timezone: config.reconciliation.timezone }, 'reconciliation schedule updated');
  return 'updated';
}
