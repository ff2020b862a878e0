import type { CircuitSnapshot } from '../domain/circuitBreaker';

/**
 * An endpoint's circuit breaker state as its row stores it (src/db/migrations/0008_circuit_window.ts)
 * and as the pure rules see it (src/domain/circuitBreaker.ts), and the mapping between the two.
 */
export const circuitColumns = [
  'circuit_state',
  'consecutive_failures',
  'circuit_opened_at',
  'failing_since',
  'circuit_window_ends_at',
  'circuit_window_attempts',
  'circuit_window_failures',
  'circuit_probes',
] as const;

export interface CircuitRow {
  circuit_state: CircuitSnapshot['state'];
  consecutive_failures: number;
  circuit_opened_at: Date | null;
  failing_since: Date | null;
  circuit_window_ends_at: Date | null;
  circuit_window_attempts: number;
  circuit_window_failures: number;
  circuit_probes: number;
}

export function circuitSnapshot(e: CircuitRow): CircuitSnapshot {
  return {
    state: e.circuit_state,
    consecutiveFailures: e.consecutive_failures,
    openedAtMs: e.circuit_opened_at?.getTime() ?? null,
    failingSinceMs: e.failing_since?.getTime() ?? null,
    windowEndsAtMs: e.circuit_window_ends_at?.getTime() ?? null,
    windowAttempts: e.circuit_window_attempts,
    windowFailures: e.circuit_window_failures,
    probes: e.circuit_probes,
  };
}

export function circuitRow(c: CircuitSnapshot): CircuitRow {
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  return {
    circuit_state: c.state,
    consecutive_failures: c.consecutiveFailures,
    circuit_opened_at: date(c.openedAtMs),
    failing_since: date(c.failingSinceMs),
    circuit_window_ends_at: date(c.windowEndsAtMs),
    circuit_window_attempts: c.windowAttempts,
    circuit_window_failures: c.windowFailures,
    circuit_probes: c.probes,
  };
}
