import {
  executeChild,
  log,
  ParentClosePolicy,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { DeliveryStatusKey, TenantId, workflowSearchAttributes } from '../src/temporal/searchAttributes';
import { databaseSteps, summarised } from './databaseSteps';
import { readDeliveryFailure } from './deliveryFailure';
import { deliveryWorkflow } from './deliveryWorkflow';
import { continuationBudget } from './handoverBudget';
import type { Activities } from '../activities';
import type { PlannedDelivery } from '../activities/planDeliveries';
import type { DeliveryContinuation, EventWorkflow, EventWorkflowInput, EventWorkflowResult, Implements } from './types';

/**
 * One workflow per event, id `{partner}:{call_id}:{event}` (a release of a quarantined event runs
 * as `<that id>:release`): resolve the tenant and plan the deliveries, make the first delivery
 * attempt to every subscribed endpoint, hand any delivery that attempt did not finish to its own
 * child workflow, settle the event's status.
 *
 * Changing the commands this workflow (or deliveryWorkflow) issues breaks the histories in flight:
 * docs/versioning.md says how such a change ships.
 */
export async function eventWorkflow(input: EventWorkflowInput): Promise<EventWorkflowResult> {
  setCurrentDetails(`event ${input.eventId}: resolving tenant`);
  const routed = input.forcedTenantId ? await planRelease(input, input.forcedTenantId) : await resolveTenantOrQuarantine(input);
  if (routed.tenantId === undefined) {
    upsertSearchAttributes([{ key: DeliveryStatusKey, value: 'quarantined' }]);
    setCurrentDetails(`quarantined: ${routed.reason}`);
    return { status: 'quarantined', reason: routed.reason, deliveries: [] };
  }
  const { tenantId, planned } = routed;
  upsertSearchAttributes([
    { key: TenantId, value: tenantId },
    { key: DeliveryStatusKey, value: 'delivering' },
  ]);
  setCurrentDetails(`tenant ${tenantId}: delivering to ${planned.length} endpoint(s)`);

  // Endpoints are served concurrently and independently: one endpoint's retries never delay another's.
  const outcomes = await Promise.all(
    planned.map(async (p) => {
      if (p.status === 'delivered') return { deliveryId: p.deliveryId, endpointId: p.endpointId, status: 'delivered' };
      const first = await attemptFirst(p, input);
      if (first === 'delivered') return { deliveryId: p.deliveryId, endpointId: p.endpointId, status: 'delivered' };
      const r = await handOver(p, input, tenantId, first);
      return { deliveryId: p.deliveryId, endpointId: p.endpointId, status: r.status };
    }),
  );

  const status = await databaseSteps.settleEventStatus.executeWithOptions(summarised('Settle the event status'), [input.eventId]);
  upsertSearchAttributes([{ key: DeliveryStatusKey, value: status }]);
  setCurrentDetails(`${status}: ${outcomes.filter((o) => o.status === 'delivered').length}/${outcomes.length} delivered`);
  log.info('event settled', { eventId: input.eventId, status });
  return { status, tenantId, deliveries: outcomes };
}

/**
 * The first attempt, made by the event workflow itself: most deliveries succeed at once, and then
 * no child workflow is needed at all. Anything else is handed to a child deliveryWorkflow that
 * carries on from here: backoff (honouring Retry-After), circuit and rate waits, the rest of the
 * retry budget, the dead letter.
 *
 * It is a local activity: together with the local database steps, a delivered event is then one
 * workflow task, eagerly started, with no task-queue round trip at all. The worker bounds how many
 * of those POSTs it runs at once (DELIVERY_INLINE_ATTEMPTS, since each keeps its workflow task
 * open); past that bound the local activity answers `deferred` without sending, and the attempt is
 * made as a task-queue activity. If a worker dies mid-POST, the workflow task times out and the
 * next worker makes the first attempt again: the same at-least-once POST, same webhook-id, as when
 * a task-queue activity's worker dies.
 */
async function attemptFirst(p: PlannedDelivery, input: EventWorkflowInput): Promise<'delivered' | DeliveryContinuation> {
  const options = {
    startToCloseTimeout: input.policy.deliveryTimeoutMs + 20_000,
    // Exactly one attempt here; further ones belong to the delivery workflow's retry policy.
    retry: { maximumAttempts: 1 },
    summary: `POST to ${p.destination} (first attempt)`,
  };
  try {
    const inline = await proxyLocalActivities<Activities>(options).deliverWebhookInline({ deliveryId: p.deliveryId });
    const r = inline.outcome !== 'deferred' ? inline : await proxyActivities<Activities>(options).deliverWebhook({ deliveryId: p.deliveryId });
    if (r.outcome === 'delivered') return 'delivered';
    return { kind: 'wait', delayMs: r.waitMs, reason: r.reason };
  } catch (err) {
    const failure = readDeliveryFailure(err);
    if (failure.permanent) return { kind: 'park', reason: `permanent failure: ${failure.message}`, attempts: failure.attempt ?? 1 };
    // A timeout (e.g. the worker died mid-POST) lands here too: retried like any transient failure.
    return { kind: 'retry', delayMs: failure.retryAfterMs ?? input.policy.retry.initialIntervalMs, reason: failure.message };
  }
}

/**
 * Hands a delivery the first attempt did not finish to its own child deliveryWorkflow
 * (`<event workflow id>:<endpoint id>`), pointing the delivery row at it first.
 */
async function handOver(p: PlannedDelivery, input: EventWorkflowInput, tenantId: string, first: DeliveryContinuation) {
  const retry = p.maxAttempts ? { ...input.policy.retry, maxAttempts: p.maxAttempts } : input.policy.retry;
  await databaseSteps.handOverDelivery.executeWithOptions(summarised('Hand the delivery over to its own workflow'), [
    { deliveryId: p.deliveryId, workflowId: p.workflowId },
  ]);
  return executeChild(deliveryWorkflow, {
    workflowId: p.workflowId,
    args: [
      {
        deliveryId: p.deliveryId,
        eventId: input.eventId,
        endpointId: p.endpointId,
        destination: p.destination,
        deliveryTimeoutMs: input.policy.deliveryTimeoutMs,
        ...continuationBudget(retry, first),
      },
    ],
    staticSummary: `Deliver ${input.eventType} to ${p.destination}`,
    staticDetails: `delivery ${p.deliveryId}, endpoint ${p.endpointId}, event ${input.eventId}`,
    // A redrive or an operator may outlive the parent's interest; the delivery finishes on its own.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    typedSearchAttributes: workflowSearchAttributes({
      partnerId: input.partnerId,
      tenantId,
      callId: input.callId,
      eventType: input.eventType,
      deliveryStatus: 'delivering',
    }),
  });
}

