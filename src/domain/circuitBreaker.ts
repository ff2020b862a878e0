import type { CircuitState } from './statuses';

/**
 * Per-endpoint circuit breaker rules, pure so the transitions are unit-tested. The state lives on
 * the endpoint row; the delivery activity applies these decisions under a row lock.
 *
 * closed --failure rate over a full window (with a minimum volume), or (if set) a run of
 *          consecutive failures--> open --cool-down elapsed--> half_open (a few leased probes)
 * half_open --any success--> closed;  half_open --`halfOpenProbes` failures--> open (cool-down restarts)
 * failing continuously for `disableAfterMs` --> endpoint disabled (operator must re-enable).
 *
 * Why a rate over a FULL window rather than N consecutive failures: a burst of first attempts
 * that fail together is what a dead endpoint and a flapping one (fails a message's first tries,
 * takes a later one) both look like for the first seconds. Only the retries that follow within
 * the window tell them apart, so the rate is judged once the window has run its length. Successes
 * are counted only while a window is open (it opens at a failure), so a healthy endpoint's
 * deliveries never write the endpoint row.
 */
export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  /** open: when it opened; half_open: when the last probe was claimed (the probe lease runs from it). */
  openedAtMs: number | null;
  failingSinceMs: number | null;
  /**
   * The observation window: when it ends (it opened at a failure, `windowMs` before), attempts and
   * failures seen since. The end, not the start, is stored so the success path's SQL needs no setting.
   */
  windowEndsAtMs: number | null;
  windowAttempts: number;
  windowFailures: number;
  /** half_open: probes claimed in this half-open period. */
  probes: number;
}

export interface CircuitSettings {
  /** Consecutive failures (no success between) that open the circuit at once, window or not; 0: off. */
  failureThreshold: number;
  /** Failure rate (0..1) over a full window that opens the circuit. */
  failureRate: number;
  /** Attempts a window must hold before its rate can open the circuit. */
  minAttempts: number;
  windowMs: number;
  openMs: number;
  /** Probes a half-open period lets through; the circuit re-opens only when this many failed. */
  halfOpenProbes: number;
  disableAfterMs: number;
  /**
   * How long a half-open probe may hold its slot. A worker that dies mid-probe never reports
   * back; after this lease another delivery may probe instead of everyone waiting forever.
   */
  probeLeaseMs: number;
}

export type GateDecision = { allow: true; probe: boolean } | { allow: false; waitMs: number };

/** The gate's decision and the state to store when it changed (a probe was claimed). */
export interface GateOutcome {
  decision: GateDecision;
  next: CircuitSnapshot | null;
}

export type OpenReason = 'failure_rate' | 'consecutive_failures' | 'probes_failed';

export interface FailureOutcome {
  next: CircuitSnapshot;
  opened: OpenReason | null;
  disable: boolean;
}

const noWindow = { windowEndsAtMs: null, windowAttempts: 0, windowFailures: 0 } as const;

export const closedCircuit: CircuitSnapshot = {
  state: 'closed',
  consecutiveFailures: 0,
  openedAtMs: null,
  failingSinceMs: null,
  ...noWindow,
  probes: 0,
};

export function circuitGate(c: CircuitSnapshot, nowMs: number, s: CircuitSettings): GateOutcome {
  if (c.state === 'closed') return { decision: { allow: true, probe: false }, next: null };
  if (c.state === 'open') {
    const reopenAt = (c.openedAtMs ?? nowMs) + s.openMs;
    if (nowMs < reopenAt) return { decision: { allow: false, waitMs: reopenAt - nowMs }, next: null };
    // The cool-down is over: this attempt is the first probe of a fresh half-open period.
    return claimProbe({ ...c, state: 'half_open', ...noWindow, probes: 0 }, nowMs);
  }
  // half_open: probes left in this period go; once all are out, a new one goes only when the last
  // claim's lease ran out (its worker may be gone). Everyone else waits a fraction of the cool-down.
  if (c.probes < s.halfOpenProbes) return claimProbe(c, nowMs);
  const leaseEnds = (c.openedAtMs ?? nowMs) + s.probeLeaseMs;
  if (nowMs >= leaseEnds) return claimProbe(c, nowMs);
  return { decision: { allow: false, waitMs: Math.min(leaseEnds - nowMs, Math.max(1_000, Math.round(s.openMs / 4))) }, next: null };
}

