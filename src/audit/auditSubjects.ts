import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import type { AuditActor } from './auditActor';
import { recordAudit } from './recordAudit';

/**
 * Audit records for operator actions whose services answer with ids only (redrive, quarantine
 * decisions): the owner is read back from the row, so the API and the operator CLI record the
 * same thing.
 */
export async function auditRedrive(db: Kysely<Database>, actor: AuditActor, out: { delivery_id: string; workflow_id?: string }, bulk: boolean): Promise<void> {
  const d = await db.selectFrom('deliveries').select(['partner_id', 'tenant_id']).where('id', '=', out.delivery_id).executeTakeFirstOrThrow();
  await recordAudit(db, actor, { action: 'delivery.redriven', partnerId: d.partner_id, tenantId: d.tenant_id, target: { type: 'delivery', id: out.delivery_id }, detail: { workflow_id: out.workflow_id ?? null, bulk } });
}

export async function auditQuarantineDecision(
  db: Kysely<Database>,
  actor: AuditActor,
  decided: { id: string; event_id: string; status: 'released' | 'discarded'; tenant_id?: string },
): Promise<void> {
  const q = await db.selectFrom('quarantine').select('partner_id').where('id', '=', decided.id).executeTakeFirstOrThrow();
  await recordAudit(db, actor, {
    action: decided.status === 'released' ? 'quarantine.released' : 'quarantine.discarded',
    partnerId: q.partner_id,
    tenantId: decided.tenant_id ?? null,
    target: { type: 'quarantine', id: decided.id },
    detail: { event_id: decided.event_id },
  });
}
