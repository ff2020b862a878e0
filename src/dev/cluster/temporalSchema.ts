import { spawn } from 'node:child_process';
import pg from 'pg';
import { childEnv } from '../../config';
import { describeExit, exitOf, keepTail } from '../childProcess';
import { TEMPORAL_DATABASES, TEMPORAL_SCHEMAS, type PostgresEndpoint } from './serverConfig';

/**
 * Temporal's own databases in the Postgres server Switchboard uses, created and brought to the
 * schema version the server binary expects, with the server's own tool (temporal-sql-tool, whose
 * schemas are embedded in it): the same three steps an operator runs before an upgrade
 * (docs/operations.md). Every step is idempotent, so it runs on every start:
 *
 * 1. the database, if it does not exist;
 * 2. `setup-schema -v 0.0`: the schema_version bookkeeping tables only (CREATE … IF NOT EXISTS);
 * 3. `update-schema --schema-name postgresql/v12/…`: every versioned migration above the current
 *    version, nothing when it is current; a newer server binary brings newer migrations.
 */
export class TemporalSchemaError extends Error {
  override name = 'TemporalSchemaError';
}

export interface SchemaVersions {
  database: string;
  before: string | undefined;
  after: string | undefined;
}

export async function setupTemporalSchemas(sqlTool: string, endpoint: PostgresEndpoint, log: (line: string) => void): Promise<SchemaVersions[]> {
  const results: SchemaVersions[] = [];
  for (const kind of ['main', 'visibility'] as const) {
    const database = TEMPORAL_DATABASES[kind];
    await ensureDatabase(endpoint, database);
    const before = await schemaVersion(endpoint, database);
    await runSqlTool(sqlTool, endpoint, database, ['setup-schema', '-v', '0.0']);
    await runSqlTool(sqlTool, endpoint, database, ['update-schema', '--schema-name', TEMPORAL_SCHEMAS[kind]]);
    const after = await schemaVersion(endpoint, database);
    log(before === after ? `Temporal schema ${database}: ${after} (current)` : `Temporal schema ${database}: ${before ?? 'none'} → ${after}`);
    results.push({ database, before, after });
  }
  return results;
}

async function withClient<T>(endpoint: PostgresEndpoint, database: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: endpoint.host, port: endpoint.port, user: endpoint.user, password: endpoint.password, database });
  client.on('error', () => undefined); // a server going away under this short-lived client: the query rejects
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

async function ensureDatabase(endpoint: PostgresEndpoint, database: string): Promise<void> {
  await withClient(endpoint, 'postgres', async (client) => {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`create database "${database}"`);
  });
}

/** The version temporal-sql-tool recorded, or undefined before its first run. */
export async function schemaVersion(endpoint: PostgresEndpoint, database: string): Promise<string | undefined> {
  return withClient(endpoint, database, async (client) => {
    const table = await client.query(`select to_regclass('schema_version') as t`);
    if (!table.rows[0]?.t) return undefined;
    const row = await client.query<{ curr_version: string }>('select curr_version from schema_version where version_partition = 0 and db_name = $1', [database]);
    return row.rows[0]?.curr_version;
  });
}

export async function runSqlTool(sqlTool: string, endpoint: PostgresEndpoint, database: string, command: string[]): Promise<void> {
  // The password goes through the environment, not argv, so `ps` does not show it.
  const child = spawn(sqlTool, ['--plugin', 'postgres12', '--ep', endpoint.host, '--port', String(endpoint.port), '--user', endpoint.user, '--db', database, ...command], {
    env: childEnv({ SQL_PASSWORD: endpoint.password }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = keepTail(child.stdout);
  const err = keepTail(child.stderr);
  const exit = await exitOf(child);
  if (exit.code !== 0) throw new TemporalSchemaError(`temporal-sql-tool ${command[0]} on ${database} failed (${describeExit(exit)}):\n${out()}${err()}`);
}
