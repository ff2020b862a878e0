import type { Request, Router } from 'express';
import { z } from 'zod';
import { createPortalLink, listPortalLinks, redeemPortalToken, revokePortalLink } from '../../console/portalLinks';
import { createSession, revokeSession, type NewSession } from '../../console/sessions';
import { clearedSessionCookie, sessionCookie } from '../../console/sessionCookie';
import {
  CreatedPortalLinkSchema,
  CreatePortalLinkBody,
  CreateSessionBody,
  PortalLinkSchema,
  portalLinkToWire,
  SessionSchema,
} from '../../console/consoleSchemas';
import { hashApiKey } from '../../crypto/apiKeys';
import type { Principal } from '../../domain/principal';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../../errors';
import { PortalLinkId, TenantId } from '../../idSchemas';
import { visibleTenant } from '../../tenancy/access';
import { partnerScope } from '../partnerScope';
import type { AppContext } from '../context';
import { isSameOrigin, requestSession } from '../consoleSessionAuth';
import { defineRoute } from '../route';

const TAG = 'Console';

/**
 * The console's sign-in (an API key or a portal link token → a session cookie), "who am I",
 * sign-out, and the partners' portal links. Everything else the console shows comes from the
 * same public routes a key calls.
 */
// eslint-disable-next-line max-lines-per-function -- a table of route definitions (schema, OpenAPI entry, small handler each)
export function consoleRoutes(router: Router, ctx: AppContext): void {
  const { db } = ctx;

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/console/sessions',
      summary: 'Sign in to the console with a partner/tenant API key or a portal link token; sets an HttpOnly session cookie',
      description:
        'The key is exchanged once for a session (1 h; a portal session ends with its link at the latest). The answer carries the CSRF token every cookie-authenticated change must send as `X-CSRF-Token`. The admin key cannot sign in.',
      tag: TAG,
      auth: 'none',
      body: CreateSessionBody,
      responses: {
        201: { description: 'Signed in; Set-Cookie carries the session', schema: SessionSchema },
        401: { description: 'Unknown, revoked or expired key or link' },
        403: { description: 'The admin key, or a cross-origin browser request' },
      },
    },
    async ({ body, req }) => {
      // Login CSRF: another site must not sign a browser in to its own account here.
      if (!isSameOrigin(req)) throw new ForbiddenError('cross-origin sign-in refused');
      const session = body.api_key !== undefined ? await sessionFromKey(ctx, body.api_key) : await sessionFromPortalToken(ctx, body.portal_token!);
      return {
        status: 201,
        headers: { 'Set-Cookie': sessionCookie(session.token, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000), req.secure), 'Cache-Control': 'no-store' },
        body: { principal: principalToWire(session.principal), csrf_token: session.csrfToken, expires_at: session.expiresAt.toISOString(), temporal_ui_url: ctx.config.http.temporalUiUrl ?? null },
      };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/console/session',
      summary: 'Who the caller is (session or key), and the session CSRF token',
      tag: TAG,
      auth: 'any',
      responses: { 200: { description: 'The caller', schema: SessionSchema } },
    },
    async ({ principal, req }) => {
      const session = requestSession(req);
      return {
        status: 200,
        headers: { 'Cache-Control': 'no-store' },
        body: {
          principal: principalToWire(principal),
          csrf_token: session?.csrfToken ?? null,
          expires_at: session?.expiresAt.toISOString() ?? null,
          temporal_ui_url: ctx.config.http.temporalUiUrl ?? null,
        },
      };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'delete',
      path: '/v1/console/session',
      summary: 'Sign out: the session ends now and its cookie is cleared',
      tag: TAG,
      auth: 'partner_or_tenant',
      responses: { 204: { description: 'Signed out' }, 404: { description: 'The request carried a key, not a session' } },
    },
    async ({ req }) => {
      const session = requestSession(req);
      if (!session) throw new NotFoundError('console session (this request carried an API key)');
      await revokeSession(db, session.id);
      return { status: 204, headers: { 'Set-Cookie': clearedSessionCookie(req.secure) } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/portal-links',
      summary: "Create a short-lived portal link that opens a console session for one of the partner's tenants",
      description: 'The link (url) and its token are shown only now. Default lifetime 15 min, at most 24 h; revoking it ends the sessions opened with it.',
      tag: TAG,
      auth: 'partner',
      body: CreatePortalLinkBody,
      responses: {
        201: { description: 'Created', schema: CreatedPortalLinkSchema },
        404: { description: 'No such tenant visible to this key' },
      },
    },
    async ({ body, principal, req }) => {
      const tenant = await visibleTenant(db, principal, body.tenant_id);
      const link = await createPortalLink(db, tenant.partner_id, tenant.id, body.expires_in_seconds);
      const wire = portalLinkToWire({ ...link, partner_id: tenant.partner_id, revoked_at: null });
      return { status: 201, headers: { 'Cache-Control': 'no-store' }, body: { ...wire, url: `${consoleBase(ctx, req)}#portal=${link.token}`, token: link.token } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/portal-links',
      summary: 'Portal links of your tenants (newest first, at most 100; never their tokens)',
      tag: TAG,
      auth: 'partner',
      query: z.strictObject({ tenant_id: TenantId.optional() }),
      responses: { 200: { description: 'Portal links', schema: z.object({ data: z.array(PortalLinkSchema) }) } },
    },
    async ({ query, principal }) => ({
      status: 200,
      body: { data: (await listPortalLinks(db, partnerScope(principal, null), query.tenant_id)).map(portalLinkToWire) },
    }),
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'delete',
      path: '/v1/portal-links/:portal_link_id',
      params: z.object({ portal_link_id: PortalLinkId }),
      summary: 'Revoke a portal link: it opens nothing more, and sessions opened with it end now',
      tag: TAG,
      auth: 'partner',
      responses: { 200: { description: 'The revoked link', schema: PortalLinkSchema }, 404: { description: 'No such link in your scope' } },
    },
    async ({ params, principal }) => ({ status: 200, body: portalLinkToWire(await revokePortalLink(db, partnerScope(principal, null), params.portal_link_id)) }),
  );
}

