import type { Client } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common/lib/time';

/**
 * When a delivery that is still retrying makes its next attempt: Temporal's own schedule of the
 * pending delivery activity (the retry policy's backoff, or a Retry-After the endpoint sent), so
 * the console shows the time the server will actually act, not an estimate. Undefined when the
 * workflow has no retry pending (attempt in flight, done) or Temporal cannot be asked.
 */
// Only nextAttemptScheduleTime: while an attempt is in flight there is no next one scheduled yet.
export async function nextAttemptAt(temporal: Client, workflowId: string): Promise<Date | undefined> {
  try {
    const description = await temporal.workflow.getHandle(workflowId).describe();
    const times = (description.raw.pendingActivities ?? [])
      .map((a) => optionalTsToMs(a.nextAttemptScheduleTime))
      .filter((ms): ms is number => ms !== undefined && ms > 0);
    return times.length ? new Date(Math.min(...times)) : undefined;
  } catch {
    // A read model must not fail because Temporal is away: the rest of the view still answers.
    return undefined;
  }
}
