import path from 'node:path';
import { loadConfig } from '../../config';
import { createLogger } from '../../logger';
import { LocalPostgres } from '../embeddedPostgres';
import { loadOrCreateLocalSecrets } from '../localSecrets';
import { migrate, type LocalStack } from '../localStack';
import { publishLocalStackState } from '../localStackState';
import { NodeService } from '../nodeService';
import { StackStoppingError, Supervisor } from '../supervisor';
import { startApiProxy } from './apiProxy';
import { ApiServerInstance } from './apiServerInstance';
import { provisionClusterBinaries, TEMPORAL_SERVER_VERSION } from './clusterBinaries';
import { HISTORY_SHARDS, portsFromFrontend, type PostgresEndpoint } from './serverConfig';
import { setupTemporalSchemas } from './temporalSchema';
import { TemporalClusterServer } from './temporalServer';
import { TemporalUiServer } from './uiServer';

/**
 * `switchboard start --cluster` (`npm start -- --cluster`): the production topology on one
 * machine. The full Temporal server (built from its Go module, cached in ~/.cache/switchboard) on
 * the same Postgres as Switchboard (embedded, or DATABASE_URL's server) with 4 history shards and
 * SQL visibility, the Temporal Web UI server, M `switchboard worker` and N `switchboard server`
 * processes, and one URL in front of the servers (apiProxy.ts). Every process is a supervised
 * child restarted when it dies, as in the dev-server stack (localStack.ts).
 */
export interface ClusterStackOptions {
  servers: number;
  workers: number;
  signal?: AbortSignal;
}

export class ClusterModeError extends Error {
  override name = 'ClusterModeError';
}

