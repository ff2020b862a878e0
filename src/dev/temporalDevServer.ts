import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { searchAttributeFlags } from '../temporal/searchAttributes';
import { describeExit, exitOf, keepTail, stopChild, waitUntil, type ChildExit } from './childProcess';
import { withParentDeathSignal } from './parentDeathSignal';

/**
 * Runs `temporal server start-dev` as a child: SQLite file under the data dir (so histories survive
 * a restart), Web UI on its own port, the project's search attributes registered up front. It runs
 * in its own process group (a terminal's Ctrl-C reaches only the launcher, which stops the stack in
 * order) and gets SIGTERM from the kernel if the launcher dies without stopping it.
 */
export interface DevServerOptions {
  cliPath: string;
  port: number;
  uiPort: number;
  namespace: string;
  dbFile: string;
  log: (line: string) => void;
  headless?: boolean;
}

export class TemporalDevServer {
  private child?: ChildProcess;
  private exit?: Promise<ChildExit>;

  constructor(readonly options: DevServerOptions) {}

  get address(): string {
    return `127.0.0.1:${this.options.port}`;
  }

  get uiUrl(): string {
    return `http://127.0.0.1:${this.options.uiPort}`;
  }

  async start(): Promise<void> {
    const o = this.options;
    mkdirSync(path.dirname(o.dbFile), { recursive: true });
    const args = [
      'server',
      'start-dev',
      '--ip', '127.0.0.1',
      '--port', String(o.port),
      '--db-filename', o.dbFile,
      '--namespace', o.namespace,
      '--log-level', 'warn',
      // Task-queue priority (terminal events first under backlog) needs the new matcher on 1.29.
      '--dynamic-config-value', 'matching.useNewMatcher=true',
      // WAL with synchronous=NORMAL: durable across a crash or kill -9 of the dev server (only an
      // OS crash can lose the last transactions) and about twice the throughput of the default
      // rollback journal with a full fsync per write (measured by bench/devServerThroughput.ts).
      '--sqlite-pragma', 'journal_mode=WAL',
      '--sqlite-pragma', 'synchronous=NORMAL',
      ...searchAttributeFlags().flatMap((f) => ['--search-attribute', f]),
    ];
    if (o.headless) args.push('--headless');
    else args.push('--ui-port', String(o.uiPort), '--ui-ip', '127.0.0.1');

    const guarded = withParentDeathSignal(o.cliPath, args, 'SIGTERM');
    if (!guarded.guarded) o.log('setpriv --pdeathsig is not available: a kill -9 of this process would leave the Temporal dev server running');
    const child = spawn(guarded.command, guarded.args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.child = child;
    this.exit = exitOf(child);
    // If this process exits without stopping us (another library's signal hook calling
    // process.exit, an uncaught error), take the dev server along rather than orphan it.
    const killOnExit = () => child.kill('SIGTERM');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    const stderrTail = keepTail(child.stderr);
    const exitedEarly = this.exit.then((exit) => {
      throw new Error(`temporal dev server exited early (${describeExit(exit)}):\n${stderrTail()}`);
    });
    exitedEarly.catch(() => undefined); // observed below; after readiness an exit is the caller's concern
    try {
      await Promise.race([exitedEarly, waitUntil(() => this.ping(), 60_000, `Temporal on ${this.address}`)]);
    } catch (err) {
      await this.stop(); // never leave a half-started server holding the port and the SQLite file
      throw err;
    }
    o.log(`Temporal dev server ready on ${this.address}${o.headless ? '' : `, UI ${this.uiUrl}`}`);
  }

  private async ping(): Promise<void> {
    const connection = await Connection.connect({ address: this.address, connectTimeout: 1_000 });
    try {
      await connection.workflowService.describeNamespace({ namespace: this.options.namespace });
    } finally {
      await connection.close();
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves when the server started last exits, whoever stopped or killed it. */
  get exited(): Promise<ChildExit> {
    return this.exit ?? Promise.resolve({ code: null, signal: null });
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child);
    this.child = undefined;
  }
}
