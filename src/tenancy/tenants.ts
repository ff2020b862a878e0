import { inTransaction } from '../db/inTransaction';
import { sql, type Kysely, type Transaction } from 'kysely';
import { generateApiKey } from '../crypto/apiKeys';
import type { Database, Tenant } from '../db/schema';
import type { RouteKind } from '../domain/statuses';
import { ConflictError } from '../errors';
import { newId } from '../ids';

export interface CreatedTenant {
  id: string;
  name: string;
  partner_id: string;
  api_key: string;
}

/** A tenant of `partnerId` with its first tenant-scoped key; `partner_tenant_ref` becomes a route. */
export async function createTenant(
  db: Kysely<Database>,
  partnerId: string,
  input: { name: string; partner_tenant_ref?: string },
): Promise<CreatedTenant> {
  const id = newId('ten');
  const key = generateApiKey('tenant');
  await inTransaction(db, async (trx) => {
    await trx.insertInto('tenants').values({ id, partner_id: partnerId, name: input.name }).execute();
    await trx
      .insertInto('api_keys')
      .values({ id: newId('key'), scope: 'tenant', partner_id: partnerId, tenant_id: id, prefix: key.prefix, key_hash: key.hash })
      .execute();
    if (input.partner_tenant_ref) await insertRoute(trx, partnerId, id, 'partner_tenant_ref', input.partner_tenant_ref);
  });
  return { id, name: input.name, partner_id: partnerId, api_key: key.key };
}

/** Maps (kind, value) to a tenant; a value already owned by another tenant of the partner is a 409. */
export async function insertRoute(
  db: Kysely<Database> | Transaction<Database>,
  partnerId: string,
  tenantId: string,
  kind: RouteKind,
  value: string,
): Promise<{ id: string; tenant_id: string; kind: RouteKind; value: string; created: boolean }> {
  const id = newId('rte');
  const inserted = await db
    .insertInto('tenant_routes')
    .values({ id, partner_id: partnerId, tenant_id: tenantId, kind, value })
    .onConflict((oc) => oc.constraint('tenant_routes_key').doNothing())
    .returning(['id'])
    .executeTakeFirst();
  if (inserted) return { id, tenant_id: tenantId, kind, value, created: true };
  const owner = await db
    .selectFrom('tenant_routes')
    .select(['id', 'tenant_id'])
    .where('partner_id', '=', partnerId)
    .where('kind', '=', kind)
    .where('value', '=', value)
    .executeTakeFirstOrThrow();
  if (owner.tenant_id !== tenantId) {
    throw new ConflictError(`${kind} ${JSON.stringify(value)} is already mapped to tenant ${owner.tenant_id}`, {
      owner_tenant_id: owner.tenant_id,
      route_id: owner.id,
    });
  }
  return { id: owner.id, tenant_id: tenantId, kind, value, created: false };
}

export async function listTenants(db: Kysely<Database>, opts: { partnerId?: string; limit: number; after?: string }): Promise<Tenant[]> {
  let q = db.selectFrom('tenants').selectAll().where('deleted_at', 'is', null).orderBy('id').limit(opts.limit + 1);
  if (opts.partnerId) q = q.where('partner_id', '=', opts.partnerId);
  if (opts.after) q = q.where('id', '>', opts.after);
  return q.execute();
}

export async function renameTenant(db: Kysely<Database>, tenantId: string, name: string): Promise<Tenant> {
  return db
    .updateTable('tenants')
    .set({ name, updated_at: sql`now()` })
    .where('id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Soft-deletes a tenant (events and deliveries keep pointing at it for the audit trail) and, in
 * the same transaction, frees its routing values for reuse, retires its endpoints and revokes its
 * keys, so nothing is routed to, delivered for, or done as a deleted tenant.
 */
export async function deleteTenant(db: Kysely<Database>, tenantId: string): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx.updateTable('tenants').set({ deleted_at: sql`now()`, updated_at: sql`now()` }).where('id', '=', tenantId).execute();
    await trx.deleteFrom('tenant_routes').where('tenant_id', '=', tenantId).execute();
    await trx
      .updateTable('endpoints')
      .set({ deleted_at: sql`now()`, enabled: false, updated_at: sql`now()` })
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .execute();
    await trx.updateTable('api_keys').set({ revoked_at: sql`now()` }).where('tenant_id', '=', tenantId).where('revoked_at', 'is', null).execute();
  });
}

export async function listRoutes(db: Kysely<Database>, tenantId: string) {
  return db
    .selectFrom('tenant_routes')
    .select(['id', 'tenant_id', 'kind', 'value', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
}

export async function getRoute(db: Kysely<Database>, tenantId: string, routeId: string) {
  return db
    .selectFrom('tenant_routes')
    .select(['id', 'tenant_id', 'kind', 'value', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', routeId)
    .executeTakeFirst();
}

/** Returns whether a route of that tenant was removed. */
export async function deleteRoute(db: Kysely<Database>, tenantId: string, routeId: string): Promise<boolean> {
  const r = await db.deleteFrom('tenant_routes').where('tenant_id', '=', tenantId).where('id', '=', routeId).executeTakeFirst();
  return r.numDeletedRows > 0n;
}
