import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Kysely, Selectable } from 'kysely';
import type { Config } from '../config';
import type { Database, OperationalEventsTable } from '../db/schema';
import { startDeliveryWorkflow } from '../temporal/startDeliveryWorkflow';
import {
  operationalCallId,
  operationalDeliveryId,
  operationalDeliveryWorkflowId,
  operationalEventRowId,
  operationalEventWorkflowId,
  operationalPayload,
} from './operationalDelivery';
import { operationsTargets, type OperationsTarget } from './operationsTargets';

/**
 * One operational event onto the tenant delivery path, in repeatable stages: store (the event
 * row and one delivery row per operations endpoint, idempotent ids) → start (one deliveryWorkflow
 * each, deterministic ids). The caller acknowledges the row (dispatched_at) only after this
 * returns: a crash in between leaves it undispatched and the next sweep repeats both stages
 * without doubling anything. Retries, dead letter and redrive are then the delivery path's own.
 */
export async function dispatchOperationalEvent(db: Kysely<Database>, temporal: Client, config: Config, e: Selectable<OperationalEventsTable>): Promise<void> {
  const targets = await operationsTargets(db, e);
  if (targets.length > 0) {
    await storeDeliveries(db, e, targets);
    for (const t of targets) await startOne(temporal, config, e, t);
  }
}

async function storeDeliveries(db: Kysely<Database>, e: Selectable<OperationalEventsTable>, targets: OperationsTarget[]): Promise<void> {
  const partnerId = e.partner_id!;
  const eventId = operationalEventRowId(e.id);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('events')
      .values({
        id: eventId,
        partner_id: partnerId,
        call_id: operationalCallId(e.id),
        event_type: e.type,
        tenant_id: e.tenant_id,
        occurred_at: e.at,
        payload: JSON.stringify(operationalPayload(e)),
        source: 'operational',
        status: 'delivering',
        workflow_id: operationalEventWorkflowId(partnerId, e.id, e.type),
        // Started here, never by the outbox relay (there is no event workflow to run).
        workflow_started_at: new Date(),
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    await trx
      .insertInto('deliveries')
      .values(
        targets.map((t) => ({
          id: operationalDeliveryId(e.id, t.id),
          event_id: eventId,
          endpoint_id: t.id,
          tenant_id: t.tenant_id,
          partner_id: partnerId,
          workflow_id: operationalDeliveryWorkflowId(partnerId, e.id, e.type, t.id),
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .execute();
  });
}

async function startOne(temporal: Client, config: Config, e: Selectable<OperationalEventsTable>, t: OperationsTarget): Promise<void> {
  const partnerId = e.partner_id!;
  try {
    await startDeliveryWorkflow(temporal, config, {
      workflowId: operationalDeliveryWorkflowId(partnerId, e.id, e.type, t.id),
      deliveryId: operationalDeliveryId(e.id, t.id),
      eventId: operationalEventRowId(e.id),
      endpointId: t.id,
      endpointUrl: t.url,
      maxAttempts: t.max_attempts,
      attemptBase: 0,
      partnerId,
      tenantId: t.tenant_id,
      callId: operationalCallId(e.id),
      eventType: e.type,
      purpose: 'Operational event',
    });
  } catch (err) {
    // A repeat after a crash between start and acknowledge: the deterministic id did its job.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
