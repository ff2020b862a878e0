import path from 'node:path';
import { loadConfig, type Config } from '../config';
import { connectDatabase } from '../db/connect';
import { migrateToLatest } from '../db/migrate';
import { createLogger } from '../logger';
import { LocalPostgres } from './embeddedPostgres';
import { loadOrCreateLocalSecrets } from './localSecrets';
import { publishLocalStackState } from './localStackState';
import { NodeService } from './nodeService';
import { startSdkDevServer } from './sdkDevServer';
import { StackStoppingError, Supervisor } from './supervisor';
import { resolveTemporalCli } from './temporalCli';
import { TemporalDevServer } from './temporalDevServer';

/**
 * `npm start`: the whole service on one machine, in order: embedded Postgres, migrations, the
 * Temporal dev server (with Web UI), then `switchboard worker` and `switchboard server` as child
 * processes, as production runs them. Anything configured externally (DATABASE_URL,
 * TEMPORAL_ADDRESS) is used instead of starting it. Everything is kept under the data dir, so a
 * second start resumes with the rows and workflow histories of the first.
 *
 * The launcher supervises every child it starts (supervisor.ts): one that dies is restarted with
 * a backoff. None outlives the launcher: stop() stops them in order (server and worker, then
 * Temporal, then Postgres), and if the launcher is killed outright the kernel signals Postgres and
 * Temporal (parentDeathSignal.ts) and the Node children see their IPC channel close.
 */
export interface LocalStack {
  /** The configuration the server and worker run with (DATABASE_URL and TEMPORAL_ADDRESS filled in). */
  config: Config;
  apiUrl: string;
  temporalUiUrl?: string;
  /** The worker's /metrics, when WORKER_METRICS_PORT is not 0. */
  workerMetricsUrl?: string;
  /** Lines the banner adds after the URLs (cluster mode: the topology). */
  bannerLines?: string[];
  /** PIDs of the supervised children running now, by name (postgres, temporal, worker, server). */
  pids(): Record<string, number | undefined>;
  stop(): Promise<void>;
}

export interface StartLocalStackOptions {
  /** Aborting stops whatever has started so far; startLocalStack then rejects with StackStoppingError. */
  signal?: AbortSignal;
}

// eslint-disable-next-line max-lines-per-function -- the launcher sequence: each step registers its own stop with the abort signal, so the order and the cleanup must read together
export async function startLocalStack(options: StartLocalStackOptions = {}): Promise<LocalStack> {
  const base = loadConfig();
  const log = createLogger(base.logLevel, { component: 'launcher' });
  const say = (line: string) => log.info(line);
  const secrets = loadOrCreateLocalSecrets(base.dataDir);
  const supervisor = new Supervisor(log);
  // Stopped after the supervised children, last added first: what is not a child of ours (the
  // SDK's own dev server, the last-resort fallback) and whatever else a stop must undo.
  const otherStops: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await supervisor.stopAll();
      for (const stopOne of otherStops.reverse()) await stopOne().catch((err: unknown) => log.error({ err }, 'error while stopping'));
    })());
  const stopRequested = () => {
    if (options.signal?.aborted) throw new StackStoppingError('stopped during startup');
  };
  options.signal?.addEventListener('abort', () => void stop(), { once: true });

  try {
    let databaseUrl = base.database.url;
    if (!databaseUrl) {
      const pg = new LocalPostgres({
        dataDir: path.join(base.dataDir, 'postgres'),
        port: base.database.embeddedPort,
        password: secrets.postgresPassword,
        log: (l) => log.debug(l),
      });
      say(`starting embedded PostgreSQL on 127.0.0.1:${base.database.embeddedPort}`);
      await supervisor.add('postgres', pg);
      databaseUrl = pg.url();
    }
    stopRequested();
    await migrate(databaseUrl, say);

    let temporalAddress = base.temporal.address;
    let temporalUiUrl: string | undefined;
    if (!temporalAddress) {
      const cli = await resolveTemporalCli(base.temporal.cliPath, say);
      stopRequested();
      const dbFile = path.join(base.dataDir, 'temporal', 'temporal.db');
      if (cli) {
        say(`starting Temporal dev server (${cli.source}: ${cli.path})`);
        const dev = new TemporalDevServer({
          cliPath: cli.path,
          port: base.temporal.port,
          uiPort: base.temporal.uiPort,
          namespace: base.temporal.namespace,
          dbFile,
          log: say,
        });
        await supervisor.add('temporal', dev);
        temporalAddress = dev.address;
        temporalUiUrl = dev.uiUrl;
      } else {
        say('no temporal CLI and no Go toolchain: falling back to the SDK download of the dev server (needs internet; not restarted if it dies)');
        const sdk = await startSdkDevServer(base, dbFile);
        otherStops.push(() => sdk.stop());
        temporalAddress = sdk.address;
        temporalUiUrl = sdk.uiUrl;
      }
    }
    stopRequested();

    const childEnv: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      SWITCHBOARD_ADMIN_KEY: base.adminKey ?? secrets.adminKey,
      SWITCHBOARD_ENCRYPTION_KEY: base.encryptionKey ?? secrets.encryptionKey,
      // Local development delivers to local receivers; production leaves this false.
      SWITCHBOARD_ALLOW_PRIVATE_NETWORK: 'true',
      // The console links workflows to the UI this stack started.
      ...(temporalUiUrl ? { SWITCHBOARD_TEMPORAL_UI_URL: temporalUiUrl } : {}),
    };
    const config = loadConfig(childEnv);
    const worker = new NodeService({ command: 'worker', env: childEnv });
    const server = new NodeService({ command: 'server', env: childEnv });
    // Side by side: the worker's bundling and the server's start overlap. The worker is added
    // first, so it is stopped after the server: nothing is acknowledged that no relay will start.
    await Promise.all([supervisor.add('worker', worker), supervisor.add('server', server)]);
    stopRequested();

    const apiUrl = String(server.ready?.['url']);
    const workerMetricsUrl = config.workerMetricsPort ? `http://127.0.0.1:${config.workerMetricsPort}/metrics` : undefined;
    // Ready: tell the operator CLI where this stack is (removed again on a clean stop).
    otherStops.push(
      publishLocalStackState(base.dataDir, {
        databaseUrl,
        temporal: { address: temporalAddress, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue },
        apiUrl,
        temporalUiUrl,
      }),
    );
    return { config, apiUrl, temporalUiUrl, workerMetricsUrl, pids: () => supervisor.pids(), stop };
  } catch (err) {
    await stop();
    if (options.signal?.aborted) throw new StackStoppingError('stopped during startup');
    throw err;
  }
}

export async function migrate(databaseUrl: string, say: (line: string) => void): Promise<void> {
  const database = connectDatabase(databaseUrl, 1);
  try {
    const migrated = await migrateToLatest(database.db);
    say(`migrations: ${migrated.results?.length ? migrated.results.map((r) => r.migrationName).join(', ') : 'up to date'}`);
  } finally {
    await database.close();
  }
}
