/**
 * Who is calling: the server derives it from `Authorization: Bearer <key>`, the operator CLI is
 * always admin. Owned here, not by the server, because tenancy and operator actions scope their
 * queries by it and must not import the HTTP layer.
 */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'partner'; partnerId: string; keyId: string; via?: PrincipalVia }
  | { kind: 'tenant'; partnerId: string; tenantId: string; keyId: string; via?: PrincipalVia };

/**
 * How a console caller signed in: a session made from an API key, or from a partner's portal link
 * (absent for a request carrying the key itself). A session may do what its key may, except mint
 * longer-lived credentials (API keys), so a stolen or embedded session cannot outlive itself.
 */
export type PrincipalVia = 'console_session' | 'portal_session';
