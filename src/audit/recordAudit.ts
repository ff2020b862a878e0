import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { newId } from '../ids';
import type { AuditAction, AuditTargetType } from './auditActions';
import type { AuditActor } from './auditActor';

export interface AuditEntry {
  action: AuditAction;
  /** The partner the action concerns: whose audit log shows it (null: every partner, admin only). */
  partnerId: string | null;
  tenantId?: string | null;
  target: { type: AuditTargetType; id: string };
  /** Ids and field names only: never a secret, a key, a URL (paths can carry tokens) or a payload. */
  detail?: Record<string, unknown>;
}

/**
 * Appends one audit row. Call it after the action succeeded, with the database handle or the
 * action's own transaction (then the action and its record commit together):
 * `await recordAudit(ctx.db, actorOf(principal, req), { action: 'source.created', partnerId, target: { type: 'source', id } })`.
 */
export async function recordAudit(db: Kysely<Database>, actor: AuditActor, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      id: newId('aud'),
      partner_id: entry.partnerId,
      tenant_id: entry.tenantId ?? null,
      actor_kind: actor.kind,
      actor_key_id: actor.keyId,
      action: entry.action,
      target_type: entry.target.type,
      target_id: entry.target.id,
      detail: JSON.stringify(entry.detail ?? {}),
      client_ip: actor.clientIp,
      request_id: actor.requestId,
    })
    .execute();
}
