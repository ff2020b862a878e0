import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../../src/config';
import { migrateToLatest } from '../../src/db/migrate';
import { LocalPostgres } from '../../src/dev/embeddedPostgres';
import { resolveTemporalCli } from '../../src/dev/temporalCli';
import { TemporalDevServer } from '../../src/dev/temporalDevServer';
import { startClusterTemporal, TEST_TEMPORAL_PROFILE } from './clusterTemporal';
import { freePort } from './ports';

/**
 * ONE embedded Postgres and ONE Temporal server for the whole run (the dev server; with
 * SWITCHBOARD_TEST_TEMPORAL=cluster the full Temporal server on that Postgres, clusterTemporal.ts), on free ports (so tests
 * pass while `npm start` holds the defaults). Each test file then clones a migrated template
 * database and uses its own task queue, so files never see each other's rows or workflows.
 */
export default async function globalSetup(): Promise<void> {
  const config = loadConfig();
  const root = mkdtempSync(path.join(os.tmpdir(), 'switchboard-test-'));
  const log = (line: string) => {
    if (process.env['SWITCHBOARD_TEST_VERBOSE']) process.stderr.write(line + '\n');
  };

  const pgServer = new LocalPostgres({ dataDir: path.join(root, 'postgres'), port: await freePort(), password: 'test', log });
  // The dev CLI is needed in both profiles: tests of `npm start` and of a private dev server use it.
  const cli = await resolveTemporalCli(config.temporal.cliPath, (l) => process.stderr.write(l + '\n'));
  if (!cli) throw new Error('no temporal CLI found and no Go toolchain to build one: run `npm run temporal:provision`');
  let temporal: { address: string; uiUrl?: string; stop(): Promise<void> };
  if (TEST_TEMPORAL_PROFILE === 'cluster') {
    // The full Temporal server keeps its own databases in the run's Postgres.
    await pgServer.start();
    const cluster = await startClusterTemporal({ databaseUrl: pgServer.url('postgres'), rootDir: root, log });
    temporal = cluster;
    process.stderr.write(`[globalSetup] cluster profile: Temporal server ${cluster.address}, UI ${cluster.uiUrl}\n`);
  } else {
    const dev = new TemporalDevServer({
      cliPath: cli.path,
      port: await freePort(),
      uiPort: await freePort(),
      namespace: 'default',
      dbFile: path.join(root, 'temporal', 'temporal.db'),
      log,
    });
    await Promise.all([pgServer.start(), dev.start()]);
    temporal = { address: dev.address, uiUrl: dev.uiUrl, stop: () => dev.stop() };
  }

  const template = 'switchboard_template';
  const admin = new pg.Client({ connectionString: pgServer.url('postgres') });
  await admin.connect();
  await admin.query(`create database ${template}`);
  await admin.end();
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: pgServer.url(template) }) }) });
  await migrateToLatest(db);
  await db.destroy();

  process.env['SWITCHBOARD_TEST_PG_ADMIN_URL'] = pgServer.url('postgres');
  process.env['SWITCHBOARD_TEST_PG_TEMPLATE'] = template;
  process.env['SWITCHBOARD_TEST_TEMPORAL_ADDRESS'] = temporal.address;
  process.env['SWITCHBOARD_TEST_TEMPORAL_UI'] = temporal.uiUrl ?? '';
  process.env['SWITCHBOARD_TEST_TEMPORAL_PROFILE'] = TEST_TEMPORAL_PROFILE;
  process.env['SWITCHBOARD_TEST_TEMPORAL_CLI'] = cli.path;
  process.env['SWITCHBOARD_TEST_ROOT'] = root;
  (globalThis as Record<string, unknown>)['__switchboardTestServers'] = { pgServer, temporal, root };
}
