import { Kysely, sql } from 'kysely';

/**
 * Operational webhooks on the tenant delivery path (docs/operations.md, "Operational webhooks").
 * - `endpoints.purpose`: 'events' (tenant traffic, planned by the event workflow) or 'operations'
 *   (receives operational events only; never planned for tenant events).
 * - A partner-level operations endpoint has no tenant: `endpoints.tenant_id` and
 *   `deliveries.tenant_id` may be null, and the CHECK keeps that to operations endpoints (a
 *   delivery's tenant is its endpoint's, so the delivery check follows from the endpoint's).
 * - `events.source = 'operational'`: the event an operational event is delivered as.
 * - `operational_events.dispatched_at`: null until the dispatcher (src/operational/dispatcher.ts)
 *   has stored its deliveries and started their workflows. Rows that exist before this migration
 *   are marked dispatched: they were already reported (or not) the old way.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('endpoints')
    .addColumn('purpose', 'text', (c) => c.notNull().defaultTo('events').check(sql`purpose in ('events', 'operations')`))
    .execute();
  await sql`alter table endpoints alter column tenant_id drop not null`.execute(db);
  await sql`alter table endpoints add constraint endpoints_tenant_or_operations check (tenant_id is not null or purpose = 'operations')`.execute(db);
  await sql`alter table deliveries alter column tenant_id drop not null`.execute(db);
  await sql`create index endpoints_operations on endpoints (partner_id) where purpose = 'operations' and deleted_at is null`.execute(db);
  await sql`alter table events drop constraint events_source_check`.execute(db);
  await sql`alter table events add constraint events_source_check check (source in ('partner', 'reconciliation', 'test', 'operational'))`.execute(db);
  await db.schema.alterTable('operational_events').addColumn('dispatched_at', 'timestamptz').execute();
  await sql`update operational_events set dispatched_at = at`.execute(db);
  await sql`create index operational_events_undispatched on operational_events (id) where dispatched_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('operational_events_undispatched').ifExists().execute();
  await db.schema.alterTable('operational_events').dropColumn('dispatched_at').execute();
  await sql`delete from events where source = 'operational'`.execute(db);
  await sql`alter table events drop constraint events_source_check`.execute(db);
  await sql`alter table events add constraint events_source_check check (source in ('partner', 'reconciliation', 'test'))`.execute(db);
  await db.schema.dropIndex('endpoints_operations').ifExists().execute();
  await sql`delete from endpoints where purpose = 'operations'`.execute(db);
  await sql`alter table deliveries alter column tenant_id set not null`.execute(db);
  await sql`alter table endpoints drop constraint endpoints_tenant_or_operations`.execute(db);
  await sql`alter table endpoints alter column tenant_id set not null`.execute(db);
  await db.schema.alterTable('endpoints').dropColumn('purpose').execute();
}
