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
import { markdownCode } from '../src/domain/markdownCode';
import { DeliveryStatusKey, TenantId, workflowSearchAttributes } from '../src/temporal/searchAttributes';
import { DATABASE_STEP_OPTIONS, databaseSteps, summarised } from './databaseSteps';
import { readDeliveryFailure, type DeliveryFailure } from './deliveryFailure';
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
  setCurrentDetails(`event ${markdownCode(input.eventId)}: resolving tenant`);
  return input.forcedTenantId ? releaseEvent(input, input.forcedTenantId) : routeAndDeliverEvent(input);
}

/**
 * The event's path: one local activity routes the event, plans its deliveries, makes every first
 * attempt and settles the event when all are delivered, so a delivered event is one workflow
 * task, one marker and one search-attribute upsert (at the end). Only what did not end in that
 * step takes further steps: a deferred first attempt runs as a task-queue activity, a failed or
 * waiting delivery is handed to its own deliveryWorkflow, and the event is settled once they end.
 */
async function routeAndDeliverEvent(input: EventWorkflowInput): Promise<EventWorkflowResult> {
  const routed = await untilRouted(input, () =>
    proxyLocalActivities<Activities>({
      ...DATABASE_STEP_OPTIONS,
      // The step's first attempts POST: the HTTP timeout plus room for the database around it.
      startToCloseTimeout: input.policy.deliveryTimeoutMs + 20_000,
      summary: `Route ${input.eventType}, plan and make the first attempts`,
    }).routeAndDeliver(planInput(input)),
  );
  if (routed.tenantId === undefined) return quarantined(routed.reason);
  const { tenantId, deliveries, settled } = routed;
  if (settled) return settledResult(settled, tenantId, deliveries.map((d) => ({ deliveryId: d.deliveryId, endpointId: d.endpointId, status: 'delivered' })));

  upsertSearchAttributes([
    { key: TenantId, value: tenantId },
    { key: DeliveryStatusKey, value: 'delivering' },
  ]);
  setCurrentDetails(`tenant ${markdownCode(tenantId)}: delivering to ${deliveries.length} endpoint(s)`);
  // Endpoints are served concurrently and independently: one endpoint's retries never delay another's.
  const outcomes = await Promise.all(
    deliveries.map(async (d) => {
      const first =
        d.first.outcome === 'delivered' ? 'delivered'
        : d.first.outcome === 'deferred' ? await attemptQueued(d, input)
        : d.first.outcome === 'wait' ? ({ kind: 'wait', delayMs: d.first.waitMs, reason: d.first.reason } as const)
        : continuationAfter(d.first, input);
      const status = first === 'delivered' ? 'delivered' : (await handOver(d, input, tenantId, first)).status;
      return { deliveryId: d.deliveryId, endpointId: d.endpointId, status };
    }),
  );
  const status = await databaseSteps.settleEventStatus.executeWithOptions(summarised('Settle the event status'), [input.eventId]);
  return settledResult(status, tenantId, outcomes);
}

/**
 * A partner released the quarantined event to a tenant: record that, plan its deliveries, make
 * each first attempt (as its own local activity), hand over what did not end, settle.
 */
async function releaseEvent(input: EventWorkflowInput, tenantId: string): Promise<EventWorkflowResult> {
  await databaseSteps.recordCheckpoint.executeWithOptions(summarised('Checkpoint: released to tenant'), [
    { eventId: input.eventId, stage: 'tenant_resolved', setStatus: true, detail: { tenant_id: tenantId, via: ['released'] } },
  ]);
  const planned = await databaseSteps.planDeliveries.executeWithOptions(summarised(`Plan deliveries for ${input.eventType}`), [
    { ...planInput(input), tenantId },
  ]);
  upsertSearchAttributes([
    { key: TenantId, value: tenantId },
    { key: DeliveryStatusKey, value: 'delivering' },
  ]);
  setCurrentDetails(`tenant ${markdownCode(tenantId)}: delivering to ${planned.length} endpoint(s)`);
  const outcomes = await Promise.all(
    planned.map(async (p) => {
      if (p.status === 'delivered') return { deliveryId: p.deliveryId, endpointId: p.endpointId, status: 'delivered' };
      const first = await attemptFirst(p, input);
      const status = first === 'delivered' ? 'delivered' : (await handOver(p, input, tenantId, first)).status;
      return { deliveryId: p.deliveryId, endpointId: p.endpointId, status };
    }),
  );
  const status = await databaseSteps.settleEventStatus.executeWithOptions(summarised('Settle the event status'), [input.eventId]);
  return settledResult(status, tenantId, outcomes);
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
  try {
    const inline = await proxyLocalActivities<Activities>(firstAttemptOptions(p, input)).deliverWebhookInline({ deliveryId: p.deliveryId });
    if (inline.outcome === 'deferred') return await attemptQueued(p, input);
    return inline.outcome === 'delivered' ? 'delivered' : { kind: 'wait', delayMs: inline.waitMs, reason: inline.reason };
  } catch (err) {
    return continuationAfter(readDeliveryFailure(err), input);
  }
}

