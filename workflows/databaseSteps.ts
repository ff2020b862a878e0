import { proxyLocalActivities, type LocalActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../activities';

/**
 * The workflows' database steps (resolve, plan, checkpoint, settle, park) are short queries, so
 * they run as local activities: recorded in the workflow's own history without a round trip
 * through a task queue each, which roughly halves the server work per event. Long database
 * outages fall back to timer-based retries (localRetryThreshold). Of the HTTP attempts only the
 * event workflow's first one may run locally (bounded per worker, see attemptInline); retries are
 * regular activities, with every attempt visible in the UI.
 */
export const DATABASE_STEP_OPTIONS: LocalActivityOptions = {
  startToCloseTimeout: '30s',
  localRetryThreshold: '10s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '1m' },
};

export const databaseSteps = proxyLocalActivities<Activities>(DATABASE_STEP_OPTIONS);

/** The same options plus the one-line summary the Temporal UI shows for the step. */
export function summarised(summary: string): LocalActivityOptions {
  return { ...DATABASE_STEP_OPTIONS, summary };
}
