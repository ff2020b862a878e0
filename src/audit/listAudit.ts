import type { Kysely, Selectable } from 'kysely';
import type { AuditLogTable, Database } from '../db/schema';
import type { AuditAction } from './auditActions';

export interface AuditFilter {
  /** Scope (already resolved from the caller) or an explicit filter; undefined = all partners. */
  partnerId?: string;
  tenantId?: string;
  action?: AuditAction;
  actorKeyId?: string;
  targetId?: string;
  since?: string;
  until?: string;
  limit: number;
  /** Cursor: the last id of the previous page (ids grow with time, so newest first is id order). */
  after?: string;
}

/** One page of audit records, newest first, plus one more row so the caller knows a next page exists. */
export function listAudit(db: Kysely<Database>, f: AuditFilter): Promise<Array<Selectable<AuditLogTable>>> {
  let q = db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(f.limit + 1);
  if (f.partnerId) q = q.where('partner_id', '=', f.partnerId);
  if (f.tenantId) q = q.where('tenant_id', '=', f.tenantId);
  if (f.action) q = q.where('action', '=', f.action);
  if (f.actorKeyId) q = q.where('actor_key_id', '=', f.actorKeyId);
  if (f.targetId) q = q.where('target_id', '=', f.targetId);
  if (f.since) q = q.where('at', '>=', new Date(f.since));
  if (f.until) q = q.where('at', '<', new Date(f.until));
  if (f.after) q = q.where('id', '<', f.after);
  return q.execute();
}

export function auditToWire(r: Selectable<AuditLogTable>) {
  return {
    id: r.id,
    at: r.at.toISOString(),
    partner_id: r.partner_id,
    tenant_id: r.tenant_id,
    actor: { kind: r.actor_kind, key_id: r.actor_key_id, client_ip: r.client_ip, request_id: r.request_id },
    action: r.action as AuditAction,
    target: { type: r.target_type as never, id: r.target_id },
    detail: r.detail,
  };
}
