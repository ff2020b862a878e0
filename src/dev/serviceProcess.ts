import { spawn, type ChildProcess } from 'node:child_process';
import { describeExit, exitOf, stopChild, waitUntil, type ChildExit } from './childProcess';
import { withParentDeathSignal } from './parentDeathSignal';

/** A Temporal binary the launcher runs and supervises: what to run and how to know it serves. */
export interface ServiceProcessSpec {
  /** Says which service failed, e.g. "Temporal server". */
  name: string;
  command: string;
  args: string[];
  /** Also keep stdout's tail for the early-exit error (a server that logs there). */
  captureStdout?: boolean;
  /** Throws until the service answers. */
  ready: () => Promise<unknown>;
  /** For the timeout's message, e.g. "the Temporal UI on http://…". */
  readyWhat: string;
  readyTimeoutMs: number;
  readyIntervalMs?: number;
  /** Grace before SIGKILL when stopping. */
  stopGraceMs?: number;
  log: (line: string) => void;
}

/**
 * One supervised child. It runs in its own process group (a terminal's Ctrl-C reaches only the
 * launcher, which stops the stack in order) and gets SIGTERM from the kernel if the launcher dies
 * without stopping it (setpriv --pdeathsig), or from this process's exit hook if it exits without
 * stopping it (another library's signal hook calling process.exit, an uncaught error). An exit
 * before it answers fails the start with the tail of its output; a start that fails stops it, so it
 * never holds its ports or files.
 */
export class ServiceProcess {
  private child?: ChildProcess;
  private exit?: Promise<ChildExit>;
  private stopGraceMs = 10_000;

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves when the process started last exits, whoever stopped or killed it. */
  get exited(): Promise<ChildExit> {
    return this.exit ?? Promise.resolve({ code: null, signal: null });
  }

  async start(spec: ServiceProcessSpec): Promise<void> {
    this.stopGraceMs = spec.stopGraceMs ?? 10_000;
    const child = this.spawnGuarded(spec);
    const exitedEarly = this.failOnEarlyExit(spec, child);
    const giveUp = new AbortController(); // no probing on after an early exit decided the start
    const ready = waitUntil(spec.ready, spec.readyTimeoutMs, spec.readyWhat, spec.readyIntervalMs, giveUp.signal);
    ready.catch(() => undefined); // observed by the race; what it throws after losing it is moot
    try {
      await Promise.race([exitedEarly, ready]);
    } catch (err) {
      await this.stop();
      throw err;
    } finally {
      giveUp.abort();
    }
  }

  async stop(): Promise<void> {
    if (this.child) await stopChild(this.child, this.stopGraceMs);
    this.child = undefined;
  }

  private spawnGuarded(spec: ServiceProcessSpec): ChildProcess {
    const guarded = withParentDeathSignal(spec.command, spec.args, 'SIGTERM');
    if (!guarded.guarded) spec.log(`setpriv --pdeathsig is not available: a kill -9 of this process would leave the ${spec.name} running`);
    const child = spawn(guarded.command, guarded.args, { stdio: ['ignore', spec.captureStdout ? 'pipe' : 'ignore', 'pipe'], detached: true });
    this.child = child;
    this.exit = exitOf(child);
    const killOnExit = () => child.kill('SIGTERM');
    process.once('exit', killOnExit);
    child.once('exit', () => process.off('exit', killOnExit));
    return child;
  }

  /** Rejects, with the output's last 8000 characters (both streams, in order), if the child exits before it is ready. */
  private failOnEarlyExit(spec: ServiceProcessSpec, child: ChildProcess): Promise<never> {
    let output = '';
    const keep = (text: string) => {
      output = (output + text).slice(-8000);
    };
    if (spec.captureStdout) child.stdout?.on('data', (c: Buffer) => keep(c.toString()));
    child.stderr?.on('data', (c: Buffer) => keep(c.toString()));
    const exitedEarly = this.exited.then((exit): never => {
      throw new Error(`${spec.name} exited early (${describeExit(exit)}):\n${output}`);
    });
    exitedEarly.catch(() => undefined); // after readiness an exit is the supervisor's concern
    return exitedEarly;
  }
}
