import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createCoreServices, type CoreServices } from '../../src/bootstrap';
import { loadConfig, type Config, type RawEnv } from '../../src/config';
import { generateEncryptionKey } from '../../src/crypto/secretBox';
import { startServer, type RunningServer } from '../../src/server/startServer';
import { startWorker, type RunningWorker } from '../../src/temporal/worker';
import { connectClient } from '../../src/temporal/connection';
import type { Client } from '@temporalio/client';

/**
 * A Switchboard instance for one test file: its own database (cloned from the migrated template),
 * its own Temporal task queue on the shared dev server, a real worker and a real HTTP server on a
 * free port. Nothing is mocked.
 */
export interface TestStack {
  config: Config;
  core: CoreServices;
  server: RunningServer;
  worker?: RunningWorker;
  temporal: Client;
  api: string;
  adminKey: string;
  databaseUrl: string;
  close(): Promise<void>;
}

export async function createTestDatabase(): Promise<string> {
  const adminUrl = process.env['SWITCHBOARD_TEST_PG_ADMIN_URL'];
  const template = process.env['SWITCHBOARD_TEST_PG_TEMPLATE'];
  if (!adminUrl || !template) throw new Error('integration tests need the jest globalSetup (run through `npm test`)');
  const name = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${name} template ${template}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

export interface TestStackOptions {
  env?: Partial<Record<keyof RawEnv, string>>;
  /** A worker (with its outbox relay) in this process; without one no workflow starts. */
  worker?: boolean;
}

export async function startTestStack(opts: TestStackOptions = {}): Promise<TestStack> {
  const databaseUrl = await createTestDatabase();
  const adminKey = `sk_admin_test_${randomBytes(16).toString('hex')}`;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env['SWITCHBOARD_TEST_VERBOSE'] ? 'debug' : 'silent',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: process.env['SWITCHBOARD_TEST_TEMPORAL_ADDRESS'],
    TEMPORAL_TASK_QUEUE: `test-${randomBytes(6).toString('hex')}`,
    SWITCHBOARD_ADMIN_KEY: adminKey,
    SWITCHBOARD_ENCRYPTION_KEY: generateEncryptionKey(),
    SWITCHBOARD_ALLOW_PRIVATE_NETWORK: 'true',
    OUTBOX_SWEEP_INTERVAL: '500ms',
    DELIVERY_INITIAL_INTERVAL: '200ms',
    DELIVERY_BACKOFF_COEFFICIENT: '2',
    DELIVERY_MAX_INTERVAL: '2s',
    DELIVERY_TIMEOUT: '3s',
    DELIVERY_MAX_ATTEMPTS: '4',
    TENANT_RESOLUTION_WAIT: '2s',
    TENANT_RESOLUTION_POLL: '500ms',
    CIRCUIT_OPEN_DURATION: '2s',
    ...opts.env,
  });
  const core = createCoreServices(config, 'test');
  const worker = opts.worker === false ? undefined : await startWorker({ ...core, db: core.database.db });
  const server = await startServer(core);
  const temporal = await connectClient(config.temporal);
  return {
    config,
    core,
    server,
    worker,
    temporal,
    api: server.url,
    adminKey,
    databaseUrl,
    async close() {
      await server.close();
      await worker?.shutdown();
      await temporal.connection.close();
      await core.database.close();
    },
  };
}
