/**
 * "Version B" of the workflows for the rolling-deploy test (test/e2e/rollingDeploy.test.ts): the
 * current workflows with one change to eventWorkflow's command sequence, a timer before its first
 * step, shipped the way docs/versioning.md prescribes: behind `patched()`. The same change without
 * the patch is test/histories/workflowsWithExtraTimer.ts, which the replay gate proves breaks
 * running event workflows. Test-only: no production worker registers this bundle.
 */
import { patched, sleep } from '@temporalio/workflow';
import { eventWorkflow as currentEventWorkflow } from '../../workflows/eventWorkflow';
import type { EventWorkflowInput, EventWorkflowResult } from '../../workflows/types';

export { deliveryWorkflow, reconciliationWorkflow, retentionWorkflow } from '../../workflows';

export const ROLLING_PATCH_ID = 'rolling-deploy-test-timer';

export async function eventWorkflow(input: EventWorkflowInput): Promise<EventWorkflowResult> {
  if (patched('rolling-deploy-test-timer')) await sleep('10 milliseconds');
  return currentEventWorkflow(input);
}
