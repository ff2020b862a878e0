/**
 * Delivery retry maths shared by the workflow (retry policy) and docs/tests. Pure and
 * deterministic, so workflow code may import it.
 */
export interface RetrySettings {
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maxIntervalMs: number;
}

/** Delays before attempts 2..N (attempt 1 is immediate). */
export function retryDelays(s: RetrySettings): number[] {
  const delays: number[] = [];
  for (let i = 0; i < s.maxAttempts - 1; i++) {
    delays.push(Math.min(s.initialIntervalMs * Math.pow(s.backoffCoefficient, i), s.maxIntervalMs));
  }
  return delays;
}

/** HTTP statuses worth retrying: server errors, timeouts, conflicts, too-early and rate limits. */
export function isRetryableStatus(status: number): boolean {
  if (status >= 500) return true;
  return status === 408 || status === 409 || status === 425 || status === 429;
}

/** Retry-After as seconds or an HTTP date; returns milliseconds, or undefined when absent/invalid. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form (IMF-fixdate, RFC 850, asctime) starts with a day name; anything else
  // (e.g. "-5", which Date.parse happily reads as a year) is garbage, not "retry now".
  if (!/^[A-Za-z]{3}/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
