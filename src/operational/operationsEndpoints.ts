import { sql, type Kysely } from 'kysely';
import type { Database, Endpoint } from '../db/schema';
import { NotFoundError } from '../errors';

/** A partner's own operations endpoints (no tenant); tenants' operations endpoints are listed with their endpoints. */
export function listPartnerOperationsEndpoints(db: Kysely<Database>, partnerId: string): Promise<Endpoint[]> {
  return db
    .selectFrom('endpoints')
    .selectAll()
    .where('partner_id', '=', partnerId)
    .where('tenant_id', 'is', null)
    .where('purpose', '=', 'operations')
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .execute();
}

export async function getPartnerOperationsEndpoint(db: Kysely<Database>, partnerId: string, endpointId: string): Promise<Endpoint> {
  const row = await db
    .selectFrom('endpoints')
    .selectAll()
    .where('id', '=', endpointId)
    .where('partner_id', '=', partnerId)
    .where('tenant_id', 'is', null)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw new NotFoundError('endpoint');
  return row;
}

export async function deletePartnerOperationsEndpoint(db: Kysely<Database>, partnerId: string, endpointId: string): Promise<void> {
  const r = await db
    .updateTable('endpoints')
    .set({ deleted_at: sql`now()`, enabled: false, updated_at: sql`now()` })
    .where('id', '=', endpointId)
    .where('partner_id', '=', partnerId)
    .where('tenant_id', 'is', null)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (r.numUpdatedRows === 0n) throw new NotFoundError('endpoint');
}