type SignedIn = NewSession & { principal: Principal };

async function sessionFromKey(ctx: AppContext, apiKey: string): Promise<SignedIn> {
  if (ctx.config.adminKey && apiKey === ctx.config.adminKey) {
    throw new ForbiddenError('the admin key cannot sign in to the console: operators use the CLI and the Temporal Web UI');
  }
  const row = await ctx.db
    .selectFrom('api_keys as k')
    .leftJoin('tenants as t', 't.id', 'k.tenant_id')
    .select(['k.id', 'k.scope', 'k.partner_id', 'k.tenant_id', 'k.revoked_at', 't.deleted_at'])
    .where('k.key_hash', '=', hashApiKey(apiKey))
    .executeTakeFirst();
  if (!row || row.revoked_at || row.deleted_at) throw new UnauthorizedError('invalid or revoked API key');
  const tenantId = row.scope === 'tenant' ? row.tenant_id : null;
  const session = await createSession(ctx.db, { apiKeyId: row.id, partnerId: row.partner_id, tenantId });
  const principal: Principal = tenantId
    ? { kind: 'tenant', partnerId: row.partner_id, tenantId, keyId: row.id, via: 'console_session' }
    : { kind: 'partner', partnerId: row.partner_id, keyId: row.id, via: 'console_session' };
  return { ...session, principal };
}

async function sessionFromPortalToken(ctx: AppContext, token: string): Promise<SignedIn> {
  const link = await redeemPortalToken(ctx.db, token);
  const session = await createSession(ctx.db, { portalLinkId: link.id, partnerId: link.partner_id, tenantId: link.tenant_id, notAfter: link.expires_at });
  return { ...session, principal: { kind: 'tenant', partnerId: link.partner_id, tenantId: link.tenant_id, keyId: link.id, via: 'portal_session' } };
}

function principalToWire(p: Principal) {
  if (p.kind === 'admin') return { kind: p.kind, partner_id: null, tenant_id: null, via: 'api_key' as const };
  return { kind: p.kind, partner_id: p.partnerId, tenant_id: p.kind === 'tenant' ? p.tenantId : null, via: p.via ?? ('api_key' as const) };
}

/** Where the console lives: the configured public URL, else the address this request came to. */
function consoleBase(ctx: AppContext, req: Request): string {
  const base = ctx.config.http.publicUrl ?? `${req.protocol}://${req.get('host')}`;
  return `${base.replace(/\/+$/, '')}/console/`;
}
