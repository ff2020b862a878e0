import { Kysely, sql } from 'kysely';

/**
 * Refusals of the default ingest route (`POST /v1/webhooks/{partner_id}`) that a partner should
 * see: why its POSTs were turned away (bad signature, stale timestamp, schema, size, rate). Only
 * a bounded sample is stored (src/refusals/refusalRecorder.ts), never a body, and the retention
 * purge removes rows past the window.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ingest_refusals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id').onDelete('cascade'))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('source_ip', 'text')
    .addColumn('webhook_id', 'text')
    .addColumn('event_type', 'text')
    .addColumn('call_id', 'text')
    .addColumn('dropped_before', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('ingest_refusals_partner').on('ingest_refusals').columns(['partner_id', 'id']).execute();
  await db.schema.createIndex('ingest_refusals_received_at').on('ingest_refusals').column('received_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('ingest_refusals').ifExists().execute();
}
