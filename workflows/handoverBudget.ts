import type { RetrySettings } from '../src/domain/retrySchedule';
import type { DeliveryContinuation, DeliveryWorkflowInput } from './types';

/**
 * What the child is left of the attempt budget. A wait (circuit, rate limit) cost no attempt; a
 * failed attempt counts against the budget, and the child's backoff starts one step further on,
 * so the attempt times are the same as one retry policy's.
 */
export function continuationBudget(
  retry: RetrySettings,
  first: DeliveryContinuation,
): Pick<DeliveryWorkflowInput, 'attemptBase' | 'retry' | 'continuation'> {
  if (first.kind === 'wait') return { attemptBase: 0, retry, continuation: first };
  return {
    attemptBase: 1,
    retry: {
      ...retry,
      maxAttempts: retry.maxAttempts - 1,
      initialIntervalMs: Math.min(retry.maxIntervalMs, retry.initialIntervalMs * retry.backoffCoefficient),
    },
    continuation: first,
  };
}
