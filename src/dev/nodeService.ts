import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isReadyMessage } from '../cli/launcherLink';
import { workerProcessEnv } from '../temporal/workerHeap';
import { describeExit, exitOf, stopChild, type ChildExit } from './childProcess';

/**
 * `switchboard server` or `switchboard worker` as a child Node process of the launcher, exactly as
 * production runs them (one process each, so the two use both cores and one can die and be
 * restarted without the other). It reports readiness over the IPC channel, and that channel is
 * also how it learns the launcher is gone: when the launcher dies, even by `kill -9`, the channel
 * closes and the child shuts down by itself (src/cli/shutdown.ts). Its logs go to the launcher's
 * stdout/stderr as they are.
 */
export interface NodeServiceOptions {
  command: 'server' | 'worker';
  /** Added to the launcher's environment. */
  env: Record<string, string>;
  readyTimeoutMs?: number;
  /** How long a SIGTERM'd child may take to drain before it is killed. */
  stopGraceMs?: number;
}

export class NodeService {
  private child?: ChildProcess;
  private exit?: Promise<ChildExit>;
  /** What the child said when it was ready (the server's URL). */
  ready?: Record<string, unknown>;

  constructor(readonly options: NodeServiceOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get exited(): Promise<ChildExit> {
    return this.exit ?? Promise.resolve({ code: null, signal: null });
  }

  async start(): Promise<void> {
    const { command, env, readyTimeoutMs = 120_000 } = this.options;
    const child = spawn(process.execPath, [switchboardBin(), command], {
      env: { ...process.env, ...(command === 'worker' ? workerProcessEnv() : {}), ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Its own process group: a Ctrl-C reaches the launcher, which stops this child in order.
      detached: true,
    });
    this.child = child;
    this.exit = exitOf(child);
    let timer: NodeJS.Timeout | undefined;
    try {
      this.ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`switchboard ${command} was not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
        child.on('message', (message) => {
          if (isReadyMessage(message)) resolve(message);
        });
        void this.exit!.then((exit) => reject(new Error(`switchboard ${command} exited before it was ready (${describeExit(exit)})`)));
      });
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGTERM: the child closes its server or drains its worker and database pool, then exits. */
  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, this.options.stopGraceMs ?? 20_000);
  }
}

/** bin/switchboard decides between the TypeScript source (a checkout) and the compiled build. */
function switchboardBin(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'bin', 'switchboard');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`bin/switchboard not found above ${__dirname}`);
    dir = parent;
  }
}
