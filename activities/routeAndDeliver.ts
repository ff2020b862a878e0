import { ApplicationFailure } from '@temporalio/common';
import { destinationLabel } from '../src/domain/destination';
import type { EventStatus } from '../src/domain/statuses';
import { endpointWorkflowId } from '../src/domain/workflowIds';
import { stampAndPlanStatement, type PlannedAttemptRow } from '../src/db/statements/stampAndPlan';
import { newId } from '../src/ids';
import { settleEvent } from './checkpoints';
import type { DeliveryAttempts } from './deliverWebhook';
import type { ActivityDeps } from './deps';
import type { PlanDeliveriesInput, PlannedDelivery } from './planDeliveries';
import type { ResolveTenantResult, TenantResolver } from './resolveTenant';

/** How the first attempt at one delivery ended, as data (one endpoint's failure is not the step's). */
export type FirstAttempt =
  | { outcome: 'delivered' }
  | { outcome: 'wait'; reason: 'circuit_open' | 'rate_limited'; waitMs: number }
  /** Over the worker's bound on inline attempts: nothing was sent, the workflow makes it a task-queue activity. */
  | { outcome: 'deferred' }
  | { outcome: 'failed'; permanent: boolean; message: string; attempt?: number; retryAfterMs?: number };

export type RouteAndDeliverResult =
  | Exclude<ResolveTenantResult, { outcome: 'resolved' }>
  | {
      outcome: 'routed';
      tenantId: string;
      deliveries: Array<PlannedDelivery & { first: FirstAttempt }>;
      /** The event's final status when this step settled it (every delivery delivered, or none to make); else null. */
      settled: EventStatus | null;
    };

/** Delivery ids offered to the plan statement before it says how many endpoints are subscribed. */
const DELIVERY_IDS_FIRST_OFFER = 4;

export function routeAndDeliverActivities(deps: ActivityDeps, resolver: TenantResolver, attempts: DeliveryAttempts, routed: (eventId: string) => void) {
  const { db, logger } = deps;

  /** plan: stamp the tenant and plan its deliveries, loaded for their first attempt (one statement, rarely two). */
  async function plan(input: Omit<PlanDeliveriesInput, 'tenantId'>, decided: Extract<Awaited<ReturnType<TenantResolver['decide']>>, { outcome: 'resolved' }>) {
    const statement = (ids: number) =>
      stampAndPlanStatement(db, {
        eventId: input.eventId,
        tenantId: decided.tenantId,
        eventType: input.eventType,
        stampDetail: decided.detail,
        learned: decided.learned,
        workflowId: input.workflowIdPrefix,
        deliveryIds: Array.from({ length: ids }, () => newId('dlv')),
      });
    const first = await statement(DELIVERY_IDS_FIRST_OFFER);
    // More endpoints than ids offered: plan the rest (rows planned already are kept).
    return first.subscribed > first.rows.length ? (await statement(first.subscribed)).rows : first.rows;
  }

  /** resolve → plan → first attempts → settle (see routeAndDeliver). */
  async function routeAndDeliverEvent(input: Omit<PlanDeliveriesInput, 'tenantId'>): Promise<RouteAndDeliverResult> {
    const decided = await resolver.decide(input.eventId);
    if (decided.outcome !== 'resolved') return decided;
    const rows = await plan(input, decided);
    // Planned: what is left are the POSTs, bounded on their own (deliveryAttempts.inline).
    routed(input.eventId);
    const firsts = await Promise.all(rows.map((row) => attemptFirst(attempts, row, input.eventId)));
    const allDelivered = firsts.every((f) => f.outcome === 'delivered');
    // Settled by an attempt's own statement, or (no deliveries at all; siblings that recorded at
    // the same time, so that neither saw the other delivered) by one more statement here.
    const settled = !allDelivered ? null : firsts.some((f) => f.settled) ? 'delivered' : await settleEvent(db, input.eventId);
    logger.debug({ event_id: input.eventId, tenant_id: decided.tenantId, deliveries: rows.length, settled }, 'event routed');
    return {
      outcome: 'routed',
      tenantId: decided.tenantId,
      settled,
      deliveries: rows.map((row, i) => {
        const { settled: _settled, ...first } = firsts[i]!;
        return {
          deliveryId: row.id,
          endpointId: row.endpoint_id,
          destination: destinationLabel(row.url),
          workflowId: endpointWorkflowId(input.workflowIdPrefix, row.endpoint_id),
          maxAttempts: row.max_attempts,
          status: row.status,
          first,
        };
      }),
    };
  }
  return {
    /**
     * The event workflow's whole happy path as ONE local activity: resolve the tenant, stamp it and
     * plan the deliveries, make every delivery's first attempt, settle the event when all are
     * delivered. One marker and one activation in the workflow instead of three each, and three
     * statements (routing read, stamp-and-plan, attempt-and-settle). Whatever does not end here
     * (no tenant yet, a conflict, a failed or deferred attempt) comes back as data and the workflow
     * carries on with its own steps. Safe to repeat: resolution stamps once, planning is keyed by
     * (endpoint, event), a delivered delivery is never sent again.
     */
    async routeAndDeliver(input: Omit<PlanDeliveriesInput, 'tenantId'>): Promise<RouteAndDeliverResult> {
      try {
        return await routeAndDeliverEvent(input);
      } finally {
        routed(input.eventId);
      }
    },
  };
}

/** attempt: one delivery's first attempt, inline within the worker's bound, its end as data. */
async function attemptFirst(attempts: DeliveryAttempts, row: PlannedAttemptRow, eventId: string): Promise<FirstAttempt & { settled?: boolean }> {
  try {
    const r = await attempts.inline(() => attempts.attempt(row, { sealedSecrets: row.sealed_secrets, settleEventId: eventId }));
    if (r.outcome === 'deferred') return r;
    if (r.outcome === 'delivered') return { outcome: 'delivered', settled: r.settled };
    return { outcome: 'wait', reason: r.reason, waitMs: r.waitMs };
  } catch (err) {
    if (!(err instanceof ApplicationFailure)) throw err;
    const detail = err.details?.[0] as { attempt?: number; retry_after_ms?: number | null } | undefined;
    return { outcome: 'failed', permanent: Boolean(err.nonRetryable), message: err.message, attempt: detail?.attempt, retryAfterMs: detail?.retry_after_ms ?? undefined };
  }
}
