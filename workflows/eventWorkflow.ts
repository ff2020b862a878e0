import {
  executeChild,
  log,
  ParentClosePolicy,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { CallId, DeliveryStatus, EventType, PartnerId, TenantId } from '../src/temporal/searchAttributes';
import { databaseSteps, summarised } from './databaseSteps';
import { deliveryWorkflow } from './deliveryWorkflow';
import type { EventWorkflowInput, EventWorkflowResult } from './types';

const acts = databaseSteps;

/**
 * One workflow per event, id `{partner}:{call_id}:{event}` (a release of a quarantined event runs
 * as `<that id>:release`): resolve the tenant, checkpoint, fan out one child delivery workflow per
 * subscribed endpoint, settle the event's status.
 */
export async function eventWorkflow(input: EventWorkflowInput): Promise<EventWorkflowResult> {
  setCurrentDetails(`event ${input.eventId}: resolving tenant`);
  const resolution = input.forcedTenantId ? { tenantId: input.forcedTenantId } : await resolveTenantOrQuarantine(input);
  if (!resolution.tenantId) {
    upsertSearchAttributes([{ key: DeliveryStatus, value: 'quarantined' }]);
    setCurrentDetails(`quarantined: ${resolution.reason}`);
    return { status: 'quarantined', reason: resolution.reason, deliveries: [] };
  }
  const tenantId = resolution.tenantId;
  if (input.forcedTenantId) {
    await acts.recordCheckpoint.executeWithOptions(summarised('Checkpoint: released to tenant'), [
      { eventId: input.eventId, stage: 'tenant_resolved', setStatus: true, detail: { tenant_id: tenantId, via: ['released'] } },
    ]);
  }
  upsertSearchAttributes([
    { key: TenantId, value: tenantId },
    { key: DeliveryStatus, value: 'delivering' },
  ]);

  const planned = await acts.planDeliveries.executeWithOptions(summarised(`Plan deliveries for ${input.eventType}`), [
    { eventId: input.eventId, tenantId, eventType: input.eventType, workflowIdPrefix: workflowInfo().workflowId },
  ]);
  setCurrentDetails(`tenant ${tenantId}: delivering to ${planned.length} endpoint(s)`);
  // Children run concurrently and independently: one endpoint's retries never delay another's.
  const outcomes = await Promise.all(
    planned.map(async (p) => {
      if (p.status === 'delivered') return { deliveryId: p.deliveryId, endpointId: p.endpointId, status: 'delivered' };
      const r = await executeChild(deliveryWorkflow, {
        workflowId: p.workflowId,
        args: [
          {
            deliveryId: p.deliveryId,
            eventId: input.eventId,
            endpointId: p.endpointId,
            destination: p.destination,
            retry: p.maxAttempts ? { ...input.policy.retry, maxAttempts: p.maxAttempts } : input.policy.retry,
            deliveryTimeoutMs: input.policy.deliveryTimeoutMs,
            attemptBase: 0,
          },
        ],
        staticSummary: `Deliver ${input.eventType} to ${p.destination}`,
        staticDetails: `delivery ${p.deliveryId}, endpoint ${p.endpointId}, event ${input.eventId}`,
        // A redrive or an operator may outlive the parent's interest; the delivery finishes on its own.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: PartnerId, value: input.partnerId },
          { key: TenantId, value: tenantId },
          { key: CallId, value: input.callId },
          { key: EventType, value: input.eventType },
          { key: DeliveryStatus, value: 'delivering' },
        ],
      });
      return { deliveryId: p.deliveryId, endpointId: p.endpointId, status: r.status };
    }),
  );

  const status = await acts.settleEventStatus.executeWithOptions(summarised('Settle the event status'), [input.eventId]);
  upsertSearchAttributes([{ key: DeliveryStatus, value: status }]);
  setCurrentDetails(`${status}: ${outcomes.filter((o) => o.status === 'delivered').length}/${outcomes.length} delivered`);
  log.info('event settled', { eventId: input.eventId, status });
  return { status, tenantId, deliveries: outcomes };
}

/** Resolves, waiting (bounded) for the routing map to catch up; quarantines on conflict or timeout. */
async function resolveTenantOrQuarantine(input: EventWorkflowInput): Promise<{ tenantId?: string; reason?: string }> {
  // Workflow time (deterministic), not the host clock.
  const deadline = Date.now() + input.policy.tenantWaitMs;
  for (;;) {
    const r = await acts.resolveTenant.executeWithOptions(summarised('Resolve tenant from the event keys'), [input.eventId]);
    if (r.outcome === 'resolved') return { tenantId: r.tenantId };
    if (r.outcome === 'conflict') {
      await acts.quarantineEvent.executeWithOptions(summarised(`Quarantine: ${r.reason}`), [
        { eventId: input.eventId, reason: r.reason, detail: r.detail },
      ]);
      return { reason: r.reason };
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      await acts.quarantineEvent.executeWithOptions(summarised('Quarantine: unroutable'), [
        { eventId: input.eventId, reason: 'unroutable', detail: { keys: r.keys } },
      ]);
      return { reason: 'unroutable' };
    }
    await sleep(Math.min(input.policy.tenantPollMs, remaining), { summary: 'wait for the routing map to catch up' });
  }
}
