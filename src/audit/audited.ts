import type { Kysely } from 'kysely';
import { inTransaction } from '../db/inTransaction';
import type { Database } from '../db/schema';
import type { AuditActor } from './auditActor';
import { recordAudit, type AuditEntry } from './recordAudit';

/**
 * Runs a privileged action and appends its audit record in one transaction: the action never
 * commits without its record, and a failed record undoes the action (the caller sees the error).
 * `entryOf` may answer null when the action changed nothing worth recording (an idempotent repeat).
 * Actions that also call Temporal (redrive, reconciliation start) record after the call instead.
 */
export function audited<T>(db: Kysely<Database>, actor: AuditActor, act: (trx: Kysely<Database>) => Promise<T>, entryOf: (result: T) => AuditEntry | null): Promise<T> {
  return inTransaction(db, async (trx) => {
    const result = await act(trx);
    const entry = entryOf(result);
    if (entry) await recordAudit(trx, actor, entry);
    return result;
  });
}
