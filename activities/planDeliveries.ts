import { sql, type Kysely } from 'kysely';
import { newId } from '../src/ids';
import { destinationLabel } from '../src/domain/destination';
import { endpointWorkflowId } from '../src/domain/workflowIds';
import type { Database } from '../src/db/schema';
import type { ActivityDeps } from './deps';

export interface PlannedDelivery {
  deliveryId: string;
  endpointId: string;
  /** Host only, for summaries: a URL's path or query may carry the receiver's token. */
  destination: string;
  /** The id of this delivery's own workflow, if it gets one (`<event workflow id>:<endpoint id>`). */
  workflowId: string;
  maxAttempts: number | null;
  status: string;
}

export interface PlanDeliveriesInput {
  eventId: string;
  tenantId: string;
  eventType: string;
  /**
   * The event workflow's id. It makes the first attempt itself, so a new delivery row points to it
   * until the delivery is handed over to its own workflow, `<prefix>:<endpoint id>` (handOverDelivery).
   */
  workflowIdPrefix: string;
}

/**
 * One delivery row per (endpoint, event) for every enabled endpoint of the tenant subscribed to
 * the event type, the `delivering` checkpoint and the event status. UNIQUE(endpoint_id, event_id)
 * makes a re-run a no-op. Shared by the planDeliveries activity and resolveAndPlanDeliveries.
 */
export async function planDeliveries(db: Kysely<Database>, input: PlanDeliveriesInput): Promise<PlannedDelivery[]> {
  const ownWorkflowId = (endpointId: string) => endpointWorkflowId(input.workflowIdPrefix, endpointId);
  const endpoints = await db
    .selectFrom('endpoints')
    .select(['id', 'partner_id'])
    .where('tenant_id', '=', input.tenantId)
    .where('enabled', '=', true)
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('event_types', 'is', null), eb(sql.val(input.eventType), '=', sql<string>`any(event_types)`)]))
    .execute();
  const planned = JSON.stringify(
    endpoints.map((e) => ({
      id: newId('dlv'),
      endpoint_id: e.id,
      partner_id: e.partner_id,
      workflow_id: input.workflowIdPrefix,
    })),
  );
  // New rows, the event's rows from an earlier run of this step, the `delivering` checkpoint
  // and the event status in ONE statement (atomic, one round trip). A data-modifying CTE's
  // rows are invisible to the rest of the statement, so new rows come from RETURNING and
  // earlier ones from the table.
  const { rows } = await sql<{ id: string; endpoint_id: string; status: string; url: string; max_attempts: number | null }>`
    with ins as (
      insert into deliveries (id, event_id, endpoint_id, tenant_id, partner_id, workflow_id)
      select p.id, ${input.eventId}, p.endpoint_id, ${input.tenantId}, p.partner_id, p.workflow_id
      from jsonb_to_recordset(${planned}::jsonb) as p(id text, endpoint_id text, partner_id text, workflow_id text)
      on conflict (endpoint_id, event_id) do nothing
      returning id, endpoint_id, status
    ),
    all_rows as (
      select id, endpoint_id, status from ins
      union all
      select id, endpoint_id, status from deliveries where event_id = ${input.eventId}
    ),
    checkpoint as (
      insert into event_checkpoints (event_id, stage, detail)
      select ${input.eventId}, 'delivering', jsonb_build_object('endpoints', coalesce(jsonb_agg(endpoint_id order by endpoint_id), '[]'::jsonb))
      from all_rows
      returning 1
    ),
    event as (
      update events set status = 'delivering', updated_at = now() where id = ${input.eventId} returning 1
    )
    -- checkpoint and event run whether or not they are read (Postgres runs every data-modifying CTE).
    select r.id, r.endpoint_id, r.status, e.url, e.max_attempts
    from all_rows r join endpoints e on e.id = r.endpoint_id
    order by r.endpoint_id`.execute(db);
  return rows.map((r) => ({
    deliveryId: r.id,
    endpointId: r.endpoint_id,
    destination: destinationLabel(r.url),
    workflowId: ownWorkflowId(r.endpoint_id),
    maxAttempts: r.max_attempts,
    status: r.status,
  }));
}

export function planDeliveriesActivities({ db }: ActivityDeps) {
  return {
    /** Plan the deliveries of an event whose tenant is already known (a release from quarantine). */
    async planDeliveries(input: PlanDeliveriesInput): Promise<PlannedDelivery[]> {
      return planDeliveries(db, input);
    },

    /** The delivery continues in its own workflow from now on: point the row (and the API) at it. */
    async handOverDelivery(input: { deliveryId: string; workflowId: string }): Promise<void> {
      await db.updateTable('deliveries').set({ workflow_id: input.workflowId, updated_at: sql`now()` }).where('id', '=', input.deliveryId).execute();
    },
  };
}
