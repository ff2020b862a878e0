import { markShuttingDown } from '../shutdownState';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * One request often arrives twice within milliseconds: a Ctrl-C reaches the whole foreground
 * process group, so npm forwards the SIGINT it got to us on top of the one we got ourselves.
 */
const SAME_REQUEST_WINDOW_MS = 1_000;

/**
 * Runs `stop` once on SIGINT, SIGTERM or SIGHUP, and, in a child of the local launcher, when the
 * launcher's IPC channel closes (the launcher exited or was killed), then exits. A second request
 * later than the duplicate window exits at once, so an operator is never stuck behind a hung
 * shutdown. Returns the same trigger for other reasons to stop (the launcher's parent vanishing).
 * `who` names the process in its lines: under `npm start` the launcher, the server and the worker
 * all print theirs to the same terminal.
 */
export function onShutdown(who: string, stop: () => Promise<void>): (reason: string) => void {
  let firstAt: number | undefined;
  const begin = (reason: string) => {
    if (firstAt !== undefined) {
      if (Date.now() - firstAt < SAME_REQUEST_WINDOW_MS) return;
      process.stderr.write(`${who}: ${reason} again: exiting now\n`);
      process.exit(130);
    }
    firstAt = Date.now();
    markShuttingDown();
    process.stderr.write(`${who}: ${reason}: shutting down…\n`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${who}: shutdown failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of STOP_SIGNALS) process.on(signal, () => begin(`received ${signal}`));
  if (process.connected) process.once('disconnect', () => begin('the launcher is gone (IPC channel closed)'));
  return begin;
}
