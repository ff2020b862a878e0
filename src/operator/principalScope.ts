import type { Principal } from '../domain/principal';

/**
 * Which rows a caller may see: admin everything, a partner its own partner's, a tenant only its
 * tenant's. Returned as column filters so every query applies the same rule.
 */
export interface RowScope {
  partnerId?: string;
  tenantId?: string;
}

export function rowScope(p: Principal): RowScope {
  if (p.kind === 'admin') return {};
  if (p.kind === 'partner') return { partnerId: p.partnerId };
  return { partnerId: p.partnerId, tenantId: p.tenantId };
}

export function inScope(scope: RowScope, row: { partner_id: string; tenant_id: string | null }): boolean {
  if (scope.partnerId && row.partner_id !== scope.partnerId) return false;
  if (scope.tenantId && row.tenant_id !== scope.tenantId) return false;
  return true;
}
