/**
 * Polls `probe` until `ok` holds, or throws with the last value seen once `timeoutMs` has passed.
 * Every assertion on state that converges asynchronously (rows written by a worker, receiver
 * counts, workflow status) goes through this instead of looking once.
 */
export async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
