import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { ActivityFailure, continueAsNew, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { PageCursor } from '../activities/reconciliationPage';
import { mergeTally, sumTally, type Tally } from '../src/domain/reconciliationTally';
import { scheduledWindow, type ReconciliationWindow } from '../src/domain/reconciliationWindow';

/** Set by the server on every workflow a Schedule starts: the action's nominal time. */
const TemporalScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

export interface ReconciliationWorkflowInput {
  /** Explicit window (API, CLI). Absent: the day before the schedule's nominal start, minus `lagMs`. */
  window?: ReconciliationWindow;
  partnerId?: string | null;
  /** Only for a derived window. */
  lagMs?: number;
  /** Row the API already created; scheduled runs create theirs. */
  runId?: string;
  pageSize: number;
  pagesPerRun: number;
  /** Carried across continue-as-new; never set by callers. */
  progress?: ReconciliationProgress;
}

export interface ReconciliationProgress {
  runId: string;
  window: ReconciliationWindow;
  cursor: PageCursor | null;
  tally: Tally;
  continuedAsNew: number;
}

export interface ReconciliationWorkflowResult {
  runId: string;
  window: ReconciliationWindow;
  terminalCalls: number;
  processed: number;
  missing: number;
  inFlight: number;
  replayed: number;
  failed: number;
  continuedAsNew: number;
  incidentIds: string[];
}

const { beginRun, finishRun } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '1m' },
});
const { reconcilePage } = proxyActivities<Activities>({
  // A page replays up to pageSize calls; it heartbeats after each one.
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '2s', maximumInterval: '1m' },
});
const { sendIncidentWebhook } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 6 },
});

/**
 * Compares the partner call log (voice_sessions) with processed terminal events for a window,
 * replays what is missing and raises incidents. The work is in page-sized activities (a handful
 * of history events per page); after `pagesPerRun` pages, or when the server suggests it, the
 * workflow continues as new with its cursor and running tally, so no window is too large for one
 * history.
 */
export async function reconciliationWorkflow(input: ReconciliationWorkflowInput): Promise<ReconciliationWorkflowResult> {
  const progress = input.progress ?? (await begin(input));
  let { cursor, tally } = progress;
  let pages = 0;

  for (;;) {
    const page = await reconcilePage({
      runId: progress.runId,
      window: progress.window,
      partnerId: input.partnerId ?? null,
      after: cursor,
      limit: input.pageSize,
    });
    tally = mergeTally(tally, page.tally);
    cursor = page.next;
    pages++;
    if (page.count < input.pageSize) break;
    if (pages >= input.pagesPerRun || workflowInfo().continueAsNewSuggested) {
      log.info('reconciliation continuing as new', { runId: progress.runId, pages, calls: sumTally(tally).terminal });
      await continueAsNew<typeof reconciliationWorkflow>({
        ...input,
        progress: { ...progress, cursor, tally, continuedAsNew: progress.continuedAsNew + 1 },
      });
    }
  }

  const { incidentIds } = await finishRun({ runId: progress.runId, tally, continuedAsNew: progress.continuedAsNew });
  for (const id of incidentIds) {
    try {
      await sendIncidentWebhook(id);
    } catch (err) {
      // The incident is recorded and listed either way; an unreachable ops endpoint must not
      // fail the run (it would be retried and replay nothing new, but stay red for no reason).
      if (!(err instanceof ActivityFailure)) throw err;
      log.warn('incident webhook not delivered', { incidentId: id, error: err.cause?.message ?? err.message });
    }
  }
  const total = sumTally(tally);
  return {
    runId: progress.runId,
    window: progress.window,
    terminalCalls: total.terminal,
    processed: total.processed,
    missing: total.missing,
    inFlight: total.inFlight,
    replayed: total.replayed,
    failed: total.failed,
    continuedAsNew: progress.continuedAsNew,
    incidentIds,
  };
}

async function begin(input: ReconciliationWorkflowInput): Promise<ReconciliationProgress> {
  const window = input.window ?? derivedWindow(input.lagMs ?? 0);
  const runId = await beginRun({ runId: input.runId, workflowId: workflowInfo().workflowId, window, partnerId: input.partnerId ?? null });
  return { runId, window, cursor: null, tally: {}, continuedAsNew: 0 };
}

/** A Schedule's arguments are fixed, so a scheduled run derives "yesterday" from its nominal time. */
function derivedWindow(lagMs: number): ReconciliationWindow {
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(TemporalScheduledStartTime);
  if (!scheduled) log.warn('no TemporalScheduledStartTime (not started by a Schedule?): using the run start time');
  return scheduledWindow(scheduled ?? info.runStartTime, lagMs);
}