export function postgresEndpoint(databaseUrl: string): PostgresEndpoint {
  const url = new URL(databaseUrl);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

/** Worker i's /metrics and its SDK exporter: two ports per worker from WORKER_METRICS_PORT up (0 = off). */
export function workerMetricsEnv(basePort: number, index: number): Record<string, string> {
  if (basePort === 0) return { WORKER_METRICS_PORT: '0' };
  return { WORKER_METRICS_PORT: String(basePort + 2 * index), WORKER_SDK_METRICS_PORT: String(basePort + 2 * index + 1) };
}

// eslint-disable-next-line max-lines-per-function -- the launcher sequence: each step registers its own stop, so the order and the cleanup read together (as in localStack.ts)
export async function startClusterStack(options: ClusterStackOptions): Promise<LocalStack> {
  const base = loadConfig();
  if (base.temporal.address) throw new ClusterModeError('--cluster runs its own Temporal server: unset TEMPORAL_ADDRESS (or drop --cluster to use that cluster)');
  if (options.servers < 1 || options.workers < 1) throw new ClusterModeError('--servers and --workers must be at least 1');
  const log = createLogger(base.logLevel, { component: 'launcher' });
  const say = (line: string) => log.info(line);
  const secrets = loadOrCreateLocalSecrets(base.dataDir);
  const supervisor = new Supervisor(log);
  const firstStops: Array<() => Promise<void>> = [];
  const lastStops: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const stopOne of firstStops) await stopOne().catch((err: unknown) => log.error({ err }, 'error while stopping'));
      await supervisor.stopAll();
      for (const stopOne of lastStops.reverse()) await stopOne().catch((err: unknown) => log.error({ err }, 'error while stopping'));
    })());
  const stopRequested = () => {
    if (options.signal?.aborted) throw new StackStoppingError('stopped during startup');
  };
  options.signal?.addEventListener('abort', () => void stop(), { once: true });

  try {
    const binaries = await provisionClusterBinaries(say);
    stopRequested();

    let databaseUrl = base.database.url;
    if (!databaseUrl) {
      const pg = new LocalPostgres({ dataDir: path.join(base.dataDir, 'postgres'), port: base.database.embeddedPort, password: secrets.postgresPassword, log: (l) => log.debug(l) });
      say(`starting embedded PostgreSQL on 127.0.0.1:${base.database.embeddedPort}`);
      await supervisor.add('postgres', pg);
      databaseUrl = pg.url();
    }
    stopRequested();
    await migrate(databaseUrl, say);
    const endpoint = postgresEndpoint(databaseUrl);
    await setupTemporalSchemas(binaries.sqlTool, endpoint, say);
    stopRequested();

    const namespace = base.temporal.namespace;
    const temporal = new TemporalClusterServer({
      serverPath: binaries.server,
      rootDir: path.join(base.dataDir, 'temporal-cluster'),
      ports: portsFromFrontend(base.temporal.port),
      postgres: endpoint,
      namespace,
      log: say,
    });
    say(`starting Temporal server ${TEMPORAL_SERVER_VERSION} (${HISTORY_SHARDS} history shards, Postgres) on ${temporal.address}`);
    await supervisor.add('temporal', temporal);
    stopRequested();
    const ui = new TemporalUiServer({
      uiServerPath: binaries.uiServer,
      rootDir: path.join(base.dataDir, 'temporal-ui'),
      port: base.temporal.uiPort,
      temporalAddress: temporal.address,
      namespace,
      log: say,
    });
    await supervisor.add('temporal-ui', ui);
    stopRequested();

    const childEnv: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      SWITCHBOARD_ADMIN_KEY: base.adminKey ?? secrets.adminKey,
      SWITCHBOARD_ENCRYPTION_KEY: base.encryptionKey ?? secrets.encryptionKey,
      SWITCHBOARD_ALLOW_PRIVATE_NETWORK: 'true',
    };
    const config = loadConfig(childEnv);
    // Workers first: they are stopped after the servers, so nothing is acknowledged that no relay starts.
    await Promise.all(
      Array.from({ length: options.workers }, (_, i) =>
        supervisor.add(`worker-${i + 1}`, new NodeService({ command: 'worker', env: { ...childEnv, ...workerMetricsEnv(config.workerMetricsPort, i) } })),
      ),
    );
    stopRequested();
    const servers = Array.from({ length: options.servers }, () => new ApiServerInstance({ ...childEnv, HOST: '127.0.0.1' }));
    await Promise.all(servers.map((s, i) => supervisor.add(`server-${i + 1}`, s)));
    stopRequested();

    const proxy = await startApiProxy({
      host: config.http.host,
      port: config.http.port,
      backends: () => servers.map((s) => s.url).filter((u): u is string => u !== undefined),
    });
    firstStops.push(() => proxy.close());
    lastStops.push(
      publishLocalStackState(base.dataDir, {
        databaseUrl,
        temporal: { address: temporal.address, namespace, taskQueue: config.temporal.taskQueue },
        apiUrl: proxy.url,
        temporalUiUrl: ui.url,
      }),
    );
    const workerMetricsUrl = config.workerMetricsPort ? `http://127.0.0.1:${config.workerMetricsPort}/metrics` : undefined;
    const topology = [
      `    Topology       ${options.servers} API server(s) behind the URL above, ${options.workers} worker(s)`,
      `    Temporal       server ${TEMPORAL_SERVER_VERSION}, ${HISTORY_SHARDS} history shards, Postgres ${endpoint.host}:${endpoint.port} (databases temporal, temporal_visibility)`,
      ...(workerMetricsUrl && options.workers > 1 ? [`    Worker metrics one per worker, ports ${config.workerMetricsPort}, ${config.workerMetricsPort + 2}, …`] : []),
    ];
    return { config: { ...config, temporal: { ...config.temporal, address: temporal.address } }, apiUrl: proxy.url, temporalUiUrl: ui.url, workerMetricsUrl, bannerLines: topology, pids: () => supervisor.pids(), stop };
  } catch (err) {
    await stop();
    if (options.signal?.aborted) throw new StackStoppingError('stopped during startup');
    throw err;
  }
}
