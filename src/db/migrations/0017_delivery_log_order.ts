import { Kysely, sql } from 'kysely';

/**
 * The delivery log (`GET /v1/deliveries`, the console) reads newest activity first and pages by
 * `(updated_at, id)`: this index serves each page as a short index scan instead of sorting every
 * delivery in scope.
 *
 * Built under the migration's transaction, so it blocks writes to `deliveries` while it builds.
 * On a large table, build it first by hand without the lock (`create index concurrently
 * deliveries_activity on deliveries (updated_at desc, id desc)`); this migration then finds it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists deliveries_activity on deliveries (updated_at desc, id desc)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists deliveries_activity`.execute(db);
}
