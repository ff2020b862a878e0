import fc from 'fast-check';
import { JITTER_RATIO, jitteredDelayMs, nextRetryDelayMs } from '../../../src/domain/retryJitter';

describe('retry jitter', () => {
  it('is bounded by ±20 % and deterministic per (delivery, attempt)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 * 86_400_000 }), fc.string(), fc.integer({ min: 1, max: 100 }), (base, seed, attempt) => {
        const d = jitteredDelayMs(base, seed, attempt);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * (1 - JITTER_RATIO)));
        expect(d).toBeLessThanOrEqual(Math.ceil(base * (1 + JITTER_RATIO)));
        expect(jitteredDelayMs(base, seed, attempt)).toBe(d);
      }),
    );
  });

  it('spreads deliveries that fail together', () => {
    const delays = new Set(Array.from({ length: 100 }, (_, i) => jitteredDelayMs(60_000, `dlv_${i}`, 1)));
    expect(delays.size).toBeGreaterThan(90);
  });

  it('indexes the schedule by the attempt within the budget, the last delay past its end', () => {
    const schedule = [1_000, 5_000, 60_000];
    const near = (v: number | undefined, base: number) => v !== undefined && Math.abs(v - base) <= base * JITTER_RATIO + 1;
    expect(near(nextRetryDelayMs(schedule, 1, 'd'), 1_000)).toBe(true);
    expect(near(nextRetryDelayMs(schedule, 2, 'd'), 5_000)).toBe(true);
    expect(near(nextRetryDelayMs(schedule, 3, 'd'), 60_000)).toBe(true);
    expect(near(nextRetryDelayMs(schedule, 9, 'd'), 60_000)).toBe(true);
    expect(nextRetryDelayMs([], 1, 'd')).toBeUndefined();
  });
});
