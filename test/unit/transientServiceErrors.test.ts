import { ServiceError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logger';
import { ensureRetentionSchedule } from '../../src/temporal/schedules';
import { isTransientServiceError, retryTransientServiceErrors } from '../../src/temporal/transientServiceErrors';

const grpcError = (code: number) => Object.assign(new Error(`${code} grpc`), { code, details: '', metadata: {} });
const serviceError = (code: number) => new ServiceError('Failed to describe schedule', { cause: grpcError(code) });

/** `attempts` calls, pauses of 1, 2, 4 … ms between them. */
const doubling = (attempts: number) => ({ maxAttempts: attempts, initialIntervalMs: 1, backoffCoefficient: 2, maxIntervalMs: 1_000 });

/** A call failing with `failures` in turn, then answering 'done'. */
function scripted(failures: unknown[]) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    call: async () => {
      const failure = failures[calls++];
      if (failure) throw failure;
      return 'done';
    },
  };
}

describe('retryTransientServiceErrors (Schedule upserts at worker start-up)', () => {
  it('tells transient service errors from the rest', () => {
    expect(isTransientServiceError(serviceError(4))).toBe(true); // DEADLINE_EXCEEDED
    expect(isTransientServiceError(serviceError(14))).toBe(true); // UNAVAILABLE
    expect(isTransientServiceError(serviceError(3))).toBe(false); // INVALID_ARGUMENT
    expect(isTransientServiceError(serviceError(7))).toBe(false); // PERMISSION_DENIED
    expect(isTransientServiceError(grpcError(14))).toBe(false); // not wrapped by the SDK's client
    expect(isTransientServiceError(new Error('boom'))).toBe(false);
  });

  it('calls again after doubling pauses while the error is transient, and returns what the call returns', async () => {
    const s = scripted([serviceError(4), serviceError(14)]);
    const retries: Array<[number, number]> = [];
    const result = await retryTransientServiceErrors(s.call, { schedule: doubling(5), onRetry: (_e, attempt, delay) => retries.push([attempt, delay]) });
    expect(result).toBe('done');
    expect(s.calls).toBe(3);
    expect(retries).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  it('throws any other error at once', async () => {
    const invalid = serviceError(3);
    const s = scripted([invalid]);
    await expect(retryTransientServiceErrors(s.call, { schedule: doubling(5), onRetry: () => undefined })).rejects.toBe(invalid);
    expect(s.calls).toBe(1);
  });

  it('gives up after its attempts with the last error', async () => {
    const last = serviceError(4);
    const s = scripted([serviceError(14), serviceError(14), last]);
    await expect(retryTransientServiceErrors(s.call, { schedule: doubling(3), onRetry: () => undefined })).rejects.toBe(last);
    expect(s.calls).toBe(3);
  });
});

describe('ensureRetentionSchedule', () => {
  it('does not give up on the Schedule when Temporal answers UNAVAILABLE once (the worker would exit)', async () => {
    const create = scripted([serviceError(14)]);
    // Only the call this path makes; the Schedule itself is covered against a real Temporal elsewhere.
    const client = { schedule: { create: create.call } } as unknown as Client;
    const lines: string[] = [];
    const logger = createLogger('info', {}, { write: (line: string) => lines.push(line) });
    await expect(ensureRetentionSchedule(client, loadConfig({}), logger)).resolves.toBe('created');
    expect(create.calls).toBe(2);
    expect(lines.join('')).toContain('schedule upsert failed, retrying');
  });
});
