import { proxyActivities } from '@temporalio/workflow';
import type { createBaselineActivities } from './baselineActivities';

/** End-to-end baseline: a bare workflow with one activity doing the same signed POST. */
const { postSigned } = proxyActivities<ReturnType<typeof createBaselineActivities>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumAttempts: 5 },
});

export async function baselineDeliveryWorkflow(input: { id: string; url: string; receivedAt: string }): Promise<void> {
  await postSigned(input);
}
