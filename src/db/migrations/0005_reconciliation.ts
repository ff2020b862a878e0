import { Kysely, sql } from 'kysely';

/**
 * Reconciliation bookkeeping beyond 0001: what each run replayed (the audit trail and the
 * idempotency record), the run's per-category counts, and one incident per (run, partner) so a
 * retried activity cannot raise the same incident twice.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('reconciliation_runs')
    .addColumn('in_flight', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('incidents_raised', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('continued_as_new', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error', 'text')
    .execute();
  await db.schema.createIndex('reconciliation_runs_started').on('reconciliation_runs').column('started_at').execute();
  await sql`create unique index reconciliation_runs_workflow on reconciliation_runs (workflow_id) where workflow_id is not null`.execute(db);

  await db.schema
    .createTable('reconciliation_replays')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('reconciliation_runs.id'))
    .addColumn('partner_id', 'text', (c) => c.notNull().references('partners.id'))
    .addColumn('call_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) =>
      c.notNull().check(sql`action in ('synthesized', 'started', 'restarted', 'redriven')`),
    )
    .addColumn('event_id', 'text', (c) => c.references('events.id'))
    .addColumn('workflow_id', 'text')
    .addColumn('error', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('reconciliation_replays_run').on('reconciliation_replays').column('run_id').execute();
  await db.schema.createIndex('reconciliation_replays_call').on('reconciliation_replays').columns(['partner_id', 'call_id']).execute();

  await sql`create unique index incidents_run_partner on incidents (reconciliation_run_id, partner_id) where reconciliation_run_id is not null`.execute(db);
  await db.schema.createIndex('incidents_partner_status').on('incidents').columns(['partner_id', 'status', 'created_at']).execute();
  // Reconciliation looks up each terminal call's terminal event by (partner, call_id).
  await sql`create index events_terminal_call on events (partner_id, call_id) where terminal`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists events_terminal_call`.execute(db);
  await sql`drop index if exists incidents_partner_status`.execute(db);
  await sql`drop index if exists incidents_run_partner`.execute(db);
  await db.schema.dropTable('reconciliation_replays').ifExists().execute();
  await sql`drop index if exists reconciliation_runs_workflow`.execute(db);
  await sql`drop index if exists reconciliation_runs_started`.execute(db);
  await db.schema
    .alterTable('reconciliation_runs')
    .dropColumn('in_flight')
    .dropColumn('incidents_raised')
    .dropColumn('continued_as_new')
    .dropColumn('error')
    .execute();
}
