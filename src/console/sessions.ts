import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { hashApiKey } from '../crypto/apiKeys';
import type { Database } from '../db/schema';
import type { Principal } from '../domain/principal';
import { newId } from '../ids';
import { SESSION_TTL_MS } from './sessionPolicy';

export interface NewSession {
  id: string;
  /** The cookie value: shown to the browser once, stored only as a hash. */
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

/** What a session is made from: the key that signed in, or the portal link that was opened. */
export type SessionOrigin =
  | { apiKeyId: string; partnerId: string; tenantId: string | null }
  | { portalLinkId: string; partnerId: string; tenantId: string; notAfter: Date };

export async function createSession(db: Kysely<Database>, origin: SessionOrigin): Promise<NewSession> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const ttlEnd = new Date(Date.now() + SESSION_TTL_MS);
  // A portal session never outlives its link.
  const expiresAt = 'notAfter' in origin && origin.notAfter < ttlEnd ? origin.notAfter : ttlEnd;
  const id = newId('ses');
  await db
    .insertInto('console_sessions')
    .values({
      id,
      token_hash: hashApiKey(token),
      csrf_token: csrfToken,
      partner_id: origin.partnerId,
      tenant_id: origin.tenantId,
      api_key_id: 'apiKeyId' in origin ? origin.apiKeyId : null,
      portal_link_id: 'portalLinkId' in origin ? origin.portalLinkId : null,
      expires_at: expiresAt,
    })
    .execute();
  return { id, token, csrfToken, expiresAt };
}

export interface LiveSession {
  id: string;
  principal: Principal;
  csrfToken: string;
  expiresAt: Date;
}

/**
 * The session a cookie names, if it is still alive: not expired, not signed out, its key or portal
 * link not revoked (or expired), its tenant not deleted. One query, so each request sees the
 * revocations of the one before.
 */
export async function findLiveSession(db: Kysely<Database>, token: string): Promise<LiveSession | undefined> {
  const row = await db
    .selectFrom('console_sessions as s')
    .leftJoin('api_keys as k', 'k.id', 's.api_key_id')
    .leftJoin('portal_links as l', 'l.id', 's.portal_link_id')
    .leftJoin('tenants as t', 't.id', 's.tenant_id')
    .select(['s.id', 's.csrf_token', 's.partner_id', 's.tenant_id', 's.api_key_id', 's.portal_link_id', 's.expires_at', 't.deleted_at as tenant_deleted_at'])
    .where('s.token_hash', '=', hashApiKey(token))
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', sql<Date>`now()`)
    .where((eb) =>
      eb.or([
        eb.and([eb('s.api_key_id', 'is not', null), eb('k.revoked_at', 'is', null)]),
        eb.and([eb('s.portal_link_id', 'is not', null), eb('l.revoked_at', 'is', null), eb('l.expires_at', '>', sql<Date>`now()`)]),
      ]),
    )
    .executeTakeFirst();
  if (!row || row.tenant_deleted_at) return undefined;
  const keyId = row.api_key_id ?? row.portal_link_id!;
  const via = row.portal_link_id ? 'portal_session' : 'console_session';
  const principal: Principal = row.tenant_id
    ? { kind: 'tenant', partnerId: row.partner_id, tenantId: row.tenant_id, keyId, via }
    : { kind: 'partner', partnerId: row.partner_id, keyId, via };
  return { id: row.id, principal, csrfToken: row.csrf_token, expiresAt: row.expires_at };
}

/** Sign-out: the cookie's session ends now, whatever the browser keeps. */
export async function revokeSession(db: Kysely<Database>, sessionId: string): Promise<void> {
  await db.updateTable('console_sessions').set({ revoked_at: sql`now()` }).where('id', '=', sessionId).where('revoked_at', 'is', null).execute();
}
