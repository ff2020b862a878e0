import { sql } from 'kysely';
import type { EventStatus } from '../src/domain/statuses';
import { settleEventStatusStatement } from '../src/db/statements/settleEventStatus';
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/schema';
import type { ActivityDeps } from './deps';

export interface CheckpointInput {
  eventId: string;
  stage: EventStatus | 'workflow_started';
  detail?: Record<string, unknown>;
  /** Also move events.status to this stage. */
  setStatus?: boolean;
}

export function checkpointActivities({ db }: ActivityDeps) {
  return {
    /** Append a stage to the event's checkpoint log (and optionally its status) in one transaction. */
    async recordCheckpoint(input: CheckpointInput): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('event_checkpoints')
          .values({ event_id: input.eventId, stage: input.stage, detail: input.detail ? JSON.stringify(input.detail) : null })
          .execute();
        if (input.setStatus && input.stage !== 'workflow_started') {
          await trx
            .updateTable('events')
            .set({ status: input.stage, updated_at: sql`now()` })
            .where('id', '=', input.eventId)
            .execute();
        }
      });
    },

    /**
     * Derive the event's status from its deliveries (after the first run or a redrive) and record
     * a checkpoint when it changes. Returns the new status.
     */
    async settleEventStatus(eventId: string): Promise<EventStatus> {
      return settleEvent(db, eventId);
    },
  };
}

/** An event's status from its deliveries' (see settleEventStatus), written with its checkpoint when it changes. */
export async function settleEvent(db: Kysely<Database>, eventId: string): Promise<EventStatus> {
  const rows = await db
    .selectFrom('deliveries')
    .select(['status', sql<number>`count(*)::int`.as('n')])
    .where('event_id', '=', eventId)
    .groupBy('status')
    .execute();
  const count = (s: string) => rows.find((r) => r.status === s)?.n ?? 0;
  const total = rows.reduce((a, r) => a + r.n, 0);
  const delivered = count('delivered');
  const dead = count('dead_lettered');
  let status: EventStatus;
  if (total === 0) status = 'no_subscribers';
  else if (delivered === total) status = 'delivered';
  else if (delivered + dead < total) status = 'delivering';
  else if (delivered === 0) status = 'dead_lettered';
  else status = 'partially_delivered';
  await settleEventStatusStatement(db, eventId, status, { delivered, dead_lettered: dead, total });
  return status;
}
