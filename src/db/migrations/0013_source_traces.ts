import { Kysely, sql } from 'kysely';

/**
 * Issue 19 leftovers. `source_id` on an event and on each of its receipts says which inbound
 * source the request came through (null: the default route, reconciliation, a test event). It is
 * a plain id, not a foreign key: sources are soft-deleted, so the id keeps resolving, and a
 * foreign key would add a lookup to every source ingest write. The index on
 * `source_receipts.received_at` is what the retention purge selects its batches through.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('events').addColumn('source_id', 'text').execute();
  await db.schema.alterTable('receipts').addColumn('source_id', 'text').execute();
  await db.schema.createIndex('source_receipts_received_at').on('source_receipts').column('received_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists source_receipts_received_at`.execute(db);
  await db.schema.alterTable('receipts').dropColumn('source_id').execute();
  await db.schema.alterTable('events').dropColumn('source_id').execute();
}
