import type { Request } from 'express';
import { constantTimeEqual, hashApiKey } from '../crypto/apiKeys';
import { ForbiddenError, UnauthorizedError } from '../errors';
import type { Principal } from '../domain/principal';
import type { AppContext } from './context';
import { authenticateSession, sessionTokenOf } from './consoleSessionAuth';

export type { Principal };

export type AuthRequirement = 'none' | 'admin' | 'partner' | 'tenant' | 'partner_or_tenant' | 'any';

export async function authenticate(ctx: AppContext, req: Request): Promise<Principal> {
  const header = req.headers.authorization;
  // The console's alternative to the key: a session cookie (CSRF-checked for changes). A request
  // carrying a key is judged by the key alone.
  const sessionToken = header === undefined ? sessionTokenOf(req) : undefined;
  if (sessionToken) return authenticateSession(ctx, req, sessionToken);
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  if (!match) throw new UnauthorizedError('missing Authorization: Bearer <api key>');
  const key = match[1]!;
  if (ctx.config.adminKey && constantTimeEqual(key, ctx.config.adminKey)) return { kind: 'admin' };
  const row = await ctx.db
    .selectFrom('api_keys')
    .select(['id', 'scope', 'partner_id', 'tenant_id', 'revoked_at'])
    .where('key_hash', '=', hashApiKey(key))
    .executeTakeFirst();
  if (!row || row.revoked_at) throw new UnauthorizedError('invalid or revoked API key');
  if (row.scope === 'tenant') {
    // A key of a deleted tenant is as dead as a revoked one.
    const tenant = await ctx.db.selectFrom('tenants').select('deleted_at').where('id', '=', row.tenant_id!).executeTakeFirst();
    if (!tenant || tenant.deleted_at) throw new UnauthorizedError('invalid or revoked API key');
    return { kind: 'tenant', partnerId: row.partner_id, tenantId: row.tenant_id!, keyId: row.id };
  }
  return { kind: 'partner', partnerId: row.partner_id, keyId: row.id };
}

export function authorize(principal: Principal, requirement: AuthRequirement): void {
  const ok =
    requirement === 'none' ||
    requirement === 'any' ||
    principal.kind === 'admin' ||
    (requirement === 'partner' && principal.kind === 'partner') ||
    (requirement === 'tenant' && principal.kind === 'tenant') ||
    (requirement === 'partner_or_tenant' && (principal.kind === 'partner' || principal.kind === 'tenant'));
  if (!ok) {
    const keyKind = requirement.replace('_or_', ' or ');
    throw new ForbiddenError(`this route needs ${/^[aeiou]/.test(keyKind) ? 'an' : 'a'} ${keyKind} key`);
  }
}
