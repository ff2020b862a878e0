import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  freeStackPorts,
  killAll,
  launchStack,
  portsInUse,
  processTree,
  waitForBanner,
  waitUntilAllGone,
  type LaunchedStack,
  type ProcessIdentity,
} from '../support/launchedStack';

/**
 * Whatever stops or kills the process a user started with `npm start` leaves nothing behind:
 * every process of the stack recorded while it ran (npm, the launcher, Postgres and its backends,
 * the Temporal dev server, server, worker) is gone, every port is free again, /healthz no longer
 * answers. Each case starts `npm start` itself, in its own process group, on one data dir (so it
 * also shows a stack comes back after each way of stopping the one before).
 */
const GONE_WITHIN_MS = 60_000;

interface Case {
  name: string;
  stop(stack: LaunchedStack, tree: ProcessIdentity[]): void;
  /** An orderly stop: the launcher stopped its children in order and exited 0. */
  orderly: boolean;
}

const launcherOf = (tree: ProcessIdentity[]) => {
  const launcher = tree.find((p) => p.cmdline.includes('bin/switchboard start'));
  if (!launcher) throw new Error(`no launcher in ${JSON.stringify(tree.map((p) => p.cmdline))}`);
  return launcher;
};

const cases: Case[] = [
  { name: 'SIGTERM to the npm process', orderly: true, stop: (s) => process.kill(s.child.pid!, 'SIGTERM') },
  { name: 'SIGINT to the process group (Ctrl-C in a terminal)', orderly: true, stop: (s) => process.kill(-s.child.pid!, 'SIGINT') },
  { name: 'SIGHUP to the launcher (terminal closed)', orderly: true, stop: (_s, tree) => process.kill(launcherOf(tree).pid, 'SIGHUP') },
  { name: 'kill -9 of the npm process (the launcher notices its parent is gone)', orderly: true, stop: (s) => process.kill(s.child.pid!, 'SIGKILL') },
  { name: 'kill -9 of the launcher (children notice on their own)', orderly: false, stop: (_s, tree) => process.kill(launcherOf(tree).pid, 'SIGKILL') },
];

describe('npm start: no process outlives a stop or a kill', () => {
  let dataDir: string;
  const everything: ProcessIdentity[] = [];

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-signals-'));
  });
  afterAll(() => {
    killAll(everything);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(cases)('$name', async ({ stop, orderly }) => {
    const ports = await freeStackPorts();
    const stack = launchStack({ how: 'npm', dataDir, ports });
    await waitForBanner(stack);
    expect((await fetch(`${stack.api}/healthz`)).status).toBe(200);
    const tree = processTree(stack.child.pid!);
    everything.push(...tree);
    // The stack really is all there before it is stopped.
    const commands = tree.map((p) => p.cmdline).join('\n');
    expect(commands).toMatch(/bin\/switchboard start/);
    expect(commands).toMatch(/postgres -D/);
    expect(commands).toMatch(/temporal server start-dev/);
    expect(commands).toMatch(/bin\/switchboard server/);
    expect(commands).toMatch(/bin\/switchboard worker/);

    stop(stack, tree);

    const left = await waitUntilAllGone(tree, GONE_WITHIN_MS);
    expect(left.map((p) => `${p.pid} ${p.cmdline}`)).toEqual([]);
    expect(await portsInUse(Object.values(ports))).toEqual([]);
    await expect(fetch(`${stack.api}/healthz`)).rejects.toThrow();
    await stack.exited;
    if (orderly) {
      const output = stack.output();
      expect(output).toMatch(/shutting down/);
      // Clients stop before Postgres does: an orderly stop logs no lost connection (issue 15, point 7).
      expect(output).not.toMatch(/database connection lost|57P01/);
    }
  }, 240_000);
});
