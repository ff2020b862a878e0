import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

/**
 * `switchboard worker` as a separate OS process, so a fault test can `kill -9` it for real: no
 * shutdown hook runs, in-flight activities and sticky workflow caches are simply gone, and Temporal
 * must time them out and hand the work to the next worker.
 */
export class WorkerProcess {
  private child?: ChildProcess;
  private exited?: Promise<ExitStatus>;
  /** Every stdout line (pino JSON), across restarts; the secrets test scans them. */
  readonly lines: string[] = [];

  constructor(
    private readonly env: Record<string, string>,
    private readonly command: 'worker' | 'server' = 'worker',
    /** Another entry point than `switchboard <command>` (the rolling-deploy test's version-B worker). */
    private readonly script?: string,
  ) {}

  /** Resolves once `readyLine` is printed: by default the line that says the process is serving. */
  async start(timeoutMs = 90_000, readyLine = this.command === 'worker' ? '"worker started"' : '"API server listening"'): Promise<void> {
    const root = path.join(__dirname, '..', '..');
    const entry = this.script ? [this.script] : [path.join(root, 'src', 'cli', 'main.ts'), this.command];
    const child = spawn(process.execPath, ['--import', 'tsx', ...entry], {
      cwd: root,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.command} not ready within ${timeoutMs} ms`)), timeoutMs);
      const onLine = (line: string) => {
        this.lines.push(line);
        if (line.includes(readyLine)) {
          clearTimeout(timer);
          resolve();
        }
      };
      readline.createInterface({ input: child.stdout! }).on('line', onLine);
      readline.createInterface({ input: child.stderr! }).on('line', (l) => {
        this.lines.push(l);
        if (process.env['SWITCHBOARD_TEST_VERBOSE']) process.stderr.write(`[worker] ${l}\n`);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.command} exited before it was ready (code ${code}, signal ${signal})`));
      });
    });
    await ready;
  }

  /** SIGKILL: the process gets no chance to finish, report or clean up anything. */
  async kill9(): Promise<void> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** Graceful stop (SIGTERM), escalating to SIGKILL if it hangs; how the process ended. */
  async stop(graceMs = 15_000): Promise<ExitStatus | undefined> {
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}
