/**
 * The privileged actions the audit log records. Stored as text (a new action needs no migration);
 * listed here so the API documents them and `recordAudit` only takes a known one.
 */
export const AUDIT_ACTIONS = [
  'partner.created',
  'partner.secret_rotated',
  'tenant.created',
  'tenant.updated',
  'tenant.deleted',
  'tenant_route.created',
  'tenant_route.deleted',
  'api_key.created',
  'api_key.revoked',
  'endpoint.created',
  'endpoint.updated',
  'endpoint.deleted',
  'endpoint.secret_rotated',
  'endpoint.tested',
  'source.created',
  'source.updated',
  'source.deleted',
  'source.secret_rotated',
  'delivery.redriven',
  'quarantine.released',
  'quarantine.discarded',
  'reconciliation.started',
  'incident.resolved',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What an action was done to: the resource kind (the part of `action` before the dot) and its id. */
export const AUDIT_TARGET_TYPES = ['partner', 'tenant', 'tenant_route', 'api_key', 'endpoint', 'source', 'delivery', 'quarantine', 'reconciliation', 'incident'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];
