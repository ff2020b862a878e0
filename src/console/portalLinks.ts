import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { hashApiKey } from '../crypto/apiKeys';
import type { Database } from '../db/schema';
import { NotFoundError, UnauthorizedError } from '../errors';
import { newId } from '../ids';

/**
 * Portal links: a partner hands one of its tenants' browsers a URL that opens a console session
 * scoped to that tenant, without handing out a key. The token is 32 random bytes shown once and
 * stored as a hash; it travels in the URL fragment (`/console/#portal=…`), which browsers never
 * send to a server, so it stays out of access logs and Referer headers.
 */
export interface CreatedPortalLink {
  id: string;
  tenant_id: string;
  token: string;
  expires_at: Date;
  created_at: Date;
}

export async function createPortalLink(db: Kysely<Database>, partnerId: string, tenantId: string, ttlSeconds: number): Promise<CreatedPortalLink> {
  const token = `pl_${randomBytes(32).toString('base64url')}`;
  const row = await db
    .insertInto('portal_links')
    .values({
      id: newId('plk'),
      partner_id: partnerId,
      tenant_id: tenantId,
      token_hash: hashApiKey(token),
      expires_at: sql<Date>`now() + make_interval(secs => ${ttlSeconds})`,
    })
    .returning(['id', 'tenant_id', 'expires_at', 'created_at'])
    .executeTakeFirstOrThrow();
  return { ...row, token };
}

export async function listPortalLinks(db: Kysely<Database>, partnerId: string | null, tenantId: string | undefined) {
  let q = db.selectFrom('portal_links').select(['id', 'partner_id', 'tenant_id', 'created_at', 'expires_at', 'revoked_at']).orderBy('created_at', 'desc').limit(100);
  if (partnerId) q = q.where('partner_id', '=', partnerId);
  if (tenantId) q = q.where('tenant_id', '=', tenantId);
  return q.execute();
}

/** Revoking a link ends every session opened with it (the session lookup joins the link). */
export async function revokePortalLink(db: Kysely<Database>, partnerId: string | null, linkId: string) {
  let q = db.updateTable('portal_links').set({ revoked_at: sql`coalesce(revoked_at, now())` }).where('id', '=', linkId);
  if (partnerId) q = q.where('partner_id', '=', partnerId);
  const row = await q.returning(['id', 'partner_id', 'tenant_id', 'created_at', 'expires_at', 'revoked_at']).executeTakeFirst();
  if (!row) throw new NotFoundError(`portal link ${linkId}`);
  return row;
}

/** The live link a token names (not expired, not revoked, its tenant not deleted), or 401. */
export async function redeemPortalToken(db: Kysely<Database>, token: string) {
  const row = await db
    .selectFrom('portal_links as l')
    .innerJoin('tenants as t', 't.id', 'l.tenant_id')
    .select(['l.id', 'l.partner_id', 'l.tenant_id', 'l.expires_at'])
    .where('l.token_hash', '=', hashApiKey(token))
    .where('l.revoked_at', 'is', null)
    .where('l.expires_at', '>', sql<Date>`now()`)
    .where('t.deleted_at', 'is', null)
    .executeTakeFirst();
  if (!row) throw new UnauthorizedError('invalid, expired or revoked portal link');
  return row;
}
