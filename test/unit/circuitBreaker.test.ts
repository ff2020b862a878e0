import {
  afterFailure,
  afterSuccess,
  circuitGate,
  closedCircuit,
  type CircuitSettings,
  type CircuitSnapshot,
  type OpenReason,
} from '../../src/domain/circuitBreaker';

/** The defaults of src/config.ts (CIRCUIT_*, ENDPOINT_DISABLE_AFTER, DELIVERY_TIMEOUT + 10 s). */
const defaults: CircuitSettings = {
  failureRate: 0.9,
  minAttempts: 10,
  windowMs: 60_000,
  failureThreshold: 0,
  openMs: 60_000,
  halfOpenProbes: 3,
  disableAfterMs: 5 * 86_400_000,
  probeLeaseMs: 20_000,
};
/** The default retry schedule's gaps between attempts (5 s, then x6, ...). */
const schedule = [5_000, 30_000, 180_000, 1_080_000, 6_480_000, 36_000_000, 36_000_000];
const T = 1_700_000_000_000;

/**
 * Plays messages through the breaker as the delivery activity and workflow do: an attempt passes
 * the gate when the circuit is not closed, a closed gate is a durable wait (no attempt spent, the
 * message comes back when told), a sent attempt's outcome is the receiver's answer, and a failed
 * attempt's message comes back after the next backoff gap.
 */
function play(
  s: CircuitSettings,
  messages: { at: number; answers: (attempt: number, at: number) => boolean }[],
  untilMs = 3_600_000,
) {
  let c: CircuitSnapshot = closedCircuit;
  const queue = messages.map((m, i) => ({ i, due: T + m.at, sent: 0, answers: m.answers }));
  const log = { sent: [] as { at: number; ok: boolean; probe: boolean }[], waits: [] as number[], opened: [] as { at: number; reason: OpenReason }[], deliveredAt: new Map<number, number>() };
  while (queue.length > 0) {
    queue.sort((a, b) => a.due - b.due || a.i - b.i);
    const m = queue.shift()!;
    if (m.due - T > untilMs) break;
    const now = m.due;
    const gate = circuitGate(c, now, s);
    if (gate.next) c = gate.next;
    if (!gate.decision.allow) {
      log.waits.push(now - T);
      queue.push({ ...m, due: now + gate.decision.waitMs });
      continue;
    }
    const probe = gate.decision.probe;
    m.sent++;
    const ok = m.answers(m.sent, now - T);
    log.sent.push({ at: now - T, ok, probe });
    if (ok) {
      c = afterSuccess(c, now, probe);
      log.deliveredAt.set(m.i, now - T);
      continue;
    }
    const out = afterFailure(c, now, s);
    c = out.next;
    if (out.opened) log.opened.push({ at: now - T, reason: out.opened });
    if (m.sent <= schedule.length) queue.push({ ...m, due: now + schedule[m.sent - 1]! });
  }
  return { ...log, circuit: c };
}

const burst = (n: number, answers: (attempt: number, at: number) => boolean, spacingMs = 10) =>
  Array.from({ length: n }, (_, i) => ({ at: i * spacingMs, answers }));
const failsFirstTwo = (attempt: number) => attempt >= 3;
const dead = () => false;

