import { sql, type Kysely } from 'kysely';
import { generateApiKey } from '../crypto/apiKeys';
import type { Database } from '../db/schema';
import type { ApiKeyScope } from '../domain/statuses';
import { NotFoundError } from '../errors';
import { newId } from '../ids';
import type { Principal } from '../domain/principal';

const COLUMNS = ['id', 'scope', 'partner_id', 'tenant_id', 'prefix', 'created_at', 'revoked_at'] as const;

/** A new key for a partner (tenantId null) or one of its tenants. Plaintext returned once, hash stored. */
export async function createApiKey(db: Kysely<Database>, scope: ApiKeyScope, partnerId: string, tenantId: string | null) {
  const key = generateApiKey(scope);
  const row = await db
    .insertInto('api_keys')
    .values({ id: newId('key'), scope, partner_id: partnerId, tenant_id: tenantId, prefix: key.prefix, key_hash: key.hash })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  return { ...row, api_key: key.key };
}

/**
 * Keys the principal may see: admin all; a partner its own and its tenants'; a tenant its own.
 * Only metadata and the visible prefix ever leave the database.
 */
export async function listApiKeys(
  db: Kysely<Database>,
  principal: Principal,
  opts: { partnerId?: string; tenantId?: string; includeRevoked: boolean; limit: number; after?: string },
) {
  let q = db.selectFrom('api_keys').select(COLUMNS).orderBy('id').limit(opts.limit + 1);
  if (principal.kind === 'partner') q = q.where('partner_id', '=', principal.partnerId);
  if (principal.kind === 'tenant') q = q.where('tenant_id', '=', principal.tenantId);
  if (opts.partnerId) q = q.where('partner_id', '=', opts.partnerId);
  if (opts.tenantId) q = q.where('tenant_id', '=', opts.tenantId);
  if (!opts.includeRevoked) q = q.where('revoked_at', 'is', null);
  if (opts.after) q = q.where('id', '>', opts.after);
  return q.execute();
}

/** Revokes a key the principal can see (404 otherwise); revoking twice keeps the first time. */
export async function revokeApiKey(db: Kysely<Database>, principal: Principal, keyId: string) {
  let q = db
    .updateTable('api_keys')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` })
    .where('id', '=', keyId);
  if (principal.kind === 'partner') q = q.where('partner_id', '=', principal.partnerId);
  if (principal.kind === 'tenant') q = q.where('tenant_id', '=', principal.tenantId);
  const row = await q.returning(COLUMNS).executeTakeFirst();
  if (!row) throw new NotFoundError('API key');
  return row;
}
