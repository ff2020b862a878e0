import { InvalidArgumentError, type Command } from 'commander';
import { createCoreServices } from '../bootstrap';
import { loadConfig } from '../config';
import { migrateToLatest } from '../db/migrate';
import { startClusterStack } from '../dev/cluster/clusterStack';
import { startLocalStack, type LocalStack } from '../dev/localStack';
import { watchParent } from '../dev/parentWatch';
import { StackStoppingError } from '../dev/supervisor';
import { startServer } from '../server/startServer';
import { startWorker } from '../temporal/worker';
import { favourWorkerMemoryOverSpeed } from '../temporal/workerHeap';
import { reportReadyToLauncher } from './launcherLink';
import { operatorCliLines } from './operatorCliHint';
import { onShutdown } from './shutdown';
import { startWorkerMetricsServer } from '../temporal/workerMetricsServer';
import { stopTracing } from '../telemetry/tracing';

// eslint-disable-next-line max-lines-per-function -- a table of commander subcommands (options and one small action each)
export function registerProcessCommands(program: Command): void {
  program
    .command('start')
    .description('Run the whole stack locally: embedded Postgres, Temporal dev server + UI, worker and API (npm start)')
    .option('--cluster', 'the production topology instead: the full Temporal server on Postgres (4 shards) + its Web UI, N API servers behind one URL, M workers')
    .option('--servers <n>', 'API server processes in cluster mode', positiveInt, 2)
    .option('--workers <n>', 'worker processes in cluster mode', positiveInt, 2)
    .action(async (opts: { cluster?: boolean; servers: number; workers: number }) => {
      // Signals are handled from the first moment: a stop during startup stops what has started.
      const startup = new AbortController();
      const starting = opts.cluster
        ? startClusterStack({ servers: opts.servers, workers: opts.workers, signal: startup.signal })
        : startLocalStack({ signal: startup.signal });
      const requestStop = onShutdown('launcher', async () => {
        startup.abort();
        const running = await starting.catch(() => undefined);
        await running?.stop();
      });
      // npm killed with -9 (or any parent dying) forwards no signal: notice it and stop too.
      watchParent((parent) => requestStop(`parent process ${parent} is gone`));
      let stack: LocalStack;
      try {
        stack = await starting;
      } catch (err) {
        if (err instanceof StackStoppingError) return; // the shutdown handler exits
        throw err;
      }
      printBanner(stack);
    });

  program
    .command('migrate')
    .description('Apply database migrations (idempotent) and exit')
    .action(async () => {
      const core = createCoreServices(loadConfig(), 'migrate');
      try {
        const result = await migrateToLatest(core.database.db);
        const applied = result.results?.map((r) => r.migrationName) ?? [];
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      } finally {
        await core.database.close();
      }
    });

  program
    .command('server')
    .description('Run the HTTP API (ingest, admin API, health, metrics); stateless, scale horizontally')
    .action(async () => {
      const core = createCoreServices(loadConfig(), 'server');
      const server = await startServer(core);
      onShutdown('server', async () => {
        await server.close();
        await core.database.close();
        await stopTracing(); // exports the last spans (tracing on)
      });
      reportReadyToLauncher({ url: server.url, port: server.port });
    });

  program
    .command('worker')
    .description('Run a Temporal worker: event, delivery, reconciliation and retention workflows, the outbox relay that starts the workflows of acknowledged events, and their Schedules; stateless, scale horizontally')
    .action(async () => {
      const config = loadConfig();
      if (config.workerOptimizeForSize) favourWorkerMemoryOverSpeed();
      const core = createCoreServices(config, 'worker');
      const { workerMetricsPort, workerSdkMetricsPort } = core.config;
      // The SDK's exporter stays on loopback; the worker's /metrics serves it merged with ours.
      const sdkMetricsAddress = workerMetricsPort ? `127.0.0.1:${workerSdkMetricsPort}` : undefined;
      const starting = (async () => {
        const worker = await startWorker({ ...core, db: core.database.db }, { sdkMetricsAddress, reconciliationSchedule: true, retentionSchedule: true });
        const metricsServer = workerMetricsPort
          ? await startWorkerMetricsServer({ port: workerMetricsPort, registry: core.metrics.registry, sdkMetricsUrl: `http://${sdkMetricsAddress}/metrics`, logger: core.logger })
          : undefined;
        return { worker, metricsServer };
      })();
      // Registered before start-up ends: a stop requested meanwhile (the SDK's runtime stops the
      // worker on the same signal) waits for it, then closes what it opened. Registered after, such
      // a stop bypassed it: the worker stopped polling, but the process stayed up with its pool,
      // relay and metrics server (under `npm start`, until the launcher killed it).
      onShutdown('worker', async () => {
        const started = await starting.catch(() => undefined);
        await started?.metricsServer?.close();
        await started?.worker.shutdown();
        await core.database.close();
        await stopTracing(); // exports the last spans (tracing on)
      });
      const { worker } = await starting;
      reportReadyToLauncher();
      await worker.done;
    });
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number of at least 1');
  return n;
}

/** The banner `npm start` prints once everything is ready: the one place it is printed. */
function printBanner(stack: LocalStack): void {
  const c = stack.config;
  const lines = [
    '',
    '  Switchboard is running',
    `    API            ${stack.apiUrl}`,
    `    Console        ${stack.apiUrl}/console/   (sign in with a partner or tenant API key)`,
    `    OpenAPI        ${stack.apiUrl}/openapi.json`,
    `    Metrics        ${stack.apiUrl}/metrics`,
    ...(stack.workerMetricsUrl ? [`    Worker metrics ${stack.workerMetricsUrl}`] : []),
    `    Temporal UI    ${stack.temporalUiUrl ?? '(external cluster: ' + c.temporal.address + ')'}`,
    `    Temporal gRPC  ${c.temporal.address}`,
    ...(stack.bannerLines ?? []),
    `    Admin API key  ${c.adminKey}`,
    `    Data dir       ${c.dataDir}`,
    ...operatorCliLines(c),
    '',
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