describe('circuit breaker: flapping endpoints', () => {
  it.each([
    ['20 messages at once (the bench phase)', burst(20, failsFirstTwo)],
    ['200 messages at once', burst(200, failsFirstTwo)],
    ['one message a second for 5 minutes', burst(300, failsFirstTwo, 1_000)],
    ['twenty a second for 2 minutes', burst(2_400, failsFirstTwo, 50)],
  ])('an endpoint taking each message on its third try never opens: %s', (_name, messages) => {
    const r = play(defaults, messages);
    expect(r.opened).toEqual([]);
    expect(r.waits).toEqual([]);
    // Every message delivered at its third attempt, on the retry schedule alone (5 s + 30 s).
    expect(r.deliveredAt.size).toBe(messages.length);
    messages.forEach((m, i) => expect(r.deliveredAt.get(i)).toBe(m.at + 35_000));
  });

  it('the old rule (open on 5 straight failures, one probe) made the same 20 messages wait minutes', () => {
    const old: CircuitSettings = { ...defaults, failureThreshold: 5, halfOpenProbes: 1 };
    const r = play(old, burst(20, failsFirstTwo));
    const latest = Math.max(...r.deliveredAt.values());
    expect(r.opened.length).toBeGreaterThan(1);
    expect(latest).toBeGreaterThan(1.5 * 35_000);
  });

  it('a half-open circuit closes on the first delivered probe even when other probes failed', () => {
    const s = { ...defaults, failureThreshold: 5 };
    // Down until the circuit opens; then its first two probes fail and the third is delivered.
    let failedProbes = 0;
    const answers = (_attempt: number, at: number) => at >= defaults.openMs && failedProbes++ >= 2;
    const r = play(s, burst(8, answers), 120_000);
    expect(r.opened).toEqual([{ at: 40, reason: 'consecutive_failures' }]);
    expect(r.sent.filter((x) => x.probe).map((p) => p.ok)).toEqual([false, false, true]);
    expect(r.circuit.state).toBe('closed');
  });
});

describe('circuit breaker: a dead endpoint is still protected', () => {
  it('few messages: opens on the failure rate once the window has run, then only probes reach it', () => {
    const r = play(defaults, burst(20, dead));
    // Attempts at 0 s, 5 s, 35 s fit in the window; the first failure after it (the 4th attempts,
    // at 215 s) finds 100 % failures over 61 attempts and opens.
    expect(r.opened[0]).toEqual({ at: 215_000, reason: 'failure_rate' });
    const afterOpen = r.sent.filter((x) => x.at > 215_000);
    // Per cool-down, at most the half-open probes (plus attempts already under way: none here).
    const periods = Math.ceil((3_600_000 - 215_000) / defaults.openMs);
    expect(afterOpen.length).toBeLessThanOrEqual(periods * defaults.halfOpenProbes);
    expect(afterOpen.every((x) => x.probe)).toBe(true);
    // The others waited at the gate instead (durable timers that spend no attempt).
    expect(r.waits.length).toBeGreaterThan(0);
    expect(r.circuit.state).not.toBe('closed');
  });

  it('many messages at once, with CIRCUIT_FAILURE_THRESHOLD set: opens on that many straight failures, without waiting out the window', () => {
    const r = play({ ...defaults, failureThreshold: 100 }, burst(500, dead, 1), 10_000);
    expect(r.opened[0]).toEqual({ at: 99, reason: 'consecutive_failures' });
    expect(r.sent.length).toBe(100);
  });

  it('below the minimum volume a window never opens the circuit', () => {
    const r = play(defaults, burst(2, dead, 1), 3_600_000);
    expect(r.opened).toEqual([]);
  });

  it('recovers: the first probe after the endpoint comes back closes the circuit and every waiting message goes', () => {
    const backAt = 400_000;
    const r = play(defaults, burst(20, (_a, at) => at >= backAt));
    expect(r.opened.length).toBeGreaterThanOrEqual(1);
    const firstOk = r.sent.find((x) => x.ok)!;
    expect(firstOk.probe).toBe(true);
    expect(r.circuit.state).toBe('closed');
    expect(r.deliveredAt.size).toBe(20);
    // Once a probe closed it, nobody waits at the gate any more (each message goes on its own timer).
    expect(r.waits.filter((at) => at > firstOk.at)).toEqual([]);
  });
});

