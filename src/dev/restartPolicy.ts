/**
 * When the launcher restarts a child that died: quickly the first time (a one-off crash or a
 * `kill -9` should cost seconds, not minutes), exponentially slower while it keeps dying, capped so
 * a child whose cause went away (a port freed, a disk cleaned) comes back within the cap, and from
 * the start again once it had stayed up for a healthy period.
 */
export interface RestartPolicy {
  initialDelayMs: number;
  factor: number;
  maxDelayMs: number;
  /** A child that ran at least this long before dying counts as healthy: its next delay is the initial one. */
  healthyAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 500,
  factor: 2,
  maxDelayMs: 30_000,
  healthyAfterMs: 60_000,
};

/** `failures` counts the consecutive unhealthy deaths, this one included (1 = first). */
export function restartDelayMs(failures: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): number {
  const exponent = Math.max(0, failures - 1);
  return Math.min(policy.maxDelayMs, Math.round(policy.initialDelayMs * policy.factor ** exponent));
}

/** The failure count after a death: back to 1 when the child had been healthy, else one more. */
export function nextFailureCount(previousFailures: number, upMs: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): number {
  return upMs >= policy.healthyAfterMs ? 1 : previousFailures + 1;
}
