import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time (ms, user + system) by component, from /proc. Each component is a process tree under a
 * root pid we started (so other stacks on a shared machine are never counted): every live member's
 * own time plus what its exited children left in its cutime/cstime (Postgres backends that exited
 * are in the postmaster's). Members can be re-attributed by command line (the `npm start`
 * launcher's tree holds Postgres, Temporal, worker and server).
 */
export type CpuSnapshot = Record<string, number>;

interface ProcEntry {
  pid: number;
  ppid: number;
  /** Its own user + system time. */
  ownMs: number;
  /** What its exited (reaped) children spent. */
  reapedMs: number;
  cmd: string;
}

const CLOCK_TICK_MS = 10;

function readProcesses(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      const own = (Number(f[11]) + Number(f[12])) * CLOCK_TICK_MS;
      const reaped = (Number(f[13]) + Number(f[14])) * CLOCK_TICK_MS;
      out.push({ pid: Number(entry), ppid: Number(f[1]), ownMs: own, reapedMs: reaped, cmd });
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Names a launcher-tree member by what it runs; undefined keeps the root's name. */
export function componentOfCommand(cmd: string): string | undefined {
  if (cmd.startsWith('postgres: ') || cmd.includes('/bin/postgres')) return 'postgres';
  if (cmd.includes('temporal') && cmd.includes('start-dev')) return 'temporal';
  if (/(main\.(ts|js)|bin\/switchboard) worker\b/.test(cmd)) return 'worker';
  if (/(main\.(ts|js)|bin\/switchboard) server\b/.test(cmd)) return 'server';
  return undefined;
}

/**
 * `bench` is this process alone, without what its exited children spent: every measured
 * component is its child, so its tree would hold (and count twice) all of them.
 */
export function cpuSnapshot(roots: Record<string, number | undefined>, classify?: (cmd: string) => string | undefined): CpuSnapshot {
  const procs = readProcesses();
  const children = new Map<number, ProcEntry[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const out: CpuSnapshot = {};
  for (const [name, rootPid] of Object.entries(roots)) {
    out[name] ??= 0;
    const root = rootPid ? byPid.get(rootPid) : undefined;
    const stack = root ? [root] : [];
    while (stack.length > 0) {
      const p = stack.pop()!;
      const component = classify?.(p.cmd) ?? name;
      if (name === 'bench') {
        out[name] += p.ownMs;
        continue;
      }
      out[component] = (out[component] ?? 0) + p.ownMs + p.reapedMs;
      stack.push(...(children.get(p.pid) ?? []));
    }
  }
  return out;
}

export function cpuPerEvent(before: CpuSnapshot, after: CpuSnapshot, events: number): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, Number(((after[k]! - (before[k] ?? 0)) / Math.max(1, events)).toFixed(2))]));
}

/** Temporal + Postgres + worker + server: the "total CPU per event". */
export function totalCpu(c: Record<string, number> | undefined): number {
  if (!c) return NaN;
  return Number(['temporal', 'postgres', 'worker', 'server'].reduce((a, k) => a + (c[k] ?? 0), 0).toFixed(2));
}

export function cpuLine(c: Record<string, number> | undefined): string {
  if (!c) return '-';
  return ['temporal', 'postgres', 'worker', 'server'].map((k) => (c[k] === undefined ? '-' : c[k]!.toFixed(1))).join(' / ');
}
