import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { endpointWorkflowId, redriveWorkflowId } from '../domain/workflowIds';
import { startDeliveryWorkflow } from '../temporal/startDeliveryWorkflow';
import { startOrCompensate } from '../temporal/startOrCompensate';
import type { RowScope } from './principalScope';
import type { OperatorServices } from '../services';

export interface RedriveOutcome {
  delivery_id: string;
  redriven: boolean;
  /** The delivery's status when the request was refused (only dead-lettered ones are redriven). */
  status?: string;
  workflow_id?: string;
}

/**
 * Re-runs one dead-lettered delivery through the same deliveryWorkflow path: same delivery row,
 * same webhook-id (the event id), a fresh attempt budget counted from the current attempt_count.
 * Idempotent: the claim is a conditional UPDATE (`status = 'dead_lettered'`), so a delivery that
 * is already being redriven or was delivered is left alone.
 */
// eslint-disable-next-line max-lines-per-function -- claim, start and compensate: the three steps of one idempotent redrive, read together to see why none can run twice
export async function redriveDelivery(deps: OperatorServices, deliveryId: string, scope: RowScope): Promise<RedriveOutcome | undefined> {
  const { db } = deps;
  const claimed = await db.transaction().execute(async (trx) => {
    let q = trx
      .updateTable('deliveries')
      // A redrive is a fresh attempt budget: its retry schedule starts again from this attempt.
      .set({ status: 'pending', redrive_count: sql`redrive_count + 1`, retry_attempt_base: sql`attempt_count`, dead_letter_reason: null, updated_at: sql`now()` })
      .where('id', '=', deliveryId)
      .where('status', '=', 'dead_lettered');
    if (scope.partnerId) q = q.where('partner_id', '=', scope.partnerId);
    if (scope.tenantId) q = q.where('tenant_id', '=', scope.tenantId);
    const row = await q.returning(['id', 'event_id', 'endpoint_id', 'tenant_id', 'partner_id', 'attempt_count', 'redrive_count', 'workflow_id']).executeTakeFirst();
    if (!row) return undefined;
    const event = await trx.selectFrom('events').select(['id', 'call_id', 'event_type', 'workflow_id']).where('id', '=', row.event_id).executeTakeFirstOrThrow();
    const endpoint = await trx.selectFrom('endpoints').select(['url', 'max_attempts']).where('id', '=', row.endpoint_id).executeTakeFirstOrThrow();
    const workflowId = redriveWorkflowId(row.workflow_id ?? endpointWorkflowId(event.workflow_id, row.endpoint_id), row.redrive_count);
    await trx
      .insertInto('event_checkpoints')
      .values({ event_id: row.event_id, stage: 'redrive', detail: JSON.stringify({ delivery_id: row.id, workflow_id: workflowId }) })
      .execute();
    await trx.updateTable('events').set({ status: 'delivering', updated_at: sql`now()` }).where('id', '=', row.event_id).execute();
    return { row, event, endpoint, workflowId };
  });

  if (!claimed) {
    let q = db.selectFrom('deliveries').select(['id', 'status']).where('id', '=', deliveryId);
    if (scope.partnerId) q = q.where('partner_id', '=', scope.partnerId);
    if (scope.tenantId) q = q.where('tenant_id', '=', scope.tenantId);
    const current = await q.executeTakeFirst();
    return current ? { delivery_id: current.id, redriven: false, status: current.status } : undefined;
  }

  const { row, event, endpoint, workflowId } = claimed;
  await startOrCompensate({
    start: () =>
      startDeliveryWorkflow(deps.temporal, deps.config, {
        workflowId,
        deliveryId: row.id,
        eventId: row.event_id,
        endpointId: row.endpoint_id,
        endpointUrl: endpoint.url,
        maxAttempts: endpoint.max_attempts,
        attemptBase: row.attempt_count,
        partnerId: row.partner_id,
        tenantId: row.tenant_id,
        callId: event.call_id,
        eventType: event.event_type,
        purpose: `Redrive #${row.redrive_count}`,
        note: `after ${row.attempt_count} attempts`,
      }),
    // Give the claim back so the delivery stays visibly dead-lettered and can be redriven later.
    compensate: async (err) => {
      await db
        .updateTable('deliveries')
        .set({ status: 'dead_lettered', redrive_count: sql`redrive_count - 1`, dead_letter_reason: 'redrive could not start', updated_at: sql`now()` })
        .where('id', '=', row.id)
        .where('status', '=', 'pending')
        .execute();
      deps.logger.error({ delivery_id: row.id, err: err.message }, 'redrive could not start its workflow');
    },
    unavailable: 'Temporal is unavailable; the delivery stays dead-lettered, try again',
  });
  deps.logger.info({ delivery_id: row.id, workflow_id: workflowId, outcome: 'redriven' }, 'delivery redriven');
  return { delivery_id: row.id, redriven: true, workflow_id: workflowId };
}

export interface BulkRedriveFilter {
  tenant_id?: string;
  endpoint_id?: string;
  limit: number;
}

/** The dead-lettered deliveries a bulk redrive would take, oldest first (also `--dry-run`). */
export async function findRedrivable(db: Kysely<Database>, filter: BulkRedriveFilter, scope: RowScope): Promise<string[]> {
  let q = db.selectFrom('deliveries').select('id').where('status', '=', 'dead_lettered').orderBy('updated_at').limit(filter.limit);
  if (scope.partnerId) q = q.where('partner_id', '=', scope.partnerId);
  if (scope.tenantId) q = q.where('tenant_id', '=', scope.tenantId);
  if (filter.tenant_id) q = q.where('tenant_id', '=', filter.tenant_id);
  if (filter.endpoint_id) q = q.where('endpoint_id', '=', filter.endpoint_id);
  return (await q.execute()).map((r) => r.id);
}

/**
 * Redrives every dead-lettered delivery matching the filter (within the caller's scope).
 * `onProgress` is told the total once and then each outcome (the CLI draws a progress bar).
 */
export async function redriveMatching(
  deps: OperatorServices,
  filter: BulkRedriveFilter,
  scope: RowScope,
  onProgress?: { start?(total: number): void; done?(outcome: RedriveOutcome | undefined): void },
): Promise<RedriveOutcome[]> {
  const ids = await findRedrivable(deps.db, filter, scope);
  onProgress?.start?.(ids.length);
  const out: RedriveOutcome[] = [];
  // Sequential on purpose: a bulk redrive should not stampede Temporal or the endpoint.
  for (const id of ids) {
    const r = await redriveDelivery(deps, id, scope);
    if (r) out.push(r);
    onProgress?.done?.(r);
  }
  return out;
}
