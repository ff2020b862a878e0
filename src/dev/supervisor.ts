import type { Logger } from '../logger';
import { describeExit, type ChildExit } from './childProcess';
import { DEFAULT_RESTART_POLICY, nextFailureCount, restartDelayMs, type RestartPolicy } from './restartPolicy';

/**
 * Keeps the local stack's children running: a child that exits while the stack is not stopping is
 * restarted after a backoff (restartPolicy.ts), with a log line for the death and one for the
 * restart. Stopping goes in reverse start order, so clients (server, worker) leave before the
 * servers they use (Temporal, Postgres) go down.
 */
export interface SupervisedChild {
  /** Starts the child and resolves once it is ready; rejects (leaving nothing running) if it cannot. */
  start(): Promise<void>;
  /** Stops the current child, if any, and resolves once it has exited. */
  stop(): Promise<void>;
  /** Resolves when the child started last exits. */
  readonly exited: Promise<ChildExit>;
  readonly pid: number | undefined;
}

interface Entry {
  name: string;
  child: SupervisedChild;
  startedAt: number;
  failures: number;
  restarts: number;
}

export class StackStoppingError extends Error {
  override name = 'StackStoppingError';
}

export class Supervisor {
  private readonly entries: Entry[] = [];
  private stopping?: Promise<void>;
  private wakeSleepers = new Set<() => void>();

  constructor(
    private readonly log: Logger,
    private readonly policy: RestartPolicy = DEFAULT_RESTART_POLICY,
  ) {}

  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /** Starts `child` (rejects if its first start fails) and restarts it whenever it dies from then on. */
  async add(name: string, child: SupervisedChild): Promise<void> {
    if (this.isStopping) throw new StackStoppingError(`not starting ${name}: the stack is stopping`);
    const entry: Entry = { name, child, startedAt: 0, failures: 0, restarts: 0 };
    // Registered before it is ready, so a stop during its start stops it too, in the right order.
    this.entries.push(entry);
    try {
      await child.start();
    } catch (err) {
      if (this.isStopping) throw new StackStoppingError(`${name} was stopped during its start`);
      throw err;
    }
    entry.startedAt = Date.now();
    this.log.info({ child: name, pid: child.pid }, `${name} started (pid ${child.pid})`);
    void this.watch(entry);
  }

  /** PIDs of the children running now, by name. */
  pids(): Record<string, number | undefined> {
    return Object.fromEntries(this.entries.map((e) => [e.name, e.child.pid]));
  }

  /** Stops every child, last started first. Idempotent: later calls wait for the first. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      for (const wake of this.wakeSleepers) wake();
      for (const entry of [...this.entries].reverse()) {
        try {
          await entry.child.stop();
        } catch (err) {
          this.log.error({ err, child: entry.name }, `error while stopping ${entry.name}`);
        }
      }
    })();
    return this.stopping;
  }

  private async watch(entry: Entry): Promise<void> {
    for (;;) {
      const exit = await entry.child.exited;
      if (this.isStopping) return;
      const upMs = Date.now() - entry.startedAt;
      entry.failures = nextFailureCount(entry.failures, upMs, this.policy);
      const delayMs = restartDelayMs(entry.failures, this.policy);
      entry.restarts++;
      this.log.warn(
        { child: entry.name, exit, up_ms: upMs, delay_ms: delayMs, restart: entry.restarts },
        `${entry.name} exited unexpectedly (${describeExit(exit)}) after ${formatSeconds(upMs)}; restarting in ${formatSeconds(delayMs)} (restart ${entry.restarts})`,
      );
      if (!(await this.sleepUnlessStopping(delayMs))) return;
      try {
        await entry.child.start();
      } catch (err) {
        if (this.isStopping) return;
        // Counted as a death right away; the next round waits longer.
        this.log.error({ child: entry.name, err: (err as Error).message }, `${entry.name} did not restart: ${(err as Error).message}`);
        entry.startedAt = Date.now();
        continue;
      }
      entry.startedAt = Date.now();
      if (this.isStopping) {
        await entry.child.stop();
        return;
      }
      this.log.info({ child: entry.name, pid: entry.child.pid, restart: entry.restarts }, `${entry.name} restarted (pid ${entry.child.pid})`);
    }
  }

  /** false if the stack began stopping meanwhile. */
  private sleepUnlessStopping(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakeSleepers.delete(wake);
        resolve(!this.isStopping);
      };
      const timer = setTimeout(wake, ms);
      this.wakeSleepers.add(wake);
    });
  }
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
