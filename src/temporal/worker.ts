import { Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createDeliveryAgent } from '../net/webhookHttpClient';
import { OperationalDispatcher } from '../operational/operationalDispatcher';
import { OutboxRelay } from '../outbox/relay';
import { OutboxListener } from '../outbox/signal';
import { StartPacer } from '../outbox/startPacer';
import { connectWorkerConnection } from './connection';
import { installTemporalRuntime } from './runtime';
import { TRACED_BUNDLE_FLAG } from './bundleVariant';
import { startTracing } from '../telemetry/tracing';
import { ensureReconciliationSchedule, ensureRetentionSchedule } from './schedules';
import type { Services } from '../services';

/** Operational events are rare; a second of latency on an alert is fine. */
const OPERATIONAL_DISPATCH_POLL_MS = 1_000;

/** One bundle per variant: with OpenTelemetry's workflow interceptors (tracing on) or without. */
const bundlePromises = new Map<boolean, Promise<{ code: string }>>();

/**
 * The workflow bundle, made once per process (tests and the bench share it between workers) in a
 * short-lived child process (./bundleWorkflowsMain), so webpack's memory never stays with the
 * worker. Running from source, the child runs the source under tsx too.
 */
export function workflowBundle(traced = false): Promise<{ code: string }> {
  let bundle = bundlePromises.get(traced);
  if (!bundle) bundlePromises.set(traced, (bundle = bundleInChild(traced)));
  return bundle;
}

function bundleInChild(traced: boolean): Promise<{ code: string }> {
  const main = require.resolve('./bundleWorkflowsMain');
  const args = [...(main.endsWith('.ts') ? ['--import', 'tsx', main] : [main]), ...(traced ? [TRACED_BUNDLE_FLAG] : [])];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' }, (err, code, stderr) => {
      if (err) reject(new Error(`workflow bundling failed: ${stderr || err.message}`));
      else resolve({ code });
    });
  });
}

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker stops; rejects if it crashed. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export interface StartWorkerOptions {
  /** `host:port` for the Temporal SDK's Prometheus exporter (the `worker` command: loopback). */
  sdkMetricsAddress?: string;
  /**
   * Create or update the daily reconciliation Schedule before polling. On for the `worker` and
   * `start` commands; off by default so tests (which share one Temporal server) opt in.
   */
  reconciliationSchedule?: boolean;
  /** Create or update the daily retention purge Schedule before polling (same reasoning). */
  retentionSchedule?: boolean;
  /**
   * Run the outbox relay (start the workflows of acknowledged events). On by default: every
   * worker relays, so acknowledged events start as long as any worker runs.
   */
  relay?: boolean;
  /** Another build of the workflows (the rolling-deploy test's "version B"); default: workflows/. */
  workflowBundle?: { code: string };
}

export async function startWorker(deps: Services, opts: StartWorkerOptions = {}): Promise<RunningWorker> {
  const { config, logger } = deps;
  installTemporalRuntime(logger, opts.sdkMetricsAddress);
  // Off by default: then nothing of OpenTelemetry is loaded, and no interceptor is installed.
  const tracing = startTracing(config.telemetry);
  const connection = await connectWorkerConnection(config.temporal);
  // One client on the worker's native connection: starts and Schedules go through Rust, not grpc-js.
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    ...(tracing ? { interceptors: { workflow: tracing.clientInterceptors() } } : {}),
  });
  if (opts.reconciliationSchedule) await ensureReconciliationSchedule(client, config, logger);
  if (opts.retentionSchedule) await ensureRetentionSchedule(client, config, logger);
  const agent = createDeliveryAgent(config.allowPrivateNetwork);
  // The relay paces its starts by the routing steps they bring to this worker, so starts stay eager.
  const pacer = opts.relay === false ? undefined : new StartPacer(config.ingest.maxInflightStarts);
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: opts.workflowBundle ?? (await workflowBundle(Boolean(tracing))),
    ...tracing?.workerOptions(),
    activities: createActivities(deps, agent, (eventId) => pacer?.finished(eventId)),
    // Sized for small machines; raise with more cores. Deliveries are I/O-bound, so activity
    // slots can exceed cores comfortably.
    maxConcurrentActivityTaskExecutions: 200,
    // Workflow task slots: the relay's eager starts need a free one each (else the server queues
    // the task), up to INGEST_MAX_INFLIGHT_STARTS routing steps before their POSTs, plus pollers,
    // children and timers. Inline first attempts keep their task open for the POST: they get
    // workflow task and local activity slots of their own on top, so hanging endpoints can never
    // take the slots everything else (the database steps included) needs.
    maxConcurrentWorkflowTaskExecutions: 100 + config.delivery.inlineAttempts,
    maxConcurrentLocalActivityExecutions: 100 + config.delivery.inlineAttempts,
    // A delivered event completes in its first workflow task and leaves the cache at once; only
    // waiting ones (a deferred attempt, a child running retries) stay, and each costs the worker
    // memory (2000 cached: 555-700 MB peak RSS at ~1000 in flight). An evicted one is replayed from
    // its short history when its next task comes.
    maxCachedWorkflows: 150,
  });
  const relay = opts.relay === false ? undefined : startOutboxRelay(deps, client, pacer);
  // Operational events ride on the relay switch: a worker that starts workflows starts these too.
  const dispatcher = opts.relay === false ? undefined : new OperationalDispatcher(deps.db, client, config, logger, OPERATIONAL_DISPATCH_POLL_MS);
  dispatcher?.start();
  logger.info({ task_queue: config.temporal.taskQueue, namespace: config.temporal.namespace, relay: Boolean(relay) }, 'worker started');
  const done = worker.run().finally(async () => {
    await relay?.stop();
    await dispatcher?.stop();
    await agent.close();
    await connection.close();
  });
  return {
    worker,
    done,
    async shutdown() {
      // Stop starting new workflows first, then drain the worker.
      await relay?.stop();
      await dispatcher?.stop();
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

/** The outbox relay: woken by ingest's notifications, polling as a fallback. */
function startOutboxRelay(deps: Services, client: Client, pacer?: StartPacer): { stop(): Promise<void> } {
  const relay = new OutboxRelay(deps.db, client, deps.config, deps.logger, deps.metrics, pacer);
  relay.startRelay();
  const listener = new OutboxListener(deps.config.database.url!, () => relay.kick(), deps.logger);
  listener.start();
  let stopping: Promise<void> | undefined;
  return {
    stop: () => (stopping ??= Promise.all([listener.close(), relay.stop()]).then(() => undefined)),
  };
}
