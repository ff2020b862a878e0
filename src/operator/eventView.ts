import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { DeliveryStatus } from '../domain/statuses';
import { page } from '../tenancy/wireCommon';
import { encodeDeliveryCursor, type DeliveryPosition } from './deliveryCursor';
import { inScope, type RowScope } from './principalScope';

/** How a delivery ended up where it is, in both the event view and the deliveries list. */
const DELIVERY_HISTORY_COLUMNS = [
  'deliveries.dead_letter_reason',
  'deliveries.redrive_count',
  'deliveries.workflow_id',
  'deliveries.created_at',
  'deliveries.updated_at',
  'deliveries.delivered_at',
] as const;

/** One event as an operator reads it: the event, its checkpoint log, its deliveries and every attempt. */
export async function loadEventView(db: Kysely<Database>, eventId: string, scope: RowScope) {
  const event = await db
    .selectFrom('events')
    .select(['id', 'partner_id', 'tenant_id', 'call_id', 'event_type', 'status', 'source', 'source_id', 'occurred_at', 'received_at', 'updated_at', 'workflow_id'])
    .where('id', '=', eventId)
    .executeTakeFirst();
  if (!event || !inScope(scope, event)) return undefined;
  const [checkpoints, deliveries] = await Promise.all([
    db.selectFrom('event_checkpoints').select(['stage', 'detail', 'at']).where('event_id', '=', eventId).orderBy('id').execute(),
    db
      .selectFrom('deliveries')
      .innerJoin('endpoints', 'endpoints.id', 'deliveries.endpoint_id')
      .select([
        'deliveries.id',
        'deliveries.endpoint_id',
        'endpoints.url as endpoint_url',
        'deliveries.tenant_id',
        'deliveries.status',
        'deliveries.attempt_count',
        'deliveries.last_status_code',
        'deliveries.last_error',
        'deliveries.last_response_body',
        ...DELIVERY_HISTORY_COLUMNS,
      ])
      .where('deliveries.event_id', '=', eventId)
      .orderBy('deliveries.endpoint_id')
      .execute(),
  ]);
  const attempts =
    deliveries.length === 0
      ? []
      : await db
          .selectFrom('delivery_attempts')
          .select(['delivery_id', 'attempt_number', 'started_at', 'duration_ms', 'status_code', 'response_body', 'request_headers', 'error'])
          .where(
            'delivery_id',
            'in',
            deliveries.map((d) => d.id),
          )
          .orderBy('delivery_id')
          .orderBy('attempt_number')
          .execute();
  return {
    ...event,
    checkpoints: checkpoints.map((c) => checkpointInScope(scope, c)),
    deliveries: deliveries.map((d) => ({
      ...d,
      attempts: attempts.filter((a) => a.delivery_id === d.id).map(({ delivery_id: _d, ...a }) => a),
    })),
  };
}

/**
 * A `quarantined` checkpoint records the partner's routing conflict: the candidate tenants and keys
 * (e.g. a sibling tenant's id, or another partner's tenant id the payload named). Once the event is
 * released to a tenant, that tenant's key may read the event, but the conflict is the partner's
 * business, not the tenant's: a tenant-scoped caller sees only the reason.
 */
function checkpointInScope<C extends { stage: string; detail: unknown }>(scope: RowScope, c: C): C {
  if (!scope.tenantId || c.stage !== 'quarantined') return c;
  const reason = (c.detail as { reason?: unknown } | null)?.reason ?? null;
  return { ...c, detail: { reason } };
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  tenant_id?: string;
  endpoint_id?: string;
  since?: Date;
  until?: Date;
  event_type?: string;
  call_id?: string;
  limit: number;
  /** Where the previous page ended (keyset paging). */
  after?: DeliveryPosition;
  /** Rows to skip instead (deprecated on the wire: rows moving meanwhile shift every later page). */
  offset?: number;
}

/** One page of deliveries, newest activity first, and the cursor of the next (null on the last). */
export async function listDeliveries(db: Kysely<Database>, filter: DeliveryFilter, scope: RowScope) {
  let q = db
    .selectFrom('deliveries')
    .innerJoin('events', 'events.id', 'deliveries.event_id')
    .select([
      'deliveries.id',
      'deliveries.event_id',
      'events.event_type',
      'events.call_id',
      'deliveries.endpoint_id',
      'deliveries.tenant_id',
      'deliveries.partner_id',
      'deliveries.status',
      'deliveries.attempt_count',
      'deliveries.last_status_code',
      'deliveries.last_error',
      ...DELIVERY_HISTORY_COLUMNS,
      sql<string>`to_char(deliveries.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('position_at'),
    ])
    .orderBy('deliveries.updated_at', 'desc')
    .orderBy('deliveries.id', 'desc')
    // One row more than the page says whether a next page exists.
    .limit(filter.limit + 1)
    .offset(filter.offset ?? 0);
  if (filter.after) q = q.where(sql<boolean>`(deliveries.updated_at, deliveries.id) < (${filter.after.at}::timestamptz, ${filter.after.id})`);
  if (scope.partnerId) q = q.where('deliveries.partner_id', '=', scope.partnerId);
  if (scope.tenantId) q = q.where('deliveries.tenant_id', '=', scope.tenantId);
  if (filter.status) q = q.where('deliveries.status', '=', filter.status);
  if (filter.tenant_id) q = q.where('deliveries.tenant_id', '=', filter.tenant_id);
  if (filter.endpoint_id) q = q.where('deliveries.endpoint_id', '=', filter.endpoint_id);
  if (filter.since) q = q.where('deliveries.updated_at', '>=', filter.since);
  if (filter.until) q = q.where('deliveries.updated_at', '<', filter.until);
  if (filter.event_type) q = q.where('events.event_type', '=', filter.event_type);
  if (filter.call_id) q = q.where('events.call_id', '=', filter.call_id);
  const p = page(await q.execute(), filter.limit, (last) => encodeDeliveryCursor({ at: last.position_at, id: last.id }));
  return { data: p.data.map(({ position_at: _, ...row }) => row), next_after: p.next_after };
}
