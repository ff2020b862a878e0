/**
 * Who is calling: the server derives it from `Authorization: Bearer <key>`, the operator CLI is
 * always admin. Owned here, not by the server, because tenancy and operator actions scope their
 * queries by it and must not import the HTTP layer.
 */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'partner'; partnerId: string; keyId: string }
  | { kind: 'tenant'; partnerId: string; tenantId: string; keyId: string };
