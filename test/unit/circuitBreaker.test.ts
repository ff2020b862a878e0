import { afterFailure, afterSuccess, circuitGate, type CircuitSnapshot } from '../../src/domain/circuitBreaker';

const settings = { failureThreshold: 3, openMs: 60_000, disableAfterMs: 86_400_000, probeLeaseMs: 20_000 };
const closed: CircuitSnapshot = { state: 'closed', consecutiveFailures: 0, openedAtMs: null, failingSinceMs: null };
const T = 1_700_000_000_000;

describe('circuit breaker', () => {
  it('stays closed below the threshold and opens on the Nth consecutive failure', () => {
    let c = closed;
    for (let i = 1; i < settings.failureThreshold; i++) {
      const out = afterFailure(c, T + i, settings, false);
      expect(out).toMatchObject({ opened: false, disable: false, next: { state: 'closed', consecutiveFailures: i } });
      c = out.next;
    }
    const out = afterFailure(c, T + 10, settings, false);
    expect(out.opened).toBe(true);
    expect(out.next).toEqual({ state: 'open', consecutiveFailures: 3, openedAtMs: T + 10, failingSinceMs: T + 1 });
  });

  it('lets everything through while closed', () => {
    expect(circuitGate(closed, T, settings)).toEqual({ allow: true, probe: false });
  });

  it('open: callers wait out the rest of the cool-down, then exactly one becomes the probe', () => {
    const open: CircuitSnapshot = { state: 'open', consecutiveFailures: 3, openedAtMs: T, failingSinceMs: T };
    expect(circuitGate(open, T + 15_000, settings)).toEqual({ allow: false, waitMs: 45_000 });
    expect(circuitGate(open, T + 60_000, settings)).toEqual({ allow: true, probe: true });
  });

  it('half-open: others wait while the probe holds its lease; an expired lease allows a new probe', () => {
    const halfOpen: CircuitSnapshot = { state: 'half_open', consecutiveFailures: 3, openedAtMs: T, failingSinceMs: T - 60_000 };
    const waiting = circuitGate(halfOpen, T + 1_000, settings);
    expect(waiting.allow).toBe(false);
    if (!waiting.allow) expect(waiting.waitMs).toBeLessThanOrEqual(settings.probeLeaseMs - 1_000);
    expect(circuitGate(halfOpen, T + settings.probeLeaseMs, settings)).toEqual({ allow: true, probe: true });
  });

  it('a failed probe re-opens the circuit and restarts the cool-down', () => {
    const halfOpen: CircuitSnapshot = { state: 'half_open', consecutiveFailures: 3, openedAtMs: T, failingSinceMs: T - 60_000 };
    const out = afterFailure(halfOpen, T + 5_000, settings, true);
    expect(out.next).toMatchObject({ state: 'open', openedAtMs: T + 5_000, consecutiveFailures: 4 });
    expect(out.opened).toBe(true);
  });

  it('a success closes the circuit and forgets the streak', () => {
    expect(afterSuccess()).toEqual(closed);
  });

  it('an endpoint failing continuously for disableAfterMs is disabled', () => {
    const failing: CircuitSnapshot = { state: 'open', consecutiveFailures: 40, openedAtMs: T, failingSinceMs: T - settings.disableAfterMs + 1 };
    expect(afterFailure(failing, T, settings, true).disable).toBe(false);
    expect(afterFailure(failing, T + 1, settings, true).disable).toBe(true);
  });
});
