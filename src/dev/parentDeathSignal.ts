import { spawnSync } from 'node:child_process';

/**
 * Makes the kernel signal an external child (Postgres, the Temporal dev server) when the launcher
 * dies, however it dies: a `kill -9` of the launcher runs none of its code, so no handler of ours
 * can stop them. `setpriv --pdeathsig` (util-linux) sets PR_SET_PDEATHSIG and then execs the
 * command, so the child keeps its PID and gets our signals directly. Where setpriv is missing
 * (macOS, minimal images) the command runs unguarded and the caller says so.
 */
export interface GuardedCommand {
  command: string;
  args: string[];
  /** false: no setpriv with --pdeathsig here; a kill -9 of the launcher would orphan this child. */
  guarded: boolean;
}

let setprivSupportsPdeathsig: boolean | undefined;

function setprivAvailable(): boolean {
  if (setprivSupportsPdeathsig === undefined) {
    if (process.platform !== 'linux') setprivSupportsPdeathsig = false;
    else {
      const probe = spawnSync('setpriv', ['--help'], { encoding: 'utf8' });
      setprivSupportsPdeathsig = probe.status === 0 && probe.stdout.includes('--pdeathsig');
    }
  }
  return setprivSupportsPdeathsig;
}

/**
 * `signal` is what the child should get: the one that makes it shut down cleanly (Postgres: SIGINT
 * is its fast shutdown; SIGTERM would wait for every client to leave).
 */
export function withParentDeathSignal(command: string, args: string[], signal: 'SIGINT' | 'SIGTERM'): GuardedCommand {
  if (!setprivAvailable()) return { command, args, guarded: false };
  return { command: 'setpriv', args: ['--pdeathsig', signal.replace(/^SIG/, ''), '--', command, ...args], guarded: true };
}