/** What every plan of this event's deliveries is given, whichever step makes it. */
function planInput(input: EventWorkflowInput) {
  return { eventId: input.eventId, eventType: input.eventType, workflowIdPrefix: workflowInfo().workflowId };
}

type Routed = { tenantId: string; planned: PlannedDelivery[] } | { tenantId?: undefined; reason: string };

/** A partner released the quarantined event to a tenant: record that, then plan its deliveries. */
async function planRelease(input: EventWorkflowInput, tenantId: string): Promise<Routed> {
  await databaseSteps.recordCheckpoint.executeWithOptions(summarised('Checkpoint: released to tenant'), [
    { eventId: input.eventId, stage: 'tenant_resolved', setStatus: true, detail: { tenant_id: tenantId, via: ['released'] } },
  ]);
  const planned = await databaseSteps.planDeliveries.executeWithOptions(summarised(`Plan deliveries for ${input.eventType}`), [
    { ...planInput(input), tenantId },
  ]);
  return { tenantId, planned };
}

/**
 * Resolves the tenant and plans the deliveries in one step, polling (bounded) for the routing map
 * to catch up; quarantines on conflict or timeout.
 */
async function resolveTenantOrQuarantine(input: EventWorkflowInput): Promise<Routed> {
  // Workflow time (deterministic), not the host clock.
  const deadline = Date.now() + input.policy.tenantWaitMs;
  for (;;) {
    const r = await databaseSteps.resolveAndPlanDeliveries.executeWithOptions(
      summarised(`Resolve tenant and plan deliveries for ${input.eventType}`),
      [planInput(input)],
    );
    if (r.outcome === 'resolved') return { tenantId: r.tenantId, planned: r.planned };
    if (r.outcome === 'conflict') {
      await databaseSteps.quarantineEvent.executeWithOptions(summarised(`Quarantine: ${r.reason}`), [
        { eventId: input.eventId, reason: r.reason, detail: r.detail },
      ]);
      return { reason: r.reason };
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      await databaseSteps.quarantineEvent.executeWithOptions(summarised('Quarantine: unroutable'), [
        { eventId: input.eventId, reason: 'unroutable', detail: { keys: r.keys } },
      ]);
      return { reason: 'unroutable' };
    }
    await sleep(Math.min(input.policy.tenantPollMs, remaining), { summary: 'wait for the routing map to catch up' });
  }
}

/** Clients start this workflow typed by EventWorkflow (./types): this fails to compile if the two drift. */
export type EventWorkflowImplements = Implements<typeof eventWorkflow, EventWorkflow>;
