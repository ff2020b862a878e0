import type { Router } from 'express';
import { z } from 'zod';
import { ApiKeyId } from '../../idSchemas';
import { ForbiddenError, ValidationError } from '../../errors';
import { targetPartnerId, visibleTenant } from '../../tenancy/access';
import { ApiKeyListSchema, ApiKeySchema, apiKeyToWire, CreateApiKeyBody, CreatedApiKeySchema, ListApiKeysQuery } from '../../tenancy/apiKeySchemas';
import { createApiKey, listApiKeys, revokeApiKey } from '../../tenancy/apiKeys';
import { page } from '../../tenancy/wireCommon';
import { actorOf, type AuditActor } from '../../audit/auditActor';
import { audited } from '../../audit/audited';
import type { AuditEntry } from '../../audit/recordAudit';
import type { Principal } from '../../domain/principal';
import type { AppContext } from '../context';
import { defineRoute } from '../route';

const TAG = 'API keys';

/** The audit record of a created key. */
const keyCreated = (k: { id: string; partner_id: string; tenant_id: string | null; scope: 'partner' | 'tenant' }): AuditEntry => ({
  action: 'api_key.created',
  partnerId: k.partner_id,
  tenantId: k.tenant_id,
  target: { type: 'api_key', id: k.id },
  detail: { scope: k.scope },
});

/**
 * Partner and tenant API keys: listed by prefix only, created (shown once), revoked. A partner
 * manages its own keys and its tenants'; a tenant only its own tenant's keys.
 */
// eslint-disable-next-line max-lines-per-function -- a table of route definitions (schema, OpenAPI entry, small handler each)
export function apiKeyRoutes(router: Router, ctx: AppContext): void {
  const { db } = ctx;

  /** A partner key (admin names the partner) or a tenant key (a tenant key: its own tenant). */
  async function createKey(body: z.infer<typeof CreateApiKeyBody>, principal: Principal, actor: AuditActor) {
    // A console session must not mint a credential that outlives it (a portal link's least of all).
    if (principal.kind !== 'admin' && principal.via) throw new ForbiddenError('API keys are created with an API key, not a console session');
    if (body.scope === 'partner') {
      if (principal.kind === 'tenant') throw new ForbiddenError('a tenant key cannot create partner keys');
      const partnerId = await targetPartnerId(db, principal, body.partner_id);
      return audited(db, actor, (trx) => createApiKey(trx, 'partner', partnerId, null), keyCreated);
    }
    const tenantId = body.tenant_id ?? (principal.kind === 'tenant' ? principal.tenantId : undefined);
    if (tenantId === undefined) throw new ValidationError('tenant_id is required for a tenant key', [{ field: 'tenant_id', message: 'required' }]);
    const tenant = await visibleTenant(db, principal, tenantId);
    return audited(db, actor, (trx) => createApiKey(trx, 'tenant', tenant.partner_id, tenant.id), keyCreated);
  }

  defineRoute(
    router,
    ctx,
    {
      method: 'get',
      path: '/v1/api-keys',
      summary: 'List API keys visible to the caller (prefix only)',
      tag: TAG,
      auth: 'partner_or_tenant',
      query: ListApiKeysQuery,
      responses: { 200: { description: 'A page of keys', schema: ApiKeyListSchema } },
    },
    async ({ query, principal }) => {
      const rows = await listApiKeys(db, principal, {
        partnerId: query.partner_id,
        tenantId: query.tenant_id,
        includeRevoked: query.include_revoked === 'true',
        limit: query.limit,
        after: query.after,
      });
      const p = page(rows, query.limit);
      return { status: 200, body: { data: p.data.map(apiKeyToWire), next_after: p.next_after } };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'post',
      path: '/v1/api-keys',
      summary: 'Create a partner or tenant API key (shown once)',
      tag: TAG,
      auth: 'partner_or_tenant',
      body: CreateApiKeyBody,
      description:
        'A partner key: `partner_id` is required with the admin key (a partner key may only name itself). ' +
        'A tenant key: `tenant_id` is required unless the caller is a tenant key (then its own tenant).',
      responses: {
        201: { description: 'Created', schema: CreatedApiKeySchema },
        403: { description: 'A console session (cookie) cannot create keys' },
        404: { description: '`partner_id` or `tenant_id` names nothing visible to this key' },
      },
    },
    async ({ body, principal, req }) => {
      const created = await createKey(body, principal, actorOf(principal, req));
      return { status: 201, body: toCreated(created) };
    },
  );

  defineRoute(
    router,
    ctx,
    {
      method: 'delete',
      path: '/v1/api-keys/:key_id',
      params: z.object({ key_id: ApiKeyId }),
      summary: 'Revoke an API key (it stops working at once)',
      tag: TAG,
      auth: 'partner_or_tenant',
      responses: { 200: { description: 'The revoked key', schema: ApiKeySchema } },
    },
    async ({ params, principal, req }) => {
      const revoked = await audited(
        db,
        actorOf(principal, req),
        (trx) => revokeApiKey(trx, principal, params.key_id),
        (k) => ({ action: 'api_key.revoked', partnerId: k.partner_id, tenantId: k.tenant_id, target: { type: 'api_key', id: k.id } }),
      );
      return { status: 200, body: apiKeyToWire(revoked) };
    },
  );
}

function toCreated(k: Parameters<typeof apiKeyToWire>[0] & { api_key: string }) {
  return { ...apiKeyToWire(k), api_key: k.api_key };
}
