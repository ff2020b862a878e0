import { executeChild, log, proxyActivities, sleep, upsertSearchAttributes, workflowInfo, ParentClosePolicy } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CallId, DeliveryStatus, EventType, PartnerId, TenantId } from '../src/temporal/searchAttributes';
import { deliveryWorkflow } from './deliveryWorkflow';
import type { EventWorkflowInput, EventWorkflowResult } from './types';

const acts = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/**
 * One workflow per event, id `{partner}:{call_id}:{event}`: resolve the tenant, checkpoint, fan out
 * one child delivery workflow per subscribed endpoint, settle the event's status.
 */
export async function eventWorkflow(input: EventWorkflowInput): Promise<EventWorkflowResult> {
  const tenantId = input.forcedTenantId ?? (await resolveTenantOrQuarantine(input));
  if (!tenantId) {
    upsertSearchAttributes([{ key: DeliveryStatus, value: 'quarantined' }]);
    return { status: 'quarantined', deliveries: [] };
  }
  if (input.forcedTenantId) {
    await acts.recordCheckpoint({ eventId: input.eventId, stage: 'tenant_resolved', setStatus: true, detail: { tenant_id: tenantId, via: ['released'] } });
  }
  upsertSearchAttributes([
    { key: TenantId, value: tenantId },
    { key: DeliveryStatus, value: 'delivering' },
  ]);

  const planned = await acts.planDeliveries({ eventId: input.eventId, tenantId, eventType: input.eventType });
  const outcomes = await Promise.all(
    planned.map(async (p) => {
      if (p.status === 'delivered') return { deliveryId: p.deliveryId, endpointId: p.endpointId, status: 'delivered' };
      const r = await executeChild(deliveryWorkflow, {
        workflowId: `${workflowInfo().workflowId}:${p.endpointId}`,
        args: [
          {
            deliveryId: p.deliveryId,
            eventId: input.eventId,
            endpointId: p.endpointId,
            url: p.url,
            retry: p.maxAttempts ? { ...input.policy.retry, maxAttempts: p.maxAttempts } : input.policy.retry,
            deliveryTimeoutMs: input.policy.deliveryTimeoutMs,
            attemptBase: 0,
          },
        ],
        staticSummary: `Deliver ${input.eventType} to ${p.url}`,
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

  const status = await acts.settleEventStatus(input.eventId);
  upsertSearchAttributes([{ key: DeliveryStatus, value: status }]);
  log.info('event settled', { eventId: input.eventId, status });
  return { status, tenantId, deliveries: outcomes };
}

/** Resolves, waiting (bounded) for the routing map to catch up; quarantines on conflict or timeout. */
async function resolveTenantOrQuarantine(input: EventWorkflowInput): Promise<string | undefined> {
  const deadline = Date.now() + input.policy.tenantWaitMs;
  for (;;) {
    const r = await acts.resolveTenant(input.eventId);
    if (r.outcome === 'resolved') return r.tenantId;
    if (r.outcome === 'conflict') {
      await acts.quarantineEvent({ eventId: input.eventId, reason: r.reason, detail: r.detail });
      return undefined;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      await acts.quarantineEvent({ eventId: input.eventId, reason: 'unroutable', detail: { keys: r.keys } });
      return undefined;
    }
    await sleep(Math.min(input.policy.tenantPollMs, remaining));
  }
}
