import { sql, type Kysely } from 'kysely';
import type { EventStatus } from '../../domain/statuses';
import type { Database } from '../schema';

/**
 * Sets an event's status and records its checkpoint together, only when the status changes: one
 * atomic statement, so a repeated settle writes nothing.
 */
export async function settleEventStatusStatement(
  db: Kysely<Database>,
  eventId: string,
  status: EventStatus,
  detail: { delivered: number; dead_lettered: number; total: number },
): Promise<void> {
  await sql`
    with changed as (
      update events set status = ${status}, updated_at = now()
      where id = ${eventId} and status <> ${status}
      returning id
    )
    insert into event_checkpoints (event_id, stage, detail)
    select id, ${status}, ${JSON.stringify(detail)}::jsonb from changed`.execute(db);
}
