import type { Kysely, Transaction } from 'kysely';
import { generateApiKey } from '../crypto/apiKeys';
import type { Database, RouteKind } from '../db/schema';
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
  await db.transaction().execute(async (trx) => {
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
