import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceError } from '@temporalio/client';
import { retryDelays, type RetrySettings } from '../domain/retrySchedule';

/**
 * gRPC codes a call to Temporal may answer with while the server is starting, overloaded or
 * recovering, and that a later identical call can clear. A Schedule's describe, for one, queries
 * the Schedule's own workflow: after a crash of the dev server that query waits until the
 * workflow's interrupted task has timed out (8.8 s measured here on an idle machine), and on a
 * loaded one it can run past its deadline.
 */
const TRANSIENT_CODES = new Set([
  2, // UNKNOWN
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  10, // ABORTED
  13, // INTERNAL
  14, // UNAVAILABLE
]);

export function isTransientServiceError(err: unknown): boolean {
  if (!(err instanceof ServiceError)) return false;
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' && TRANSIENT_CODES.has(code);
}

export interface TransientRetry {
  /** How many calls in all and the pauses between them (the delivery retry schedule's maths). */
  schedule: RetrySettings;
  onRetry: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Run `call`, and again after the schedule's next pause while it fails with a transient service
 * error. Anything else, or the last attempt's error, is thrown as it came.
 */
export async function retryTransientServiceErrors<T>(call: () => Promise<T>, retry: TransientRetry): Promise<T> {
  const delays = retryDelays(retry.schedule);
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const delayMs = delays[attempt - 1];
      if (delayMs === undefined || !isTransientServiceError(err)) throw err;
      retry.onRetry(err, attempt, delayMs);
      await sleep(delayMs);
    }
  }
}
