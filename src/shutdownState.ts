/**
 * Whether this process has begun its own orderly shutdown. Set by the signal handling of the
 * process commands (src/cli/shutdown.ts); read where an event means something different during a
 * stop, e.g. a database connection the server closes under us while we are closing anyway.
 */
let shuttingDown = false;

export function markShuttingDown(): void {
  shuttingDown = true;
}

export function isShuttingDown(): boolean {
  return shuttingDown;
}