/** The first attempt as a task-queue activity: the worker was at its bound on inline attempts. */
async function attemptQueued(p: PlannedDelivery, input: EventWorkflowInput): Promise<'delivered' | DeliveryContinuation> {
  try {
    const r = await proxyActivities<Activities>(firstAttemptOptions(p, input)).deliverWebhook({ deliveryId: p.deliveryId });
    return r.outcome === 'delivered' ? 'delivered' : { kind: 'wait', delayMs: r.waitMs, reason: r.reason };
  } catch (err) {
    return continuationAfter(readDeliveryFailure(err), input);
  }
}

function firstAttemptOptions(p: PlannedDelivery, input: EventWorkflowInput) {
  return {
    startToCloseTimeout: input.policy.deliveryTimeoutMs + 20_000,
    // Exactly one attempt here; further ones belong to the delivery workflow's retry policy.
    retry: { maximumAttempts: 1 },
    summary: `POST to ${markdownCode(p.destination)} (first attempt)`,
  };
}

/** What the delivery workflow carries on with after a failed first attempt. */
function continuationAfter(failure: Omit<DeliveryFailure, 'classified'>, input: EventWorkflowInput): DeliveryContinuation {
  if (failure.permanent) return { kind: 'park', reason: `permanent failure: ${failure.message}`, attempts: failure.attempt ?? 1 };
  // A timeout (e.g. the worker died mid-POST) lands here too: retried like any transient failure.
  return { kind: 'retry', delayMs: failure.retryAfterMs ?? input.policy.retry.initialIntervalMs, reason: failure.message };
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
    // Markdown in the UI, hence the code spans. Summaries are not compared on replay (docs/versioning.md).
    staticSummary: `Deliver ${input.eventType} to ${markdownCode(p.destination)}`,
    staticDetails: `delivery ${markdownCode(p.deliveryId)}, endpoint ${markdownCode(p.endpointId)}, event ${markdownCode(input.eventId)}`,
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

type Unrouted = { outcome: 'conflict'; reason: string; detail: Record<string, unknown> } | { outcome: 'unresolved'; keys: unknown[] };

/**
 * Runs a routing step until it finds the tenant, polling (bounded, workflow time) while the
 * routing map has no answer yet; quarantines on a conflict or when the wait runs out.
 */
async function untilRouted<R extends { outcome: string }>(
  input: EventWorkflowInput,
  step: () => Promise<R | Unrouted>,
): Promise<Exclude<R, Unrouted> | { tenantId?: undefined; reason: string }> {
  // Workflow time (deterministic), not the host clock.
  const deadline = Date.now() + input.policy.tenantWaitMs;
  for (;;) {
    const r = await step();
    if (r.outcome === 'conflict') {
      const c = r as Extract<Unrouted, { outcome: 'conflict' }>;
      await databaseSteps.quarantineEvent.executeWithOptions(summarised(`Quarantine: ${c.reason}`), [
        { eventId: input.eventId, reason: c.reason, detail: c.detail },
      ]);
      return { reason: c.reason };
    }
    if (r.outcome !== 'unresolved') return r as Exclude<R, Unrouted>;
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      await databaseSteps.quarantineEvent.executeWithOptions(summarised('Quarantine: unroutable'), [
        { eventId: input.eventId, reason: 'unroutable', detail: { keys: (r as Extract<Unrouted, { outcome: 'unresolved' }>).keys } },
      ]);
      return { reason: 'unroutable' };
    }
    await sleep(Math.min(input.policy.tenantPollMs, remaining), { summary: 'wait for the routing map to catch up' });
  }
}

function quarantined(reason: string): EventWorkflowResult {
  upsertSearchAttributes([{ key: DeliveryStatusKey, value: 'quarantined' }]);
  setCurrentDetails(`quarantined: ${reason}`);
  return { status: 'quarantined', reason, deliveries: [] };
}

/** The event's end: its tenant and final status in one upsert (the only one on the happy path). */
function settledResult(status: string, tenantId: string, deliveries: EventWorkflowResult['deliveries']): EventWorkflowResult {
  upsertSearchAttributes([
    { key: TenantId, value: tenantId },
    { key: DeliveryStatusKey, value: status },
  ]);
  setCurrentDetails(`${status}: ${deliveries.filter((o) => o.status === 'delivered').length}/${deliveries.length} delivered`);
  log.info('event settled', { status });
  return { status, tenantId, deliveries };
}

/** Clients start this workflow typed by EventWorkflow (./types): this fails to compile if the two drift. */
export type EventWorkflowImplements = Implements<typeof eventWorkflow, EventWorkflow>;
