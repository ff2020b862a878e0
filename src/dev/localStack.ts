import path from 'node:path';
import { createCoreServices, type CoreServices } from '../bootstrap';
import { loadConfig, type Config } from '../config';
import { migrateToLatest } from '../db/migrate';
import { createLogger } from '../logger';
import { startServer, type RunningServer } from '../server/startServer';
import { startWorker, type RunningWorker } from '../temporal/worker';
import { LocalPostgres } from './embeddedPostgres';
import { loadOrCreateLocalSecrets } from './localSecrets';
import { publishLocalStackState } from './localStackState';
import { resolveTemporalCli } from './temporalCli';
import { TemporalDevServer } from './temporalDevServer';
import { startSdkDevServer, type SdkDevServer } from './sdkDevServer';

/**
 * `npm start`: the whole service on one machine, in order: embedded Postgres, migrations, the
 * Temporal dev server (with Web UI), the worker, the API server. Anything configured externally
 * (DATABASE_URL, TEMPORAL_ADDRESS) is used instead of starting it. Everything is kept under the
 * data dir, so a second start resumes with the rows and workflow histories of the first.
 */
export interface LocalStack {
  config: Config;
  apiUrl: string;
  temporalUiUrl?: string;
  server: RunningServer;
  worker: RunningWorker;
  core: CoreServices;
  stop(): Promise<void>;
}

export async function startLocalStack(): Promise<LocalStack> {
  const base = loadConfig();
  const log = createLogger(base.logLevel, { component: 'launcher' });
  const say = (line: string) => log.info(line);
  const secrets = loadOrCreateLocalSecrets(base.dataDir);
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.error({ err }, 'error while stopping');
      }
    }
  };

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
      await pg.start();
      stops.push(() => pg.stop());
      databaseUrl = pg.url();
    }

    let temporalAddress = base.temporal.address;
    let temporalUiUrl: string | undefined;
    if (!temporalAddress) {
      const cli = await resolveTemporalCli(base.temporal.cliPath, say);
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
        await dev.start();
        stops.push(() => dev.stop());
        temporalAddress = dev.address;
        temporalUiUrl = dev.uiUrl;
      } else {
        say('no temporal CLI and no Go toolchain: falling back to the SDK download of the dev server (needs internet)');
        const sdk: SdkDevServer = await startSdkDevServer(base, dbFile);
        stops.push(() => sdk.stop());
        temporalAddress = sdk.address;
        temporalUiUrl = sdk.uiUrl;
      }
    }

    const config = loadConfig({
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporalAddress,
      SWITCHBOARD_ADMIN_KEY: base.adminKey ?? secrets.adminKey,
      SWITCHBOARD_ENCRYPTION_KEY: base.encryptionKey ?? secrets.encryptionKey,
      // Local development delivers to local receivers; production leaves this false.
      SWITCHBOARD_ALLOW_PRIVATE_NETWORK: 'true',
    });
    const core = createCoreServices(config, 'local');
    stops.push(() => core.database.close());
    const migrated = await migrateToLatest(core.database.db);
    say(`migrations: ${migrated.results?.length ? migrated.results.map((r) => r.migrationName).join(', ') : 'up to date'}`);

    const worker = await startWorker({ ...core, db: core.database.db }, { reconciliationSchedule: true, retentionSchedule: true });
    stops.push(() => worker.shutdown());
    const server = await startServer(core);
    stops.push(() => server.close());
    // Ready: tell the operator CLI where this stack is (removed again on a clean stop).
    stops.push(publishLocalStackState(base.dataDir, { databaseUrl, temporal: { address: temporalAddress, namespace: config.temporal.namespace, taskQueue: config.temporal.taskQueue }, apiUrl: server.url, temporalUiUrl }));

    return {
      config,
      apiUrl: server.url,
      temporalUiUrl,
      server,
      worker,
      core,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
