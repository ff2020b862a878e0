import { Kysely, sql } from 'kysely';

/**
 * Events sent by the endpoint test route (`POST /v1/tenants/{id}/endpoints/{id}/test`) are stored
 * like any other event so the delivery is recorded and visible, but marked `source = 'test'` so
 * reads, reconciliation and metrics can tell them from partner traffic.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table events drop constraint events_source_check`.execute(db);
  await sql`alter table events add constraint events_source_check check (source in ('partner', 'reconciliation', 'test'))`.execute(db);
  // Listing API keys per partner (partner-scoped key management) without a sequential scan.
  await db.schema.createIndex('api_keys_partner').on('api_keys').columns(['partner_id', 'tenant_id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('api_keys_partner').ifExists().execute();
  await sql`delete from events where source = 'test'`.execute(db);
  await sql`alter table events drop constraint events_source_check`.execute(db);
  await sql`alter table events add constraint events_source_check check (source in ('partner', 'reconciliation'))`.execute(db);
}
