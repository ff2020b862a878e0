import { Kysely, sql } from 'kysely';

/**
 * Outbox claims: whoever is starting an event's workflow (the ingest request that persisted it,
 * or one sweeper) holds a short lease, so several servers and workers sweeping the same outbox
 * never start the same workflow concurrently — duplicate starts are harmless but cost Temporal
 * the same work, and under a backlog that doubled load is what keeps a backlog from draining.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('events').addColumn('start_claimed_until', 'timestamptz').execute();
  await sql`drop index if exists events_outbox`.execute(db);
  await sql`create index events_outbox on events (terminal desc, received_at) include (start_claimed_until) where workflow_started_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists events_outbox`.execute(db);
  await sql`create index events_outbox on events (terminal desc, received_at) where workflow_started_at is null`.execute(db);
  await db.schema.alterTable('events').dropColumn('start_claimed_until').execute();
}
