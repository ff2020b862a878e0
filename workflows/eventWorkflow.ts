import {
  executeChild,
  log,
  ParentClosePolicy,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { CallId, DeliveryStatus, EventType, PartnerId, TenantId } from '../src/temporal/searchAttributes';
import { databaseSteps, summarised } from './databaseSteps';
import { readDeliveryFailure } from './deliveryFailure';
import { deliveryWorkflow } from './deliveryWorkflow';
import type { Activities } from '../activities';
import type { RetrySettings } from '../src/domain/retrySchedule';
import type { PlannedDelivery } from '../activities/planDeliveries';
import type { ResolveAndPlanResult } from '../activities/resolveAndPlanDeliveries';
import type { ResolveTenantResult } from '../activities/resolveTenant';
import type { DeliveryContinuation, DeliveryWorkflowInput, EventWorkflowInput, EventWorkflowResult } from './types';

const acts = databaseSteps;

/** patched() marker of the inline first attempt (added 2026-11-23); deprecatePatch once old histories are gone. */
export const INLINE_FIRST_ATTEMPT = 'inline-first-attempt';
/** patched() marker of the first attempt inside the workflow task (local activity), added 2026-11-23. */
export const LOCAL_FIRST_ATTEMPT = 'local-first-attempt';
/**
 * patched() marker of resolving the tenant and planning the deliveries in one local activity
 * (resolveAndPlanDeliveries), added 2026-11-24. A history with it was started by code that has
 * both markers above, so that branch does not ask for them again (two markers fewer per event).
 */
export const RESOLVE_AND_PLAN = 'resolve-and-plan';

/**
 * One workflow per event, id `{partner}:{call_id}:{event}` (a release of a quarantined event runs
 * as `<that id>:release`): resolve the tenant, checkpoint, make the first delivery attempt to every
 * subscribed endpoint, hand any delivery that attempt did not finish to its own child workflow,
 * settle the event's status.
 */
export async function eventWorkflow(input: EventWorkflowInput): Promise<EventWorkflowResult> {
  setCurrentDetails(`event ${input.eventId}: resolving tenant`);
  // Decided once, before the first step: a workflow started by earlier code (no marker) keeps the
  // separate resolve and plan steps on every poll of its wait, even after it replays up to live
  // execution. A release comes with its tenant and only plans, as before.
  const merged = !input.forcedTenantId && patched(RESOLVE_AND_PLAN);
  const routed = input.forcedTenantId ? { tenantId: input.forcedTenantId } : await resolveTenantOrQuarantine(input, merged);
  if (!routed.tenantId) {
    upsertSearchAttributes([{ key: DeliveryStatus, value: 'quarantined' }]);
    setCurrentDetails(`quarantined: ${routed.reason}`);
    return { status: 'quarantined', reason: routed.reason, deliveries: [] };
  }
  const tenantId = routed.tenantId;
  if (input.forcedTenantId) {
    await acts.recordCheckpoint.executeWithOptions(summarised('Checkpoint: released to tenant'), [
      { eventId: input.eventId, stage: 'tenant_resolved', setStatus: true, detail: { tenant_id: tenantId, via: ['released'] } },
    ]);
  }
  upsertSearchAttributes([
    { key: TenantId, value: tenantId },
    { key: DeliveryStatus, value: 'delivering' },
  ]);

  // Histories from before the inline first attempt replay without it (patched() is false there);
  // those with the merged step have both (see RESOLVE_AND_PLAN).
  const inline = merged || patched(INLINE_FIRST_ATTEMPT);
  const local = merged || (inline && patched(LOCAL_FIRST_ATTEMPT));
  const planned =
    routed.planned ??
    (await acts.planDeliveries.executeWithOptions(summarised(`Plan deliveries for ${input.eventType}`), [
      { ...planInput(input), tenantId, ...(inline ? { firstAttemptInline: true } : {}) },
    ]));
  setCurrentDetails(`tenant ${tenantId}: delivering to ${planned.length} endpoint(s)`);
  // Endpoints are served concurrently and independently: one endpoint's retries never delay another's.
  const outcomes = await Promise.all(
    planned.map(async (p) => {
      if (p.status === 'delivered') return { deliveryId: p.deliveryId, endpointId: p.endpointId, status: 'delivered' };
      const retry = p.maxAttempts ? { ...input.policy.retry, maxAttempts: p.maxAttempts } : input.policy.retry;
      let handover: Pick<DeliveryWorkflowInput, 'attemptBase' | 'retry' | 'continuation'> = { attemptBase: 0, retry };
      if (inline) {
        const first = await attemptInline(p, input, local);
        if (first === 'delivered') return { deliveryId: p.deliveryId, endpointId: p.endpointId, status: 'delivered' };
        // A wait (circuit, rate limit) cost no attempt; a failed attempt counts against the budget.
        // The child's backoff starts one step further, so the schedule is the same as one policy's.
        handover =
          first.kind === 'wait' ? { attemptBase: 0, retry, continuation: first }
          : { attemptBase: 1, retry: afterFirstAttempt(retry), continuation: first };
        await acts.handOverDelivery.executeWithOptions(summarised('Hand the delivery over to its own workflow'), [
          { deliveryId: p.deliveryId, workflowId: p.workflowId },
        ]);
      }
      const r = await executeChild(deliveryWorkflow, {
        workflowId: p.workflowId,
        args: [
          {
            deliveryId: p.deliveryId,
            eventId: input.eventId,
            endpointId: p.endpointId,
            destination: p.destination,
            deliveryTimeoutMs: input.policy.deliveryTimeoutMs,
            ...handover,
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

/**
 * The first attempt, made by the event workflow itself: most deliveries succeed at once, and then
 * no child workflow is needed at all. Anything else is handed to a child deliveryWorkflow that
 * carries on from here: backoff (honouring Retry-After), circuit and rate waits, the rest of the
 * retry budget, the dead letter.
 *
 * With `local` it is a local activity: together with the local database steps, a delivered event
 * is then one workflow task, eagerly started, with no task-queue round trip at all. The worker
 * bounds how many of those POSTs it runs at once (DELIVERY_INLINE_ATTEMPTS, since each keeps its
 * workflow task open); past that bound the activity answers `deferred` without sending, and the
 * attempt is made as a task-queue activity, as it always was before `local`. If a worker dies
 * mid-POST, the workflow task times out and the next worker makes the inline attempt again: the
 * same at-least-once POST, same webhook-id, as when a task-queue activity's worker dies.
 */
async function attemptInline(p: PlannedDelivery, input: EventWorkflowInput, local: boolean): Promise<'delivered' | DeliveryContinuation> {
  const options = {
    startToCloseTimeout: input.policy.deliveryTimeoutMs + 20_000,
    // Exactly one attempt here; further ones belong to the delivery workflow's retry policy.
    retry: { maximumAttempts: 1 },
    summary: `POST to ${p.destination} (first attempt)`,
  };
  try {
    const inlined = local ? await proxyLocalActivities<Activities>(options).deliverWebhookInline({ deliveryId: p.deliveryId }) : undefined;
    const r = inlined && inlined.outcome !== 'deferred' ? inlined : await proxyActivities<Activities>(options).deliverWebhook({ deliveryId: p.deliveryId });
    if (r.outcome === 'delivered') return 'delivered';
    return { kind: 'wait', delayMs: r.waitMs, reason: r.reason };
  } catch (err) {
    const failure = readDeliveryFailure(err);
    if (failure.permanent) return { kind: 'park', reason: `permanent failure: ${failure.message}`, attempts: failure.attempt ?? 1 };
    // A timeout (e.g. the worker died mid-POST) lands here too: retried like any transient failure.
    return { kind: 'retry', delayMs: failure.retryAfterMs ?? input.policy.retry.initialIntervalMs, reason: failure.message };
  }
}

/** The retry settings for what is left once the first attempt (and the first backoff) are spent. */
function afterFirstAttempt(retry: RetrySettings): RetrySettings {
  return {
    ...retry,
    maxAttempts: retry.maxAttempts - 1,
    initialIntervalMs: Math.min(retry.maxIntervalMs, retry.initialIntervalMs * retry.backoffCoefficient),
  };
}

/** What every plan of this event's deliveries is given, whichever step makes it. */
function planInput(input: EventWorkflowInput) {
  return { eventId: input.eventId, eventType: input.eventType, workflowIdPrefix: workflowInfo().workflowId };
}

interface Routed {
  tenantId?: string;
  reason?: string;
  /** Set when the deliveries were planned in the same step as the resolution (`merged`). */
  planned?: PlannedDelivery[];
}

/**
 * Resolves, waiting (bounded) for the routing map to catch up; quarantines on conflict or timeout.
 * With `merged` each poll is resolveAndPlanDeliveries, which plans the deliveries as soon as the
 * tenant is resolved; without it (histories from before), resolveTenant, and planning follows.
 */
async function resolveTenantOrQuarantine(input: EventWorkflowInput, merged: boolean): Promise<Routed> {
  // Workflow time (deterministic), not the host clock.
  const deadline = Date.now() + input.policy.tenantWaitMs;
  for (;;) {
    // resolveTenant plans nothing: typed as such, so a resolution reads the same from either step.
    const r: ResolveAndPlanResult | (ResolveTenantResult & { planned?: undefined }) = merged
      ? await acts.resolveAndPlanDeliveries.executeWithOptions(summarised(`Resolve tenant and plan deliveries for ${input.eventType}`), [
          { ...planInput(input), firstAttemptInline: true },
        ])
      : await acts.resolveTenant.executeWithOptions(summarised('Resolve tenant from the event keys'), [input.eventId]);
    if (r.outcome === 'resolved') return { tenantId: r.tenantId, planned: r.planned };
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
