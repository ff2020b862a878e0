import { ApplicationFailure, continueAsNew, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  addToTally,
  advance,
  isDone,
  PURGE_TARGETS,
  retentionCutoffs,
  type PurgePosition,
  type PurgeTally,
  type RetentionCutoffs,
} from '../src/domain/retentionPlan';

export interface RetentionWorkflowInput {
  /** Rows older than this are purged (RETENTION). */
  retentionMs: number;
  /** Rows per activity call. */
  batchSize: number;
  /** Batches per workflow run before continue-as-new. */
  batchesPerRun: number;
  /** Carried across continue-as-new; never set by callers. */
  progress?: RetentionProgress;
}

export interface RetentionProgress {
  cutoffs: RetentionCutoffs;
  position: PurgePosition;
  deleted: PurgeTally;
  batches: number;
  continuedAsNew: number;
}

export interface RetentionWorkflowResult {
  cutoffs: RetentionCutoffs;
  /** Rows deleted per table (tables with none are absent). */
  deleted: PurgeTally;
  batches: number;
  continuedAsNew: number;
}

const { purgeBatch } = proxyActivities<Activities>({
  // One bounded DELETE: seconds at most, even on a large table.
  startToCloseTimeout: '5m',
  retry: { initialInterval: '2s', maximumInterval: '1m' },
});

/**
 * Deletes what is past the retention window, table by table (PURGE_TARGETS order), one bounded
 * batch per activity. The cutoffs are fixed when the purge begins and carried across
 * continue-as-new, which happens every `batchesPerRun` batches (or when the server suggests it),
 * so a backlog of any size is purged with small histories.
 */
export async function retentionWorkflow(input: RetentionWorkflowInput): Promise<RetentionWorkflowResult> {
  const progress: RetentionProgress = input.progress ?? {
    cutoffs: cutoffsFromNow(input.retentionMs),
    position: { target: 0 },
    deleted: {},
    batches: 0,
    continuedAsNew: 0,
  };
  let { position, deleted, batches } = progress;
  let batchesThisRun = 0;

  while (!isDone(position)) {
    if (batchesThisRun >= input.batchesPerRun || workflowInfo().continueAsNewSuggested) {
      log.info('retention continuing as new', { batches, target: PURGE_TARGETS[position.target] });
      await continueAsNew<typeof retentionWorkflow>({
        ...input,
        progress: { ...progress, position, deleted, batches, continuedAsNew: progress.continuedAsNew + 1 },
      });
    }
    const target = PURGE_TARGETS[position.target]!;
    const batch = await purgeBatch({ target, cutoffs: progress.cutoffs, limit: input.batchSize });
    deleted = addToTally(deleted, target, batch.deleted);
    position = advance(position, batch.deleted, input.batchSize);
    batches++;
    batchesThisRun++;
  }

  log.info('retention purge finished', { before: progress.cutoffs.before, batches, deleted });
  return { cutoffs: progress.cutoffs, deleted, batches, continuedAsNew: progress.continuedAsNew };
}

function cutoffsFromNow(retentionMs: number): RetentionCutoffs {
  try {
    // Date.now() is the workflow's deterministic clock (the workflow task's start time).
    return retentionCutoffs(Date.now(), retentionMs);
  } catch (err) {
    // A bad window must fail this run visibly, not retry a workflow task forever.
    throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidRetentionWindow');
  }
}
