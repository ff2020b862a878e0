import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { stopChild } from '../../src/dev/childProcess';
import { workerProcessEnv } from '../../src/temporal/workerHeap';
import { BENCH, log } from '../config';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SWITCHBOARD_CLI = path.join(ROOT, 'src/cli/main.ts');

export type LoggedChild = ChildProcess & { logFile: string };

export async function freePort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Where every child's log goes (the run's temporary directory). */
let logDir = '/tmp';
export function setLogDir(dir: string): void {
  logDir = dir;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Node flags before the script (e.g. a bench-only `--import` preload). */
  nodeArgs?: string[];
}

/**
 * A child Node process running TypeScript through tsx's require hook (so its pid is the real
 * process), as bin/switchboard runs it under `npm start`: `--import tsx` would also register
 * tsx's ESM loader, which Node runs on a thread of its own (an idle isolate, ~20 MB of RSS).
 * Its output goes to a log file, like a production process's would, never into a pipe that could
 * fill up and stall it. BENCH_NODE_OPTIONS reaches Switchboard's own processes only.
 */
export function spawnTs(script: string, args: string[], options: SpawnOptions = {}): LoggedChild {
  const role = script === SWITCHBOARD_CLI ? `-${args[0]}` : '';
  const logFile = path.join(logDir, `${path.basename(script, '.ts')}${role}-${randomBytes(4).toString('hex')}.log`);
  const fd = openSync(logFile, 'w');
  const benchNodeArgs = script === SWITCHBOARD_CLI ? BENCH.nodeOptions : [];
  // Switchboard's worker starts with what the launchers give it (src/dev/nodeService.ts).
  const launcherEnv = script === SWITCHBOARD_CLI && args[0] === 'worker' ? workerProcessEnv() : {};
  const child = spawn(process.execPath, [...benchNodeArgs, '--require', 'tsx/cjs', ...(options.nodeArgs ?? []), script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...launcherEnv, ...options.env },
    stdio: ['ignore', fd, fd],
  }) as LoggedChild;
  closeSync(fd);
  child.logFile = logFile;
  child.on('exit', (code) => {
    if (code && code !== 0 && code !== 143) log(`${path.basename(script)} exited ${code}: ${readFileSync(logFile, 'utf8').slice(-3000)}`);
  });
  return child;
}

export async function waitForLine(child: LoggedChild, pattern: RegExp, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readFileSync(child.logFile, 'utf8');
    if (pattern.test(text)) return;
    if (child.exitCode !== null) throw new Error(`process exited before ${pattern}: ${text.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${text.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child) await stopChild(child, 15_000);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
