/**
 * Notices that the process which started us died (e.g. `kill -9` of the npm process): the kernel
 * then re-parents us (to init or a subreaper), so our parent PID changes. No signal tells us, so
 * we poll. A process started directly under init (parent PID 1) has nothing to watch.
 */
export function watchParent(onGone: (previousParent: number) => void, intervalMs = 500): () => void {
  const parent = process.ppid;
  if (parent <= 1) return () => undefined;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onGone(parent);
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
