import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceError } from '@temporalio/client';

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
  /** Calls in all, the first included. */
  attempts: number;
  /** Wait before the second call; doubled before each later one. */
  firstDelayMs: number;
  onRetry: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Run `call`, and again after a growing pause while it fails with a transient service error.
 * Anything else, or the last attempt's error, is thrown as it came.
 */
export async function retryTransientServiceErrors<T>(call: () => Promise<T>, retry: TransientRetry): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (attempt >= retry.attempts || !isTransientServiceError(err)) throw err;
      const delayMs = retry.firstDelayMs * 2 ** (attempt - 1);
      retry.onRetry(err, attempt, delayMs);
      await sleep(delayMs);
    }
  }
}
