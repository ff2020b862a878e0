import { faultEnv } from '../faults/faultRun';
import { WorkerProcess } from '../faults/workerProcess';
import { createTestDatabase } from '../support/testStack';

/** Long enough for the start-up to finish and a graceful stop; past it the process is killed. */
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
    const worker = new WorkerProcess(faultEnv({ databaseUrl: await createTestDatabase(), temporalAddress: process.env['SWITCHBOARD_TEST_TEMPORAL_ADDRESS']! }));
    await worker.start(90_000, '"msg":"reconciliation schedule ');
    const outcome = await worker.stop(EXIT_DEADLINE_MS);
    expect({
      outcome,
      // Its own shutdown ran (relay stopped, pool and tracing closed), not just the SDK's.
      shutdownRan: worker.lines.some((l) => l.includes('worker: received SIGTERM: shutting down')),
    }).toEqual({ outcome: { code: 0, signal: null }, shutdownRan: true });
  });
});
