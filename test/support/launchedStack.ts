import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort } from './ports';

/**
 * `npm start` (or the launcher alone) as a user runs it, for the tests of what signals and kills
 * do to the local stack: its own process group (so a test can signal the group like a terminal's
 * Ctrl-C), free loopback ports, a given data dir, and /proc to see every process it started.
 */
const ROOT = path.resolve(__dirname, '../..');

export interface StackPorts {
  api: number;
  temporal: number;
  ui: number;
  pg: number;
  workerMetrics: number;
  workerSdkMetrics: number;
}

/**
 * Ports a stack binds many seconds after they were picked. Picked below the kernel's ephemeral
 * range where there is one: a port from that range (what binding port 0 gives) can meanwhile
 * become the local end of any outgoing connection on the machine, and the stack's bind then fails.
 */
export async function freeStackPorts(): Promise<StackPorts> {
  const pick = await portPicker();
  return { api: await pick(), temporal: await pick(), ui: await pick(), pg: await pick(), workerMetrics: await pick(), workerSdkMetrics: await pick() };
}

export async function portPicker(): Promise<() => Promise<number>> {
  let ephemeralLow: number;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    return freePort;
  }
  const low = 20_000;
  if (!(ephemeralLow > low + 1_000)) return freePort;
  const taken = new Set<number>();
  return async () => {
    for (;;) {
      const port = low + Math.floor(Math.random() * (ephemeralLow - low));
      if (taken.has(port) || (await portsInUse([port])).length > 0) continue;
      taken.add(port);
      return port;
    }
  };
}

export interface LaunchedStack {
  /** The process the test started: npm, or the launcher itself. */
  child: ChildProcess;
  output(): string;
  exited: Promise<void>;
  api: string;
}

export function launchStack(opts: { how: 'npm' | 'launcher'; dataDir: string; ports: StackPorts; env?: Record<string, string>; args?: string[] }): LaunchedStack {
  const { ports } = opts;
  const extra = opts.args ?? [];
  const [command, args] = opts.how === 'npm' ? ['npm', ['start', ...(extra.length ? ['--', ...extra] : [])]] : [process.execPath, [path.join(ROOT, 'bin', 'switchboard'), 'start', ...extra]];
  const child = spawn(command, args as string[], {
    cwd: ROOT,
    detached: true,
    env: {
      ...process.env,
      SWITCHBOARD_DATA_DIR: opts.dataDir,
      HOST: '127.0.0.1',
      PORT: String(ports.api),
      TEMPORAL_PORT: String(ports.temporal),
      TEMPORAL_UI_PORT: String(ports.ui),
      EMBEDDED_POSTGRES_PORT: String(ports.pg),
      WORKER_METRICS_PORT: String(ports.workerMetrics),
      WORKER_SDK_METRICS_PORT: String(ports.workerSdkMetrics),
      TEMPORAL_CLI_PATH: process.env['SWITCHBOARD_TEST_TEMPORAL_CLI'] ?? '',
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
      TEMPORAL_ADDRESS: '',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, output: () => out, exited, api: `http://127.0.0.1:${ports.api}` };
}

export async function waitForBanner(stack: LaunchedStack, timeoutMs = 150_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!stack.output().includes('Switchboard is running')) {
    if (stack.child.exitCode !== null || stack.child.signalCode !== null) throw new Error(`the stack exited before it was ready:\n${stack.output()}`);
    if (Date.now() > deadline) throw new Error(`no banner after ${timeoutMs} ms:\n${stack.output()}`);
    await sleep(250);
  }
}

/** A process as /proc shows it: the start time tells a reused PID apart. */
export interface ProcessIdentity {
  pid: number;
  ppid: number;
  startTime: string;
  state: string;
  cmdline: string;
}

function readProcess(pid: number): ProcessIdentity | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return { pid, state: fields[0]!, ppid: Number(fields[1]), startTime: fields[19]!, cmdline };
  } catch {
    return undefined; // gone
  }
}

function allProcesses(): ProcessIdentity[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readProcess(Number(name)))
    .filter((p): p is ProcessIdentity => p !== undefined);
}

/** `root` and every process below it, as it is now. */
export function processTree(root: number): ProcessIdentity[] {
  const all = allProcesses();
  const tree: ProcessIdentity[] = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift()!;
    const p = all.find((q) => q.pid === pid);
    if (!p) continue;
    tree.push(p);
    queue.push(...all.filter((q) => q.ppid === pid).map((q) => q.pid));
  }
  return tree;
}

/** Those of `processes` still running (the same process, not a reused PID; a zombie has stopped running). */
export function stillRunning(processes: ProcessIdentity[]): ProcessIdentity[] {
  return processes.filter((p) => {
    const now = readProcess(p.pid);
    return now !== undefined && now.startTime === p.startTime && now.state !== 'Z';
  });
}

export async function waitUntilAllGone(processes: ProcessIdentity[], timeoutMs: number): Promise<ProcessIdentity[]> {
  const deadline = Date.now() + timeoutMs;
  let left = stillRunning(processes);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(250);
    left = stillRunning(processes);
  }
  return left;
}

/** Those of `ports` some process still holds (they cannot be bound on all interfaces again). */
export async function portsInUse(ports: number[]): Promise<number[]> {
  const taken: number[] = [];
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '0.0.0.0', () => srv.close(() => resolve(true)));
    });
    if (!free) taken.push(port);
  }
  return taken;
}

/** Kills whatever of `processes` is left (a failed test must not leave a stack running). */
export function killAll(processes: ProcessIdentity[]): void {
  for (const p of stillRunning(processes)) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
