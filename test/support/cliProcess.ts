import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * The `switchboard` command run as a user runs it: `npx switchboard …` in a package directory
 * (the checkout, or a built copy), as a separate process. `--yes=false` only stops npx from ever
 * fetching a registry package of that name if the local bin were missing.
 */
export const ROOT = path.resolve(__dirname, '../..');

export interface BinRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The caller's environment without anything that would point the CLI at a stack, plus `extra`:
 * each test says explicitly which stack (if any) the command should find.
 */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE', 'SWITCHBOARD_DATA_DIR']) delete env[k];
  return { ...env, LOG_LEVEL: 'warn', ...extra };
}

export function spawnSwitchboard(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { child: ChildProcess; stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  // Its own process group, so a long-running command (receive) is stopped with npm and all.
  const child = spawn('npx', ['--yes=false', 'switchboard', ...args], { cwd: opts.cwd ?? ROOT, env: opts.env ?? cliEnv(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return { child, stdout: () => stdout, stderr: () => stderr };
}

/** Runs a command to completion (bounded: a hung CLI fails the test instead of the run). */
export function runSwitchboard(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<BinRun> {
  const run = spawnSwitchboard(args, opts);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stopProcessGroup(run.child);
      reject(new Error(`switchboard ${args.join(' ')} did not finish within ${opts.timeoutMs ?? 90_000} ms\n${run.stdout()}\n${run.stderr()}`));
    }, opts.timeoutMs ?? 90_000);
    run.child.once('error', reject);
    run.child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: run.stdout(), stderr: run.stderr() });
    });
  });
}

/** Signals the whole group, including what outlived npx itself (the group id is npx's pid). */
export function stopProcessGroup(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}
