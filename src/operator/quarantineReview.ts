import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { QuarantineStatus } from '../domain/statuses';
import { releaseWorkflowId } from '../domain/workflowIds';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { startEventWorkflow } from '../temporal/startEventWorkflow';
import { startOrCompensate } from '../temporal/startOrCompensate';
import { page } from '../tenancy/wireCommon';
import type { RowScope } from './principalScope';
import type { OperatorServices } from '../services';

export interface QuarantineFilter {
  status?: QuarantineStatus;
  limit: number;
  /** Cursor: the last id of the previous page (an item's id is its event's, which grows with time). */
  after?: string;
}

/** One page of quarantined events, newest first, and the cursor of the next (null on the last). */
export async function listQuarantine(db: Kysely<Database>, scope: RowScope, filter: QuarantineFilter) {
  let q = db
    .selectFrom('quarantine')
    .innerJoin('events', 'events.id', 'quarantine.event_id')
    .select([
      'quarantine.id',
      'quarantine.event_id',
      'quarantine.partner_id',
      'quarantine.reason',
      'quarantine.detail',
      'quarantine.status',
      'quarantine.released_tenant_id',
      'quarantine.created_at',
      'quarantine.resolved_at',
      'events.call_id',
      'events.event_type',
    ])
    .orderBy('quarantine.id', 'desc')
    // One row more than the page says whether a next page exists.
    .limit(filter.limit + 1);
  if (scope.partnerId) q = q.where('quarantine.partner_id', '=', scope.partnerId);
  if (filter.status) q = q.where('quarantine.status', '=', filter.status);
  if (filter.after) q = q.where('quarantine.id', '<', filter.after);
  return page(await q.execute(), filter.limit);
}

/**
 * Releases a quarantined event to a tenant of the same partner: the row is claimed (open ->
 * released) in one conditional UPDATE, then the event workflow runs again with the tenant forced.
 * If Temporal refuses the start, the claim is given back so the release can be retried.
 */
export async function releaseQuarantined(deps: OperatorServices, quarantineId: string, tenantId: string, scope: RowScope) {
  const { db } = deps;
  const claimed = await db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('quarantine').selectAll().where('id', '=', quarantineId).forUpdate();
    if (scope.partnerId) q = q.where('partner_id', '=', scope.partnerId);
    const item = await q.executeTakeFirst();
    if (!item) throw new NotFoundError(`quarantined event ${quarantineId}`);
    if (item.status !== 'open') throw new ConflictError(`quarantined event ${quarantineId} was already ${item.status}`, { status: item.status });
    const tenant = await trx
      .selectFrom('tenants')
      .select(['id'])
      .where('id', '=', tenantId)
      .where('partner_id', '=', item.partner_id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!tenant) {
      throw new ValidationError('tenant_id is not a tenant of this partner', [{ field: 'tenant_id', message: 'unknown tenant for this partner' }]);
    }
    await trx
      .updateTable('quarantine')
      .set({ status: 'released', released_tenant_id: tenantId, resolved_at: sql`now()` })
      .where('id', '=', quarantineId)
      .execute();
    const event = await trx
      .updateTable('events')
      .set({ tenant_id: tenantId, updated_at: sql`now()` })
      .where('id', '=', item.event_id)
      .returning(['id', 'partner_id', 'call_id', 'event_type', 'terminal', 'workflow_id'])
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('event_checkpoints')
      .values({ event_id: item.event_id, stage: 'released', detail: JSON.stringify({ tenant_id: tenantId, quarantine_id: quarantineId }) })
      .execute();
    return event;
  });

  const workflowId = releaseWorkflowId(claimed.workflow_id);
  await startOrCompensate({
    start: () => startEventWorkflow(deps.temporal, deps.config, claimed, { release: { tenantId, quarantineId } }),
    compensate: async (err) => {
      await db
        .updateTable('quarantine')
        .set({ status: 'open', released_tenant_id: null, resolved_at: null })
        .where('id', '=', quarantineId)
        .execute();
      deps.logger.error({ quarantine_id: quarantineId, err: err.message }, 'release could not start its workflow');
    },
    unavailable: 'Temporal is unavailable; the event stays quarantined, try again',
  });
  deps.logger.info({ quarantine_id: quarantineId, event_id: claimed.id, tenant_id: tenantId, outcome: 'released' }, 'quarantined event released');
  return { id: quarantineId, event_id: claimed.id, status: 'released' as const, tenant_id: tenantId, workflow_id: workflowId };
}

/** Discards a quarantined event: it is kept for audit but never delivered. */
export async function discardQuarantined(db: Kysely<Database>, quarantineId: string, scope: RowScope) {
  return db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('quarantine').select(['id', 'event_id', 'status']).where('id', '=', quarantineId).forUpdate();
    if (scope.partnerId) q = q.where('partner_id', '=', scope.partnerId);
    const item = await q.executeTakeFirst();
    if (!item) throw new NotFoundError(`quarantined event ${quarantineId}`);
    if (item.status !== 'open') throw new ConflictError(`quarantined event ${quarantineId} was already ${item.status}`, { status: item.status });
    await trx.updateTable('quarantine').set({ status: 'discarded', resolved_at: sql`now()` }).where('id', '=', quarantineId).execute();
    await trx.updateTable('events').set({ status: 'discarded', updated_at: sql`now()` }).where('id', '=', item.event_id).execute();
    await trx
      .insertInto('event_checkpoints')
      .values({ event_id: item.event_id, stage: 'discarded', detail: JSON.stringify({ quarantine_id: quarantineId }) })
      .execute();
    return { id: quarantineId, event_id: item.event_id, status: 'discarded' as const };
  });
}