describe('circuit breaker: gate and transitions', () => {
  const open: CircuitSnapshot = { ...closedCircuit, state: 'open', consecutiveFailures: 12, openedAtMs: T, failingSinceMs: T - 60_000 };

  it('lets everything through while closed', () => {
    expect(circuitGate(closedCircuit, T, defaults)).toEqual({ decision: { allow: true, probe: false }, next: null });
  });

  it('open: callers wait out the rest of the cool-down, then the first becomes a probe of a fresh half-open period', () => {
    expect(circuitGate(open, T + 15_000, defaults)).toEqual({ decision: { allow: false, waitMs: 45_000 }, next: null });
    expect(circuitGate(open, T + 60_000, defaults)).toEqual({
      decision: { allow: true, probe: true },
      next: { ...open, state: 'half_open', openedAtMs: T + 60_000, probes: 1 },
    });
  });

  it('half-open: up to halfOpenProbes go, others wait while the last claim holds its lease; an expired lease allows another', () => {
    let c: CircuitSnapshot = { ...open, state: 'half_open', probes: 0 };
    for (let i = 1; i <= defaults.halfOpenProbes; i++) {
      const g = circuitGate(c, T + i, defaults);
      expect(g.decision).toEqual({ allow: true, probe: true });
      c = g.next!;
    }
    const waiting = circuitGate(c, T + 1_000, defaults);
    expect(waiting.decision.allow).toBe(false);
    expect(waiting.next).toBeNull();
    expect(circuitGate(c, T + 3 + defaults.probeLeaseMs, defaults).decision).toEqual({ allow: true, probe: true });
  });

  it('half-open: re-opens only when halfOpenProbes attempts failed, restarting the cool-down', () => {
    let c: CircuitSnapshot = { ...open, state: 'half_open', probes: 3 };
    for (let i = 1; i < defaults.halfOpenProbes; i++) {
      const out = afterFailure(c, T + i, defaults);
      expect(out.opened).toBeNull();
      expect(out.next.state).toBe('half_open');
      c = out.next;
    }
    const out = afterFailure(c, T + 5_000, defaults);
    expect(out.opened).toBe('probes_failed');
    expect(out.next).toMatchObject({ state: 'open', openedAtMs: T + 5_000, probes: 0, windowEndsAtMs: null });
  });

  it('a failure while open (an attempt already under way) keeps the cool-down where it was', () => {
    const out = afterFailure(open, T + 30_000, defaults);
    expect(out.opened).toBeNull();
    expect(out.next).toMatchObject({ state: 'open', openedAtMs: T, consecutiveFailures: 13 });
  });

  it('closed: a success inside a window is counted; one after the window ends it; any success off closed closes', () => {
    const windowed: CircuitSnapshot = { ...closedCircuit, consecutiveFailures: 2, failingSinceMs: T, windowEndsAtMs: T + 60_000, windowAttempts: 2, windowFailures: 2 };
    expect(afterSuccess(windowed, T + 1_000)).toEqual({ ...windowed, consecutiveFailures: 0, failingSinceMs: null, windowAttempts: 3 });
    expect(afterSuccess(windowed, T + 60_000)).toEqual(closedCircuit);
    expect(afterSuccess({ ...open, state: 'half_open' }, T)).toEqual(closedCircuit);
    expect(afterSuccess(closedCircuit, T)).toEqual(closedCircuit);
  });

  it('a full window below the failure rate does not open; the failure starts the next window', () => {
    const windowed: CircuitSnapshot = { ...closedCircuit, consecutiveFailures: 0, windowEndsAtMs: T, windowAttempts: 19, windowFailures: 15 };
    const out = afterFailure(windowed, T + 1, defaults);
    expect(out.opened).toBeNull();
    expect(out.next).toMatchObject({ state: 'closed', windowEndsAtMs: T + 1 + defaults.windowMs, windowAttempts: 1, windowFailures: 1 });
  });

  it('an endpoint failing continuously for disableAfterMs is disabled', () => {
    const failing: CircuitSnapshot = { ...open, failingSinceMs: T - defaults.disableAfterMs + 1 };
    expect(afterFailure(failing, T, defaults).disable).toBe(false);
    expect(afterFailure(failing, T + 1, defaults).disable).toBe(true);
  });
});
