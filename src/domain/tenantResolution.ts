import type { RouteKind } from './statuses';

/**
 * The tenant-resolution rule, kept pure so it can be tested exhaustively: every key an event
 * carries must point at the same tenant of the posting partner. Anything else is a conflict,
 * quarantined rather than delivered to a guess.
 */
export type KeyKind = 'tenant_id' | RouteKind;

export interface ResolutionKey {
  kind: KeyKind;
  value: string;
}

export interface KeyLookup {
  key: ResolutionKey;
  /** The tenant this key maps to for the partner, or null when the map has no entry (yet). */
  tenantId: string | null;
  /** For `tenant_id`: the tenant exists but belongs to another partner. */
  foreign?: boolean;
}

export type TenantDecision =
  | { outcome: 'resolved'; tenantId: string; via: KeyKind[] }
  | { outcome: 'conflict'; reason: 'conflicting_keys' | 'foreign_tenant'; detail: Record<string, unknown> }
  | { outcome: 'unresolved'; keys: ResolutionKey[] };

export function decideTenant(lookups: readonly KeyLookup[]): TenantDecision {
  const foreign = lookups.filter((l) => l.foreign);
  if (foreign.length > 0) {
    return {
      outcome: 'conflict',
      reason: 'foreign_tenant',
      detail: { keys: foreign.map((l) => l.key), message: 'tenant_id does not belong to the posting partner' },
    };
  }
  const found = lookups.filter((l): l is KeyLookup & { tenantId: string } => l.tenantId !== null);
  const tenants = new Set(found.map((l) => l.tenantId));
  if (tenants.size > 1) {
    return {
      outcome: 'conflict',
      reason: 'conflicting_keys',
      detail: { candidates: found.map((l) => ({ kind: l.key.kind, value: l.key.value, tenant_id: l.tenantId })) },
    };
  }
  if (tenants.size === 1) {
    return { outcome: 'resolved', tenantId: [...tenants][0]!, via: found.map((l) => l.key.kind) };
  }
  return { outcome: 'unresolved', keys: lookups.map((l) => l.key) };
}

/** The resolution keys an event payload carries, in a stable order. */
export function resolutionKeys(payload: {
  tenant_id?: string;
  call_id?: string;
  voice_session_id?: string;
  runtime_vars?: { crm_account_id?: string; partner_tenant_ref?: string };
}): ResolutionKey[] {
  const keys: ResolutionKey[] = [];
  if (payload.tenant_id) keys.push({ kind: 'tenant_id', value: payload.tenant_id });
  if (payload.runtime_vars?.crm_account_id) keys.push({ kind: 'crm_account_id', value: payload.runtime_vars.crm_account_id });
  if (payload.runtime_vars?.partner_tenant_ref) keys.push({ kind: 'partner_tenant_ref', value: payload.runtime_vars.partner_tenant_ref });
  if (payload.call_id) keys.push({ kind: 'call_id', value: payload.call_id });
  if (payload.voice_session_id) keys.push({ kind: 'voice_session_id', value: payload.voice_session_id });
  return keys;
}