function claimProbe(c: CircuitSnapshot, nowMs: number): GateOutcome {
  return { decision: { allow: true, probe: true }, next: { ...c, openedAtMs: nowMs, probes: c.probes + 1 } };
}

export function afterFailure(c: CircuitSnapshot, nowMs: number, s: CircuitSettings): FailureOutcome {
  const counted: CircuitSnapshot = {
    ...c,
    consecutiveFailures: c.consecutiveFailures + 1,
    failingSinceMs: c.failingSinceMs ?? nowMs,
  };
  const disable = nowMs - counted.failingSinceMs! >= s.disableAfterMs;
  const { next, opened } =
    c.state === 'open' ? { next: counted, opened: null } // an attempt that was already under way when it opened
    : c.state === 'half_open' ? afterHalfOpenFailure(counted, nowMs, s)
    : afterClosedFailure(counted, nowMs, s);
  return { next, opened, disable };
}

function open(c: CircuitSnapshot, nowMs: number): CircuitSnapshot {
  return { ...c, state: 'open', openedAtMs: nowMs, ...noWindow, probes: 0 };
}

/** half_open: the period's failures are counted; it re-opens once `halfOpenProbes` of them failed. */
function afterHalfOpenFailure(c: CircuitSnapshot, nowMs: number, s: CircuitSettings): Omit<FailureOutcome, 'disable'> {
  const failed = c.windowFailures + 1;
  if (failed >= s.halfOpenProbes) return { next: open(c, nowMs), opened: 'probes_failed' };
  return { next: { ...c, windowAttempts: c.windowAttempts + 1, windowFailures: failed }, opened: null };
}

/** closed: count the failure in the window; judge the window's rate once it has run its length. */
function afterClosedFailure(c: CircuitSnapshot, nowMs: number, s: CircuitSettings): Omit<FailureOutcome, 'disable'> {
  if (s.failureThreshold > 0 && c.consecutiveFailures >= s.failureThreshold) return { next: open(c, nowMs), opened: 'consecutive_failures' };
  if (c.windowEndsAtMs === null) return { next: { ...c, windowEndsAtMs: nowMs + s.windowMs, windowAttempts: 1, windowFailures: 1 }, opened: null };
  const attempts = c.windowAttempts + 1;
  const failures = c.windowFailures + 1;
  if (nowMs < c.windowEndsAtMs) return { next: { ...c, windowAttempts: attempts, windowFailures: failures }, opened: null };
  if (attempts >= s.minAttempts && failures / attempts >= s.failureRate) return { next: open(c, nowMs), opened: 'failure_rate' };
  // A full window that did not trip: this failure opens the next one.
  return { next: { ...c, windowEndsAtMs: nowMs + s.windowMs, windowAttempts: 1, windowFailures: 1 }, opened: null };
}

/**
 * Any success closes the circuit and ends the failure streak. While closed, a success inside an
 * open window is counted; one after the window's length ends the window (the endpoint works).
 * src/db/circuitOnSuccess.ts is this rule as SQL, run inside the attempt's own statement.
 */
export function afterSuccess(c: CircuitSnapshot, nowMs: number, wasProbe = false): CircuitSnapshot {
  if (wasProbe || c.state !== 'closed') return closedCircuit;
  const healthy = { ...c, consecutiveFailures: 0, failingSinceMs: null };
  if (c.windowEndsAtMs === null || nowMs >= c.windowEndsAtMs) return { ...healthy, ...noWindow };
  return { ...healthy, windowAttempts: c.windowAttempts + 1 };
}
