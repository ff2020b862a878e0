import { classifyAttempt, statusClass, type SendError, type SendReply } from '../../src/domain/attemptOutcome';

const settings = { timeoutMs: 10_000, maxIntervalMs: 3_600_000 };
const now = Date.parse('2026-01-01T00:00:00Z');

function answered(status: number, retryAfter?: string): SendReply {
  return { kind: 'answered', status, retryAfter, bodyPreview: 'ok', answeredAtMs: now };
}

function unanswered(error: Partial<SendError>): SendReply {
  return { kind: 'unanswered', error: { name: 'Error', message: 'boom', forbidden: false, ...error } };
}

describe('classifyAttempt: the endpoint answered', () => {
  it.each([200, 201, 204, 299])('%i is delivered', (status) => {
    expect(classifyAttempt(answered(status), settings)).toEqual({ verdict: 'delivered', statusCode: status });
  });

  it.each([400, 401, 403, 404, 410, 422, 300, 301, 302, 199])('%i is a permanent rejection (redirects are answers, not detours)', (status) => {
    expect(classifyAttempt(answered(status), settings)).toEqual({
      verdict: 'permanent',
      failureType: 'DeliveryRejected',
      statusCode: status,
      error: null,
      message: `endpoint answered ${status}`,
      retryAfterMs: undefined,
    });
  });

  it.each([408, 409, 425, 429, 500, 502, 503, 504])('%i is retried', (status) => {
    expect(classifyAttempt(answered(status), settings)).toEqual({
      verdict: 'retry',
      failureType: 'DeliveryHttpError',
      statusCode: status,
      error: null,
      message: `endpoint answered ${status}`,
      retryAfterMs: undefined,
    });
  });
});

describe('classifyAttempt: Retry-After', () => {
  const retryAfterOf = (value: string | undefined, status = 503) => {
    const outcome = classifyAttempt(answered(status, value), settings);
    if (outcome.verdict === 'delivered') throw new Error('expected a failure');
    return outcome.retryAfterMs;
  };

  it('seconds, trimmed', () => {
    expect(retryAfterOf('30')).toBe(30_000);
    expect(retryAfterOf(' 120 ')).toBe(120_000);
    expect(retryAfterOf('0')).toBe(0);
  });
  it('an HTTP date counts from when the answer came, never negative', () => {
    expect(retryAfterOf('Thu, 01 Jan 2026 00:00:30 GMT')).toBe(30_000);
    expect(retryAfterOf('Wed, 31 Dec 2025 23:59:00 GMT')).toBe(0);
  });
  it('is capped at the longest retry interval (seconds or date)', () => {
    expect(retryAfterOf('86400')).toBe(settings.maxIntervalMs);
    expect(retryAfterOf('Fri, 02 Jan 2026 00:00:00 GMT')).toBe(settings.maxIntervalMs);
    expect(retryAfterOf(String(settings.maxIntervalMs / 1000))).toBe(settings.maxIntervalMs);
  });
  it('absent, empty or garbage: none (the retry policy decides)', () => {
    expect(retryAfterOf(undefined)).toBeUndefined();
    expect(retryAfterOf('')).toBeUndefined();
    expect(retryAfterOf('soon')).toBeUndefined();
    expect(retryAfterOf('-5')).toBeUndefined();
    expect(retryAfterOf('1.5')).toBeUndefined();
    expect(retryAfterOf('Blursday, 99 Foo 2026')).toBeUndefined();
  });
  it('is carried on a permanent rejection too (reported, never waited for)', () => {
    expect(retryAfterOf('7', 400)).toBe(7_000);
  });
});

describe('classifyAttempt: nothing answered', () => {
  it.each([
    [{ name: 'TimeoutError' }],
    [{ name: 'AbortError' }],
    [{ code: 'UND_ERR_HEADERS_TIMEOUT' }],
    [{ code: 'UND_ERR_BODY_TIMEOUT' }],
    [{ code: 'UND_ERR_CONNECT_TIMEOUT' }],
  ])('a timeout (%o) is retried, reported as the configured timeout', (error) => {
    expect(classifyAttempt(unanswered(error), settings)).toEqual({
      verdict: 'retry',
      failureType: 'DeliveryNetworkError',
      statusCode: null,
      error: 'timeout after 10000 ms',
      message: 'timeout after 10000 ms',
      retryAfterMs: undefined,
    });
  });

  it('a network error is retried, named by its code and its cause', () => {
    const outcome = classifyAttempt(unanswered({ name: 'TypeError', code: 'ECONNREFUSED', message: 'fetch failed', causeMessage: 'connect ECONNREFUSED 127.0.0.1:9' }), settings);
    expect(outcome).toEqual({
      verdict: 'retry',
      failureType: 'DeliveryNetworkError',
      statusCode: null,
      error: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9',
      message: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:9',
      retryAfterMs: undefined,
    });
  });

  it('without a code or a cause, the error name and message say what happened', () => {
    const outcome = classifyAttempt(unanswered({ name: 'SocketError', message: 'other side closed' }), settings);
    expect(outcome).toMatchObject({ verdict: 'retry', error: 'SocketError: other side closed' });
  });

  it('a destination the address policy refused fails for good', () => {
    const outcome = classifyAttempt(
      unanswered({ name: 'DestinationForbiddenError', message: 'internal.test resolves to a private address (10.0.0.1)', forbidden: true }),
      settings,
    );
    expect(outcome).toEqual({
      verdict: 'permanent',
      failureType: 'DestinationForbidden',
      statusCode: null,
      error: 'DestinationForbiddenError: internal.test resolves to a private address (10.0.0.1)',
      message: 'DestinationForbiddenError: internal.test resolves to a private address (10.0.0.1)',
      retryAfterMs: undefined,
    });
  });
});

describe('statusClass', () => {
  it.each([
    [200, '2xx'],
    [302, '3xx'],
    [404, '4xx'],
    [503, '5xx'],
    [null, 'network'],
  ])('%p → %s', (status, label) => {
    expect(statusClass(status)).toBe(label);
  });
});
