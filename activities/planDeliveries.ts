import { sql } from 'kysely';
import { newId } from '../src/ids';
import { destinationLabel } from '../src/domain/destination';
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

export function planDeliveriesActivities({ db }: ActivityDeps) {
  return {
    /**
     * One delivery row per (endpoint, event) for every enabled endpoint of the tenant subscribed
     * to the event type. UNIQUE(endpoint_id, event_id) makes a re-run of this activity a no-op.
     */
    async planDeliveries(input: {
      eventId: string;
      tenantId: string;
      eventType: string;
      /** The event workflow's id: each delivery's workflow is `<prefix>:<endpoint id>`. */
      workflowIdPrefix: string;
      /**
       * The event workflow makes the first attempt itself, so that is the workflow a delivery row
       * points to until it is handed over to its own (handOverDelivery).
       */
      firstAttemptInline?: boolean;
    }): Promise<PlannedDelivery[]> {
      const ownWorkflowId = (endpointId: string) => `${input.workflowIdPrefix}:${endpointId}`;
      return db.transaction().execute(async (trx) => {
        const endpoints = await trx
          .selectFrom('endpoints')
          .select(['id', 'partner_id', 'url', 'max_attempts'])
          .where('tenant_id', '=', input.tenantId)
          .where('enabled', '=', true)
          .where('deleted_at', 'is', null)
          .where((eb) => eb.or([eb('event_types', 'is', null), eb(sql.val(input.eventType), '=', sql<string>`any(event_types)`)]))
          .execute();
        if (endpoints.length > 0) {
          await trx
            .insertInto('deliveries')
            .values(
              endpoints.map((e) => ({
                id: newId('dlv'),
                event_id: input.eventId,
                endpoint_id: e.id,
                tenant_id: input.tenantId,
                partner_id: e.partner_id,
                workflow_id: input.firstAttemptInline ? input.workflowIdPrefix : ownWorkflowId(e.id),
              })),
            )
            .onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing())
            .execute();
        }
        const rows = await trx
          .selectFrom('deliveries')
          .innerJoin('endpoints', 'endpoints.id', 'deliveries.endpoint_id')
          .select(['deliveries.id', 'deliveries.endpoint_id', 'deliveries.status', 'deliveries.workflow_id', 'endpoints.url', 'endpoints.max_attempts'])
          .where('deliveries.event_id', '=', input.eventId)
          .orderBy('deliveries.endpoint_id')
          .execute();
        await trx
          .insertInto('event_checkpoints')
          .values({ event_id: input.eventId, stage: 'delivering', detail: JSON.stringify({ endpoints: rows.map((r) => r.endpoint_id) }) })
          .execute();
        await trx.updateTable('events').set({ status: 'delivering', updated_at: sql`now()` }).where('id', '=', input.eventId).execute();
        return rows.map((r) => ({
          deliveryId: r.id,
          endpointId: r.endpoint_id,
          destination: destinationLabel(r.url),
          workflowId: ownWorkflowId(r.endpoint_id),
          maxAttempts: r.max_attempts,
          status: r.status,
        }));
      });
    },

    /** The delivery continues in its own workflow from now on: point the row (and the API) at it. */
    async handOverDelivery(input: { deliveryId: string; workflowId: string }): Promise<void> {
      await db.updateTable('deliveries').set({ workflow_id: input.workflowId, updated_at: sql`now()` }).where('id', '=', input.deliveryId).execute();
    },
  };
}
