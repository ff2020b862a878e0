import { inTransaction } from '../db/inTransaction';
import type { Kysely, Selectable } from 'kysely';
import type { SecretBox } from '../crypto/secretBox';
import type { Database, SourcesTable } from '../db/schema';
import { newId } from '../ids';
import { SourceMapping, SourceVerification } from './sourceSchemas';
import { addSourceSecret } from './sourceSecrets';

/** A source as the code uses it: its stored JSON read back through the schemas (defaults filled in). */
export interface Source {
  id: string;
  partnerId: string;
  name: string;
  verification: SourceVerification;
  mapping: SourceMapping | null;
  ipAllowlist: string[] | null;
  createdAt: Date;
  updatedAt: Date;
}

export function sourceFromRow(row: Selectable<SourcesTable>): Source {
  return {
    id: row.id,
    partnerId: row.partner_id,
    name: row.name,
    verification: SourceVerification.parse(row.verification),
    mapping: row.mapping === null ? null : SourceMapping.parse(row.mapping),
    ipAllowlist: row.ip_allowlist,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export interface NewSource {
  partnerId: string;
  name: string;
  verification: SourceVerification;
  mapping: SourceMapping | null;
  ipAllowlist: string[] | null;
  secret: string;
}

export async function createSource(db: Kysely<Database>, box: SecretBox, input: NewSource): Promise<Source> {
  const id = newId('src');
  const row = await inTransaction(db, async (trx) => {
    const inserted = await trx
      .insertInto('sources')
      .values({
        id,
        partner_id: input.partnerId,
        name: input.name,
        verification: JSON.stringify(input.verification),
        mapping: input.mapping === null ? null : JSON.stringify(input.mapping),
        ip_allowlist: input.ipAllowlist,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await addSourceSecret(trx, box, id, input.secret);
    return inserted;
  });
  return sourceFromRow(row);
}

/** A live source; with `partnerId`, only if it belongs to that partner. */
export async function getSource(db: Kysely<Database>, id: string, partnerId?: string): Promise<Source | undefined> {
  let q = db.selectFrom('sources').selectAll().where('id', '=', id).where('deleted_at', 'is', null);
  if (partnerId !== undefined) q = q.where('partner_id', '=', partnerId);
  const row = await q.executeTakeFirst();
  return row ? sourceFromRow(row) : undefined;
}

export async function listSources(db: Kysely<Database>, partnerId: string, limit: number, after?: string): Promise<Source[]> {
  let q = db.selectFrom('sources').selectAll().where('partner_id', '=', partnerId).where('deleted_at', 'is', null);
  if (after) q = q.where('id', '>', after);
  const rows = await q.orderBy('id').limit(limit + 1).execute();
  return rows.map(sourceFromRow);
}

export interface SourceChanges {
  name?: string;
  verification?: SourceVerification;
  mapping?: SourceMapping | null;
  ipAllowlist?: string[] | null;
}

export async function updateSource(db: Kysely<Database>, id: string, partnerId: string, changes: SourceChanges): Promise<Source | undefined> {
  const row = await db
    .updateTable('sources')
    .set({
      updated_at: new Date(),
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.verification !== undefined ? { verification: JSON.stringify(changes.verification) } : {}),
      ...(changes.mapping !== undefined ? { mapping: changes.mapping === null ? null : JSON.stringify(changes.mapping) } : {}),
      ...(changes.ipAllowlist !== undefined ? { ip_allowlist: changes.ipAllowlist } : {}),
    })
    .where('id', '=', id)
    .where('partner_id', '=', partnerId)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  return row ? sourceFromRow(row) : undefined;
}

/** Soft delete: the source stops taking requests at once; its receipts stay for the audit. */
export async function deleteSource(db: Kysely<Database>, id: string, partnerId: string): Promise<boolean> {
  const r = await db
    .updateTable('sources')
    .set({ deleted_at: new Date(), updated_at: new Date() })
    .where('id', '=', id)
    .where('partner_id', '=', partnerId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
