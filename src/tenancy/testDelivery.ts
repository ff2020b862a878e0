import type { Client } from '@temporalio/client';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config';
import type { Database, Endpoint } from '../db/schema';
import { endpointWorkflowId, eventWorkflowId } from '../domain/workflowIds';
import { newId } from '../ids';
import { startDeliveryWorkflow } from '../temporal/startDeliveryWorkflow';
import { startOrCompensate } from '../temporal/startOrCompensate';

export const TEST_EVENT_TYPE = 'switchboard.test';

/**
 * `POST .../endpoints/{id}/test`: a `switchboard.test` event delivered to exactly this endpoint
 * through the normal delivery path. The event and its delivery row are stored (source = 'test'),
 * then a deliveryWorkflow is started for that one delivery, so the test is signed by the same
 * code, retried under the same policy, recorded as attempts and visible in the Temporal UI like
 * any real delivery. The eventWorkflow is deliberately not used: it would fan out to every
 * endpoint of the tenant subscribed to all types. `workflow_started_at` is set at insert so the
 * outbox relay never starts one either.
 */
// eslint-disable-next-line max-lines-per-function -- claim, start and compensate for one test delivery, read together to see why none can run twice (same shape as redriveDelivery)
export async function sendTestEvent(
  db: Kysely<Database>,
  temporal: Client,
  config: Config,
  endpoint: Endpoint,
): Promise<{ event_id: string; delivery_id: string; workflow_id: string }> {
  const eventId = newId('evt');
  const deliveryId = newId('dlv');
  const callId = `test_${eventId}`;
  const eventWfId = eventWorkflowId(endpoint.partner_id, callId, TEST_EVENT_TYPE);
  const workflowId = endpointWorkflowId(eventWfId, endpoint.id);
  const now = new Date();

  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('events')
      .values({
        id: eventId,
        partner_id: endpoint.partner_id,
        call_id: callId,
        event_type: TEST_EVENT_TYPE,
        tenant_id: endpoint.tenant_id,
        occurred_at: now,
        payload: JSON.stringify({ data: { message: 'Test delivery from Switchboard', endpoint_id: endpoint.id } }),
        source: 'test',
        status: 'delivering',
        workflow_id: eventWfId,
        workflow_started_at: now,
      })
      .execute();
    await trx
      .insertInto('deliveries')
      .values({ id: deliveryId, event_id: eventId, endpoint_id: endpoint.id, tenant_id: endpoint.tenant_id, partner_id: endpoint.partner_id, workflow_id: workflowId })
      .execute();
    await trx
      .insertInto('event_checkpoints')
      .values({ event_id: eventId, stage: 'delivering', detail: JSON.stringify({ endpoints: [endpoint.id], test: true }) })
      .execute();
  });

  await startOrCompensate({
    start: () =>
      startDeliveryWorkflow(temporal, config, {
        workflowId,
        deliveryId,
        eventId,
        endpointId: endpoint.id,
        endpointUrl: endpoint.url,
        maxAttempts: endpoint.max_attempts,
        attemptBase: 0,
        partnerId: endpoint.partner_id,
        tenantId: endpoint.tenant_id,
        callId,
        eventType: TEST_EVENT_TYPE,
        purpose: 'Endpoint test',
      }),
    // Nothing will ever deliver it: say so in the record rather than leave it "delivering".
    compensate: async (err) => {
      const reason = `could not start the delivery workflow: ${err.message}`;
      await db.transaction().execute(async (trx) => {
        await trx.updateTable('deliveries').set({ status: 'dead_lettered', dead_letter_reason: reason, updated_at: sql`now()` }).where('id', '=', deliveryId).execute();
        await trx.updateTable('events').set({ status: 'dead_lettered', updated_at: sql`now()` }).where('id', '=', eventId).execute();
      });
    },
    unavailable: 'Temporal is unavailable; the test event was not sent, retry later',
  });
  return { event_id: eventId, delivery_id: deliveryId, workflow_id: workflowId };
}
