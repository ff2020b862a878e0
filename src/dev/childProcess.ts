import type { ChildProcess } from 'node:child_process';

/** How a child process ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(exit: ChildExit): string {
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/** Resolves when the child has exited (at once if it already has). Never rejects. */
export function exitOf(child: ChildProcess): Promise<ChildExit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Stops a child with `signal` (SIGTERM unless the program has a better one), escalating to
 * SIGKILL, and resolves once it has really exited.
 */
export function stopChild(child: ChildProcess, graceMs = 10_000, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** The last `max` characters a stream wrote, for the error message when a child dies early. */
export function keepTail(stream: NodeJS.ReadableStream | null, max = 4000, onChunk?: (text: string) => void): () => string {
  let tail = '';
  stream?.on('data', (c: Buffer) => {
    const text = c.toString();
    tail = (tail + text).slice(-max);
    onChunk?.(text);
  });
  return () => tail;
}

/**
 * Retries `probe` until it resolves or the deadline passes (then rethrows its last error), or until
 * `stop` is aborted (the caller stopped caring, e.g. the child it waits for has exited).
 */
export async function waitUntil<T>(probe: () => Promise<T>, timeoutMs: number, what: string, intervalMs = 200, stop?: AbortSignal): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    if (stop?.aborted) throw new Error(`stopped waiting for ${what}`);
    try {
      return await probe();
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${(last as Error)?.message ?? last}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
