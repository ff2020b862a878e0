import { sql, type Kysely } from 'kysely';
import type { DeliveryStatus } from '../../domain/statuses';
import type { Database } from '../schema';

/** A delivery row to create if its (endpoint, event) has none yet. */
export interface PlannedDeliveryRow {
  id: string;
  endpoint_id: string;
  partner_id: string;
  workflow_id: string;
}

/** Every delivery of the event after planning, new or from an earlier run, with its endpoint. */
export interface PlanDeliveriesRow {
  id: string;
  endpoint_id: string;
  status: DeliveryStatus;
  url: string;
  max_attempts: number | null;
}

/**
 * New rows, the event's rows from an earlier run of this step, the `delivering` checkpoint and the
 * event status in ONE statement (atomic, one round trip). A data-modifying CTE's rows are
 * invisible to the rest of the statement, so new rows come from RETURNING and earlier ones from
 * the table. UNIQUE(endpoint_id, event_id) makes a re-run a no-op.
 */
export async function planDeliveriesStatement(
  db: Kysely<Database>,
  plan: { eventId: string; tenantId: string; rows: PlannedDeliveryRow[] },
): Promise<PlanDeliveriesRow[]> {
  const { rows } = await sql<PlanDeliveriesRow>`
    with ins as (
      insert into deliveries (id, event_id, endpoint_id, tenant_id, partner_id, workflow_id)
      select p.id, ${plan.eventId}, p.endpoint_id, ${plan.tenantId}, p.partner_id, p.workflow_id
      from jsonb_to_recordset(${JSON.stringify(plan.rows)}::jsonb) as p(id text, endpoint_id text, partner_id text, workflow_id text)
      on conflict (endpoint_id, event_id) do nothing
      returning id, endpoint_id, status
    ),
    all_rows as (
      select id, endpoint_id, status from ins
      union all
      select id, endpoint_id, status from deliveries where event_id = ${plan.eventId}
    ),
    checkpoint as (
      insert into event_checkpoints (event_id, stage, detail)
      select ${plan.eventId}, 'delivering', jsonb_build_object('endpoints', coalesce(jsonb_agg(endpoint_id order by endpoint_id), '[]'::jsonb))
      from all_rows
      returning 1
    ),
    event as (
      update events set status = 'delivering', updated_at = now() where id = ${plan.eventId} returning 1
    )
    -- checkpoint and event run whether or not they are read (Postgres runs every data-modifying CTE).
    select r.id, r.endpoint_id, r.status, e.url, e.max_attempts
    from all_rows r join endpoints e on e.id = r.endpoint_id
    order by r.endpoint_id`.execute(db);
  return rows;
}
