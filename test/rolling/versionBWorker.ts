/**
 * `switchboard worker`, but running the version-B workflows (workflowsVersionB.ts): the process a
 * rolling deploy brings in. Same configuration (environment), same activities, same outbox relay;
 * only the workflow bundle differs. Usage: node --import tsx test/rolling/versionBWorker.ts
 */
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createCoreServices } from '../../src/bootstrap';
import { onShutdown } from '../../src/cli/shutdown';
import { loadConfig } from '../../src/config';
import { startWorker } from '../../src/temporal/worker';

async function main(): Promise<void> {
  const core = createCoreServices(loadConfig(), 'worker');
  const noop = () => undefined;
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: path.join(__dirname, 'workflowsVersionB.ts'),
    logger: { trace: noop, debug: noop, info: noop, warn: noop, error: noop, log: noop },
  });
  const worker = await startWorker({ ...core, db: core.database.db }, { workflowBundle });
  onShutdown('version B worker', async () => {
    await worker.shutdown();
    await core.database.close();
  });
  core.logger.info('version B worker ready');
  await worker.done;
}

main().catch((err: unknown) => {
  process.stderr.write(`version B worker failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
