import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleOptionsAction,
  type ScheduleOptionsStartWorkflowAction,
  type ScheduleSpec,
} from '@temporalio/client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import type { reconciliationWorkflow } from '../../workflows/reconciliationWorkflow';
import type { retentionWorkflow } from '../../workflows/retentionWorkflow';
import { retryTransientServiceErrors } from './transientServiceErrors';

type ReconciliationAction = ScheduleOptionsStartWorkflowAction<typeof reconciliationWorkflow>;
type RetentionAction = ScheduleOptionsStartWorkflowAction<typeof retentionWorkflow>;

type ScheduleParts = Required<Pick<ScheduleOptions<ScheduleOptionsAction>, 'spec' | 'action' | 'policies'>>;

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

/** The daily retention purge Schedule as configured. */
export function retentionScheduleParts(config: Config) {
  const r = config.retention;
  const spec: ScheduleSpec = { cronExpressions: [r.cron], timezone: r.timezone };
  const action: RetentionAction = {
    type: 'startWorkflow',
    workflowType: 'retentionWorkflow',
    workflowId: r.scheduleId,
    taskQueue: config.temporal.taskQueue,
    // The window is an argument, so a changed RETENTION takes effect at the next worker start.
    args: [{ retentionMs: r.windowMs, batchSize: r.batchSize, batchesPerRun: r.batchesPerRun }],
    staticSummary: 'Daily retention purge: receipts, attempts, checkpoints, reconciliation outcomes',
  };
  const policies = {
    // A purge still running at the next slot is catching up on a backlog: let it finish alone.
    overlap: ScheduleOverlapPolicy.SKIP,
    // One missed purge is caught up within a day; older misses are covered by the next run anyway.
    catchupWindow: 86_400_000,
  };
  return { spec, action, policies };
}

/**
 * Create the Schedule, or bring an existing one in line with the configuration (a changed cron
 * takes effect at the next worker start). Paused state is left as an operator set it.
 */
async function upsertSchedule(client: Client, scheduleId: string, parts: ScheduleParts): Promise<'created' | 'updated'> {
  const { spec, action, policies } = parts;
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
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
  return 'updated';
}

/**
 * upsertSchedule, again while Temporal answers with a transient error: a worker starting next to a
 * Temporal that has just come back from a crash must not exit over it (5 calls over about 15 s).
 */
function upsertScheduleRetrying(client: Client, scheduleId: string, parts: ScheduleParts, logger: Logger) {
  return retryTransientServiceErrors(() => upsertSchedule(client, scheduleId, parts), {
    schedule: { maxAttempts: 5, initialIntervalMs: 1_000, backoffCoefficient: 2, maxIntervalMs: 8_000 },
    onRetry: (err, attempt, delayMs) => logger.warn({ schedule_id: scheduleId, err, attempt, retry_in_ms: delayMs }, 'schedule upsert failed, retrying'),
  });
}

export async function ensureReconciliationSchedule(client: Client, config: Config, logger: Logger): Promise<'created' | 'updated'> {
  const r = config.reconciliation;
  const outcome = await upsertScheduleRetrying(client, r.scheduleId, reconciliationScheduleParts(config), logger);
  logger.info({ schedule_id: r.scheduleId, cron: r.cron, timezone: r.timezone }, `reconciliation schedule ${outcome}`);
  return outcome;
}

export async function ensureRetentionSchedule(client: Client, config: Config, logger: Logger): Promise<'created' | 'updated'> {
  const r = config.retention;
  const outcome = await upsertScheduleRetrying(client, r.scheduleId, retentionScheduleParts(config), logger);
  logger.info({ schedule_id: r.scheduleId, cron: r.cron, timezone: r.timezone, retention_ms: r.windowMs }, `retention schedule ${outcome}`);
  return outcome;
}
