import type { CircuitState } from './statuses';

/**
 * Per-endpoint circuit breaker rules, pure so the transitions are unit-tested. The state lives on
 * the endpoint row; the delivery activity applies these decisions under a row lock.
 *
 * closed --N consecutive failures--> open --cool-down elapsed--> half_open (one probe, leased)
 * half_open --probe ok--> closed;  half_open --probe fails--> open (cool-down restarts)
 * failing continuously for `disableAfterMs` --> endpoint disabled (operator must re-enable).
 */
export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  openedAtMs: number | null;
  failingSinceMs: number | null;
}

export interface CircuitSettings {
  failureThreshold: number;
  openMs: number;
  disableAfterMs: number;
  /**
   * How long a half-open probe may hold the gate. A worker that dies mid-probe never reports
   * back; after this lease another delivery may probe instead of everyone waiting forever.
   */
  probeLeaseMs: number;
}

export type GateDecision = { allow: true; probe: boolean } | { allow: false; waitMs: number };

export function circuitGate(c: CircuitSnapshot, nowMs: number, s: CircuitSettings): GateDecision {
  if (c.state === 'closed') return { allow: true, probe: false };
  const reopenAt = (c.openedAtMs ?? nowMs) + s.openMs;
  if (c.state === 'open') {
    if (nowMs >= reopenAt) return { allow: true, probe: true };
    return { allow: false, waitMs: reopenAt - nowMs };
  }
  // half_open: a probe is in flight (openedAtMs is when it was claimed). Everyone else waits a
  // fraction of the cool-down, unless the probe's lease ran out.
  const leaseEnds = (c.openedAtMs ?? nowMs) + s.probeLeaseMs;
  if (nowMs >= leaseEnds) return { allow: true, probe: true };
  return { allow: false, waitMs: Math.min(leaseEnds - nowMs, Math.max(1_000, Math.round(s.openMs / 4))) };
}

export interface FailureOutcome {
  next: CircuitSnapshot;
  opened: boolean;
  disable: boolean;
}

export function afterFailure(c: CircuitSnapshot, nowMs: number, s: CircuitSettings, wasProbe: boolean): FailureOutcome {
  const failures = c.consecutiveFailures + 1;
  const failingSinceMs = c.failingSinceMs ?? nowMs;
  const shouldOpen = wasProbe || c.state !== 'closed' || failures >= s.failureThreshold;
  const next: CircuitSnapshot = {
    state: shouldOpen ? 'open' : 'closed',
    consecutiveFailures: failures,
    openedAtMs: shouldOpen ? nowMs : c.openedAtMs,
    failingSinceMs,
  };
  return { next, opened: shouldOpen && c.state !== 'open', disable: nowMs - failingSinceMs >= s.disableAfterMs };
}

export function afterSuccess(): CircuitSnapshot {
  return { state: 'closed', consecutiveFailures: 0, openedAtMs: null, failingSinceMs: null };
}
