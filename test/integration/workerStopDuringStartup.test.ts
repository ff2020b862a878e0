import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { faultEnv } from '../faults/faultRun';
import { createTestDatabase } from '../support/testStack';

/** Long enough for the start-up to finish and a graceful stop; a process left up never gets here. */
const EXIT_DEADLINE_MS = 60_000;

/**
 * A stop that arrives while `switchboard worker` is still starting (the launcher stopped right
 * after the API came up, or an orchestrator scaled the pod down at once) goes through the worker's
 * own shutdown like any other stop. The signal lands after the Temporal runtime is installed and
 * before the worker polls: the first Schedule line is printed in between. Before, only the SDK saw
 * it: the worker stopped polling, and the process lingered until its idle connections closed.
 */
describe('switchboard worker stopped during start-up', () => {
  it('goes through its own shutdown and exits cleanly', async () => {
    const env = faultEnv({ databaseUrl: await createTestDatabase(), temporalAddress: process.env['SWITCHBOARD_TEST_TEMPORAL_ADDRESS']! });
    const root = path.join(__dirname, '..', '..');
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'cli', 'main.ts'), 'worker'], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    readline.createInterface({ input: child.stderr }).on('line', (l) => lines.push(l));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    await new Promise<void>((resolve, reject) => {
      readline.createInterface({ input: child.stdout }).on('line', (l) => {
        lines.push(l);
        if (/"reconciliation schedule \w+"/.test(l)) {
          child.kill('SIGTERM');
          resolve();
        }
      });
      void exited.then(() => reject(new Error(`worker exited before its start-up got under way:\n${lines.join('\n')}`)));
    });
    let deadline: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      exited,
      new Promise<'still running'>((resolve) => (deadline = setTimeout(() => resolve('still running'), EXIT_DEADLINE_MS))),
    ]);
    clearTimeout(deadline);
    if (outcome === 'still running') child.kill('SIGKILL');
    expect({
      outcome,
      // Its own shutdown ran (relay stopped, pool and tracing closed), not just the SDK's.
      shutdownRan: lines.some((l) => l.includes('received SIGTERM: shutting down')),
    }).toEqual({ outcome: { code: 0, signal: null }, shutdownRan: true });
  });
});
