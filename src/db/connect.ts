import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { allowPreparedStatements, PLAN_ONCE } from './preparedStatements';
import type { Database } from './schema';

// Postgres bigint (bigserial ids, count(*)) arrives as a string by default; keep it that way for
// ids but parse int8 counts explicitly at call sites. timestamptz parses to Date (pg default).

export interface DbHandle {
  db: Kysely<Database>;
  pool: pg.Pool;
  close(): Promise<void>;
}

export function connectDatabase(url: string, poolSize = 10, onConnectionError?: (err: Error) => void, preparedStatements = true): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    // Fail fast rather than queue forever when Postgres is gone; ingest turns this into a 503.
    query_timeout: 30_000,
    // pg-pool awaits this before it hands a new client out (its types say void), so the setting
    // runs before the client's first query instead of queued together with it, which pg
    // deprecates (two queries queued on one client; refused in pg 9). Should the setting fail,
    // statements still run, only planned more often: reported, not fatal.
    // eslint-disable-next-line @typescript-eslint/no-misused-promises
    onConnect: preparedStatements ? (client) => client.query(PLAN_ONCE).then(noResult, (err: Error) => onConnectionError?.(err)) : undefined,
  });
  // A connection lost while a client is checked out (Postgres restarted mid-query) makes pg emit
  // 'error' on that client, and pg-pool only listens on idle clients: without a listener of our
  // own that event is unhandled and takes the whole process down. The query itself still rejects
  // (ingest answers 503, activities retry); here the loss is only logged.
  pool.on('connect', (client) => {
    client.on('error', (err) => onConnectionError?.(err));
  });
  // The same loss on an idle client reaches the pool too; the client listener above has logged it.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  if (preparedStatements) allowPreparedStatements(db, pool);
  return {
    db,
    pool,
    async close() {
      await db.destroy();
    },
  };
}

const noResult = (): void => undefined;
