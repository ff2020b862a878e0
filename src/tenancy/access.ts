import type { Kysely } from 'kysely';
import type { Database, Tenant } from '../db/schema';
import { NotFoundError, ValidationError } from '../errors';
import type { Principal } from '../domain/principal';

/**
 * Scope boundaries for tenancy resources. Anything outside the caller's reach is answered exactly
 * like something that does not exist (404), so ids of other partners' tenants leak nothing.
 * Wrong-scope keys (a tenant key on a partner-only route) are refused earlier, by the route's auth
 * requirement (403).
 */
export function canSeePartner(principal: Principal, partnerId: string): boolean {
  return principal.kind === 'admin' || principal.partnerId === partnerId;
}

export async function visibleTenant(db: Kysely<Database>, principal: Principal, tenantId: string): Promise<Tenant> {
  const tenant = await db
    .selectFrom('tenants')
    .selectAll()
    .where('id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!tenant) throw new NotFoundError('tenant');
  const allowed =
    principal.kind === 'admin' ||
    (principal.kind === 'partner' && tenant.partner_id === principal.partnerId) ||
    (principal.kind === 'tenant' && tenant.id === principal.tenantId);
  if (!allowed) throw new NotFoundError('tenant');
  return tenant;
}

/** The partner a partner-level operation acts for: a partner key's own, or the one an admin names. */
export async function targetPartnerId(db: Kysely<Database>, principal: Principal, requested: string | undefined): Promise<string> {
  if (principal.kind === 'tenant') throw new NotFoundError('partner'); // routes using this are partner-only
  if (principal.kind === 'partner') {
    if (requested !== undefined && requested !== principal.partnerId) throw new NotFoundError('partner');
    return principal.partnerId;
  }
  if (requested === undefined) {
    throw new ValidationError('partner_id is required when using the admin key', [{ field: 'partner_id', message: 'required for the admin key' }]);
  }
  const row = await db.selectFrom('partners').select('id').where('id', '=', requested).executeTakeFirst();
  if (!row) throw new NotFoundError('partner');
  return row.id;
}
