import type { Kysely, Selectable } from 'kysely';
import type { Database, OperationalEventsTable } from '../db/schema';
import type { RowScope } from '../operator/principalScope';
import type { OperationalEventType } from './catalogue';

export interface OperationalEventFilter {
  type?: OperationalEventType;
  partnerId?: string;
  tenantId?: string;
  since?: string;
  until?: string;
  limit: number;
  /** Cursor: the last id of the previous page (ids grow with insertion, newest first). */
  after?: string;
}

/** A page (plus one row, to tell a next page exists) of operational events in the caller's scope. */
export function listOperationalEvents(db: Kysely<Database>, scope: RowScope, f: OperationalEventFilter): Promise<Array<Selectable<OperationalEventsTable>>> {
  let q = db.selectFrom('operational_events').selectAll().orderBy('id', 'desc').limit(f.limit + 1);
  if (scope.partnerId) q = q.where('partner_id', '=', scope.partnerId);
  if (scope.tenantId) q = q.where('tenant_id', '=', scope.tenantId);
  if (f.partnerId) q = q.where('partner_id', '=', f.partnerId);
  if (f.tenantId) q = q.where('tenant_id', '=', f.tenantId);
  if (f.type) q = q.where('type', '=', f.type);
  if (f.since) q = q.where('at', '>=', new Date(f.since));
  if (f.until) q = q.where('at', '<', new Date(f.until));
  if (f.after) q = q.where('id', '<', f.after);
  return q.execute();
}

export function operationalEventToWire(r: Selectable<OperationalEventsTable>) {
  return { id: String(r.id), type: r.type as OperationalEventType, partner_id: r.partner_id, tenant_id: r.tenant_id, at: r.at.toISOString(), detail: r.detail };
}
