import { NativeConnection, Worker } from '@temporalio/worker';
import { createBaselineActivities } from './baselineActivities';

/** The baseline worker process. argv: temporalAddress taskQueue secret */
const [address, taskQueue, secret] = process.argv.slice(2);

async function main() {
  const connection = await NativeConnection.connect({ address: address! });
  const worker = await Worker.create({
    connection,
    taskQueue: taskQueue!,
    workflowsPath: require.resolve('./baselineWorkflow'),
    activities: createBaselineActivities(secret!),
    // Same tuning as Switchboard's worker (src/temporal/worker.ts), so only the work differs.
    maxConcurrentActivityTaskExecutions: 200,
    maxConcurrentWorkflowTaskExecutions: 40,
    maxCachedWorkflows: 2000,
  });
  process.on('SIGTERM', () => worker.shutdown());
  process.stdout.write('ready\n');
  await worker.run();
  await connection.close();
}
main().catch((err: unknown) => {
  process.stderr.write(String(err) + '\n');
  process.exit(1);
});
