import { Kysely, sql } from 'kysely';

/**
 * Indexes the retention purge needs to find rows past the window without a sequential scan per
 * batch (receipts, delivery_attempts and reconciliation_runs already have theirs). The rate-window
 * index costs one more btree entry per rate-limited send, which is what lets a daily purge pick
 * stale one-second windows in batches.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('event_checkpoints_at').on('event_checkpoints').column('at').execute();
  await db.schema.createIndex('operational_events_at').on('operational_events').column('at').execute();
  await db.schema.createIndex('endpoint_rate_windows_start').on('endpoint_rate_windows').column('window_start').execute();
  await sql`create index quarantine_resolved on quarantine (resolved_at) where status <> 'open'`.execute(db);
  await sql`create index incidents_resolved on incidents (resolved_at) where status = 'resolved'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const index of ['incidents_resolved', 'quarantine_resolved', 'endpoint_rate_windows_start', 'operational_events_at', 'event_checkpoints_at']) {
    await sql`drop index if exists ${sql.ref(index)}`.execute(db);
  }
}
