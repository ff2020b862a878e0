/**
 * The current workflows with ONE incompatible change: eventWorkflow starts a timer before its
 * first step, the textbook change that needs a patch (docs/versioning.md). The replay test feeds
 * the captured histories to this bundle to prove the gate fails on a changed command sequence.
 * Not registered by any worker.
 */
import { sleep } from '@temporalio/workflow';
import { eventWorkflow as currentEventWorkflow } from '../../workflows/eventWorkflow';
import type { EventWorkflowInput, EventWorkflowResult } from '../../workflows/types';

export { deliveryWorkflow, reconciliationWorkflow, retentionWorkflow } from '../../workflows';

export async function eventWorkflow(input: EventWorkflowInput): Promise<EventWorkflowResult> {
  await sleep('1 second');
  return currentEventWorkflow(input);
}
