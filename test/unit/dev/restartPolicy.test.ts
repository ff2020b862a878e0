import { DEFAULT_RESTART_POLICY, nextFailureCount, restartDelayMs } from '../../../src/dev/restartPolicy';

describe('restart policy of the local stack supervisor', () => {
  const policy = { initialDelayMs: 500, factor: 2, maxDelayMs: 30_000, healthyAfterMs: 60_000 };

  it('restarts quickly the first time, exponentially slower while a child keeps dying, capped', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => restartDelayMs(n, policy))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('starts from the initial delay again once a child had stayed up for the healthy period', () => {
    expect(nextFailureCount(6, 59_999, policy)).toBe(7);
    expect(nextFailureCount(6, 60_000, policy)).toBe(1);
    expect(restartDelayMs(nextFailureCount(6, 120_000, policy), policy)).toBe(500);
  });

  it('has defaults that bring a child back within half a minute', () => {
    expect(restartDelayMs(1)).toBe(DEFAULT_RESTART_POLICY.initialDelayMs);
    expect(restartDelayMs(1_000)).toBe(30_000);
  });
});
