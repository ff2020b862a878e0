import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema';

/**
 * Runs `work` in a transaction, or in the caller's when `db` already is one: a service that needs
 * its statements atomic stays composable with a caller that adds its own (the audit record of the
 * action, src/audit/audited.ts). Kysely refuses a nested `transaction()`.
 */
export function inTransaction<T>(db: Kysely<Database>, work: (trx: Transaction<Database> | Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? work(db) : db.transaction().execute(work);
}
