import { sql, type Kysely } from 'kysely';
import type { Database } from './db/schema';
import type { DatabaseSnapshot } from './metrics';

/**
 * The state gauges of /metrics in one round trip: endpoints whose circuit is not closed (live
 * endpoints only), quarantine items waiting for review, deliveries dead-lettered now.
 */
export async function readDatabaseSnapshot(db: Kysely<Database>): Promise<DatabaseSnapshot> {
  const { rows } = await sql<{ open_circuits: string; open_quarantine: string; dead_lettered: string }>`
    select
      (select count(*) from endpoints where circuit_state <> 'closed' and deleted_at is null) as open_circuits,
      (select count(*) from quarantine where status = 'open') as open_quarantine,
      (select count(*) from deliveries where status = 'dead_lettered') as dead_lettered
  `.execute(db);
  const r = rows[0]!;
  return { openCircuits: Number(r.open_circuits), openQuarantine: Number(r.open_quarantine), deadLettered: Number(r.dead_lettered) };
}
