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

/**
 * Where each resolution key sits in an event payload, in the order keys are reported. One table
 * for both readers: resolutionKeys below, and the routing read that extracts the same keys in SQL
 * (src/db/statements/loadEventRouting.ts) so an event and its lookups are one round trip.
 */
export const RESOLUTION_KEY_PATHS: ReadonlyArray<{ kind: KeyKind; path: readonly string[] }> = [
  { kind: 'tenant_id', path: ['tenant_id'] },
  { kind: 'crm_account_id', path: ['runtime_vars', 'crm_account_id'] },
  { kind: 'partner_tenant_ref', path: ['runtime_vars', 'partner_tenant_ref'] },
  { kind: 'call_id', path: ['call_id'] },
  { kind: 'voice_session_id', path: ['voice_session_id'] },
];

/** The resolution keys an event payload carries (non-empty strings), in a stable order. */
export function resolutionKeys(payload: unknown): ResolutionKey[] {
  const keys: ResolutionKey[] = [];
  for (const { kind, path } of RESOLUTION_KEY_PATHS) {
    const value = path.reduce<unknown>((node, step) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[step] : undefined), payload);
    if (typeof value === 'string' && value !== '') keys.push({ kind, value });
  }
  return keys;
}
