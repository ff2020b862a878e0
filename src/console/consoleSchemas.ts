import { z } from 'zod';
import { TenantId } from '../idSchemas';
import { Timestamp } from '../tenancy/wireCommon';
import { PORTAL_LINK_DEFAULT_TTL_SECONDS, PORTAL_LINK_MAX_TTL_SECONDS } from './sessionPolicy';

/** Wire shapes of console sessions and portal links (one schema each, reused by OpenAPI). */
const Secret = z.string().min(1).max(512).regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const CreateSessionBody = z
  .strictObject({
    api_key: Secret.optional().meta({ description: 'A partner or tenant API key (sign-in)' }),
    portal_token: Secret.optional().meta({ description: 'The token of a portal link (the part after `#portal=`)' }),
  })
  .refine((b) => (b.api_key === undefined) !== (b.portal_token === undefined), { message: 'send exactly one of api_key and portal_token' })
  .meta({ id: 'CreateConsoleSession', minProperties: 1, maxProperties: 1 });

export const SessionPrincipalSchema = z
  .object({
    kind: z.enum(['admin', 'partner', 'tenant']),
    partner_id: z.string().nullable(),
    tenant_id: z.string().nullable(),
    via: z.enum(['api_key', 'console_session', 'portal_session']),
  })
  .meta({ id: 'ConsolePrincipal' });

export const SessionSchema = z
  .object({
    principal: SessionPrincipalSchema,
    csrf_token: z.string().nullable().meta({ description: 'Send as X-CSRF-Token with every cookie-authenticated change; null without a session' }),
    expires_at: Timestamp.nullable(),
    temporal_ui_url: z.string().nullable().meta({ description: 'The Temporal Web UI for links to workflows (operators); null when not configured' }),
  })
  .meta({ id: 'ConsoleSession' });

export const CreatePortalLinkBody = z
  .strictObject({
    tenant_id: TenantId,
    expires_in_seconds: z.number().int().min(60).max(PORTAL_LINK_MAX_TTL_SECONDS).default(PORTAL_LINK_DEFAULT_TTL_SECONDS),
  })
  .meta({ id: 'CreatePortalLink' });

export const PortalLinkSchema = z
  .object({
    id: z.string(),
    partner_id: z.string(),
    tenant_id: z.string(),
    created_at: Timestamp,
    expires_at: Timestamp,
    revoked_at: Timestamp.nullable(),
  })
  .meta({ id: 'PortalLink' });

export const CreatedPortalLinkSchema = PortalLinkSchema.extend({
  url: z.string().meta({ description: 'Open in a browser: a console session for this tenant only (shown once)' }),
  token: z.string().meta({ description: 'The secret part of url, shown once' }),
}).meta({ id: 'CreatedPortalLink' });

export function portalLinkToWire(l: { id: string; partner_id: string; tenant_id: string; created_at: Date; expires_at: Date; revoked_at: Date | null }) {
  return {
    id: l.id,
    partner_id: l.partner_id,
    tenant_id: l.tenant_id,
    created_at: l.created_at.toISOString(),
    expires_at: l.expires_at.toISOString(),
    revoked_at: l.revoked_at?.toISOString() ?? null,
  };
}
