import { randomBytes } from 'node:crypto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { workflowBundle } from '../../src/temporal/worker';

/**
 * The real workflow bundle on the suite's Temporal dev server (test/support/globalSetup.ts), on a
 * task queue of its own, with every activity replaced by a stub the test controls. No Postgres
 * and no HTTP: what is exercised is the workflows' own decisions (which step comes next, what a
 * child is handed, when to park), each in about a second.
 */
export type ActivityStubs = { [K in keyof Activities]: jest.Mock<ReturnType<Activities[K]>, Parameters<Activities[K]>> };

export interface StubbedWorkflowWorker {
  client: Client;
  /** Starts a workflow on this worker's task queue with a fresh id (`<name>-<random>`). */
  start(workflowType: string, name: string, args: unknown[]): Promise<WorkflowHandle>;
  /** The input a workflow (a child, say) was started with, read from the first event of its history. */
  inputOf<T>(workflowId: string): Promise<T>;
  /** Whether a workflow with this id was ever started. */
  exists(workflowId: string): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Starts the worker with `stubs` as its activities. The stubs are jest mocks, so a test changes
 * what they do with `mockImplementation` and asserts on their calls.
 */
export async function startStubbedWorkflowWorker(stubs: Partial<ActivityStubs>): Promise<StubbedWorkflowWorker> {
  const address = process.env['SWITCHBOARD_TEST_TEMPORAL_ADDRESS'];
  if (!address) throw new Error('workflow tests need the jest globalSetup (the suite-wide Temporal dev server)');
  // Workflow and SDK chatter stays out of the test output; errors still show.
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  const taskQueue = `wf-stubbed-${randomBytes(6).toString('hex')}`;
  const nativeConnection = await NativeConnection.connect({ address });
  const worker = await Worker.create({ connection: nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: stubs });
  const running = worker.run();
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  return {
    client,
    start(workflowType, name, args) {
      return client.workflow.start(workflowType, {
        taskQueue,
        workflowId: `${name}-${randomBytes(4).toString('hex')}`,
        args,
        // A workflow stuck on a broken stub fails the test in seconds instead of at jest's timeout.
        workflowExecutionTimeout: '30s',
      });
    },
    async inputOf<T>(workflowId: string) {
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      if (!payload) throw new Error(`no input recorded for ${workflowId}`);
      return defaultPayloadConverter.fromPayload<T>(payload as Payload);
    },
    async exists(workflowId: string) {
      try {
        await client.workflow.getHandle(workflowId).describe();
        return true;
      } catch (err) {
        if ((err as Error).name === 'WorkflowNotFoundError') return false;
        throw err;
      }
    },
    async close() {
      worker.shutdown();
      await running;
      await connection.close();
      await nativeConnection.close();
    },
  };
}
