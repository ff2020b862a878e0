import type { ChildProcess } from 'node:child_process';

/** Stops a child with SIGTERM, escalating to SIGKILL, and resolves once it has really exited. */
export function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Retries `probe` until it resolves or the deadline passes (then rethrows its last error). */
export async function waitUntil<T>(probe: () => Promise<T>, timeoutMs: number, what: string, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
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
