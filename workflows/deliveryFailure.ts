import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';

/** A failed deliverWebhook, as both the event workflow (first attempt) and deliveryWorkflow read it. */
export interface DeliveryFailure {
  /** Non-retryable (a 4xx, a forbidden destination, a gone endpoint): no further attempt helps. */
  permanent: boolean;
  /** The activity classified it (an ApplicationFailure); otherwise e.g. a timeout. */
  classified: boolean;
  message: string;
  /** attempt_count recorded by the activity, when it got that far. */
  attempt?: number;
  /** The receiver's Retry-After, capped (failure details survive conversion; nextRetryDelay does not). */
  retryAfterMs?: number;
}

/**
 * Reads an activity failure; anything else (a bug in the workflow) is rethrown, never swallowed.
 * A task-queue activity's failure arrives as an ActivityFailure wrapping its cause; a local
 * activity's (the event workflow's inline first attempt) arrives as the cause itself.
 */
export function readDeliveryFailure(err: unknown): DeliveryFailure {
  const unwrapped = err instanceof ApplicationFailure || err instanceof TimeoutFailure;
  if (!(err instanceof ActivityFailure) && !unwrapped) throw err;
  const cause = unwrapped ? err : err.cause;
  const message = cause?.message ?? err.message;
  if (!(cause instanceof ApplicationFailure)) return { permanent: false, classified: false, message };
  const detail = cause.details?.[0] as { attempt?: number; retry_after_ms?: number | null } | undefined;
  return { permanent: Boolean(cause.nonRetryable), classified: true, message, attempt: detail?.attempt, retryAfterMs: detail?.retry_after_ms ?? undefined };
}
