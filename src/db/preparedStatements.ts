import type { Kysely, RawBuilder } from 'kysely';
import type pg from 'pg';

/**
 * Named prepared statements for the few hot statements whose planning costs more than running
 * them. Measured on the ingest statement (one CTE writing four tables): 1.3 ms → 0.55 ms per call
 * sequentially, and 2.3× the throughput with ten at once, because Postgres parses and plans it once
 * per connection instead of on every request (docs/benchmarks.md).
 *
 * A statement opts in at its call site with `executePrepared(db, 'name', sql`…`)`: Kysely builds
 * and compiles it, and pg runs it as the query config `{ name, text, values }`, which pg natively
 * prepares on a connection's first use and only binds and executes afterwards. Kysely's own
 * driver always runs unnamed queries, so a prepared statement goes to the database's pool
 * directly. Only constant statement texts may opt in: a name is bound to one text per connection.
 */
export async function executePrepared<DB, Row>(db: Kysely<DB>, name: string, query: RawBuilder<Row>): Promise<Row[]> {
  if (!VALID_NAME.test(name)) throw new Error(`invalid prepared statement name ${name}`);
  const compiled = query.compile(db);
  const pool = preparingPools.get(db);
  // With prepared statements off (e.g. behind PgBouncer in transaction mode before 1.21, where a
  // prepared statement may not exist on the next server connection), or on a database this module
  // was not told about, the same statement runs unnamed, like any other.
  if (!pool) return (await db.executeQuery(compiled)).rows;
  const { rows } = await pool.query<Row & pg.QueryResultRow>({ name, text: compiled.sql, values: [...compiled.parameters] });
  return rows;
}

/** A plain identifier: pg keys its per-connection statement cache by it. */
const VALID_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * The pools whose statements may be named, by the Kysely instance over them. Kept here rather
 * than passed along with every `db`: the statements' callers (the ingest write batcher, the
 * reconciliation replay) are handed a Kysely instance, and connectDatabase is where the choice is
 * made. Weak, so a destroyed database is forgotten.
 */
const preparingPools = new WeakMap<object, pg.Pool>();

/** connectDatabase's half: statements run through `db` may be prepared on `pool`'s connections. */
export function allowPreparedStatements<DB>(db: Kysely<DB>, pool: pg.Pool): void {
  preparingPools.set(db, pool);
}

/**
 * Session setting for a pool connection when named statements are on: plan each one once. By
 * default Postgres re-plans a named statement for every execution while its generic plan looks
 * dearer than a custom one, and the ingest statement's generic plan always looks dearer (it
 * assumes ten rows per array): measured, that doubled the cost of a one-event call (0.45 → 0.9
 * ms). Unnamed statements (everything else) are planned per execution either way.
 */
export const PLAN_ONCE = 'set plan_cache_mode = force_generic_plan';
