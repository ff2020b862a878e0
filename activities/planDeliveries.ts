import { sql, type Kysely } from 'kysely';
import { newId } from '../src/ids';
import { destinationLabel } from '../src/domain/destination';
import { endpointWorkflowId } from '../src/domain/workflowIds';
import type { Database } from '../src/db/schema';
import { planDeliveriesStatement } from '../src/db/statements/planDeliveries';
import { endpointFilterPasses } from '../src/filters/filterDocument';
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
    .where('purpose', '=', 'events')
    .where('enabled', '=', true)
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('event_types', 'is', null), eb(sql.val(input.eventType), '=', sql<string>`any(event_types)`)]))
    .where(endpointFilterPasses('endpoints', input.eventId, input.tenantId))
    .execute();
  const rows = await planDeliveriesStatement(db, {
    eventId: input.eventId,
    tenantId: input.tenantId,
    rows: endpoints.map((e) => ({ id: newId('dlv'), endpoint_id: e.id, partner_id: e.partner_id, workflow_id: input.workflowIdPrefix })),
  });
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
