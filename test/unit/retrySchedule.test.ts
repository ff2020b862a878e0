import { loadConfig } from '../../src/config';
import { isRetryableStatus, parseRetryAfter, retryDelays } from '../../src/domain/retrySchedule';
import { eventPolicy } from '../../src/temporal/eventPolicy';

describe('retry schedule', () => {
  it('the defaults reach about a day in ~8 attempts', () => {
    const { retry } = eventPolicy(loadConfig({ DELIVERY_MAX_ATTEMPTS: undefined }));
    const delays = retryDelays(retry);
    expect(retry.maxAttempts).toBeGreaterThanOrEqual(7);
    expect(retry.maxAttempts).toBeLessThanOrEqual(9);
    expect(delays[0]).toBe(5_000);
    const total = delays.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(18 * 3_600_000);
    expect(total).toBeLessThan(30 * 3_600_000);
    // Monotone, capped by the maximum interval.
    for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]!);
    expect(Math.max(...delays)).toBeLessThanOrEqual(retry.maxIntervalMs);
  });

  it('exponential with a cap', () => {
    expect(retryDelays({ maxAttempts: 5, initialIntervalMs: 100, backoffCoefficient: 3, maxIntervalMs: 1_000 })).toEqual([100, 300, 900, 1_000]);
    expect(retryDelays({ maxAttempts: 1, initialIntervalMs: 100, backoffCoefficient: 3, maxIntervalMs: 1_000 })).toEqual([]);
  });

  it.each([
    [500, true],
    [502, true],
    [503, true],
    [408, true],
    [409, true],
    [425, true],
    [429, true],
    [400, false],
    [401, false],
    [403, false],
    [404, false],
    [410, false],
    [422, false],
    [301, false],
  ])('status %i retryable: %s', (status, retryable) => {
    expect(isRetryableStatus(status)).toBe(retryable);
  });
});

describe('Retry-After parsing', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('seconds', () => {
    expect(parseRetryAfter('2', now)).toBe(2_000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });
  it('an HTTP date, relative to now, never negative', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now)).toBe(0);
  });
  it('absent or garbage: undefined (the retry policy decides)', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });
});
