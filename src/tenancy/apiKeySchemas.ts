import { z } from 'zod';
import { ApiKeyId, PartnerId, TenantId } from '../idSchemas';
import { iso, listQuery, PageMeta, Timestamp } from './wireCommon';

/**
 * One shape per scope, so the document says which fields go with which scope: `partner_id` only
 * on a partner key, `tenant_id` only on a tenant key (the other is an unknown field, 422).
 */
export const CreateApiKeyBody = z
  .discriminatedUnion('scope', [
    z.strictObject({
      scope: z.literal('partner'),
      partner_id: PartnerId.optional().meta({ description: 'The partner of the key: required with the admin key; a partner key may only name itself' }),
    }),
    z.strictObject({
      scope: z.literal('tenant'),
      tenant_id: TenantId.optional().meta({ description: 'The tenant of the key: required unless the caller is a tenant key (then its own)' }),
    }),
  ])
  .meta({ id: 'CreateApiKey' });

export const ListApiKeysQuery = listQuery(ApiKeyId).extend({
  partner_id: PartnerId.optional().meta({ description: 'Admin only: restrict to one partner' }),
  tenant_id: TenantId.optional().meta({ description: 'Restrict to one tenant' }),
  include_revoked: z.enum(['true', 'false']).default('false'),
});

export const ApiKeySchema = z
  .object({
    id: z.string(),
    scope: z.enum(['partner', 'tenant']),
    partner_id: z.string(),
    tenant_id: z.string().nullable(),
    prefix: z.string().meta({ description: 'The first characters of the key; the key itself is never shown again' }),
    created_at: Timestamp,
    revoked_at: Timestamp.nullable(),
  })
  .meta({ id: 'ApiKey' });

export const CreatedApiKeySchema = ApiKeySchema.extend({
  api_key: z.string().meta({ description: 'The key, shown once' }),
}).meta({ id: 'CreatedApiKey' });

export const ApiKeyListSchema = z.object({ data: z.array(ApiKeySchema), ...PageMeta });

export function apiKeyToWire(k: {
  id: string;
  scope: 'partner' | 'tenant';
  partner_id: string;
  tenant_id: string | null;
  prefix: string;
  created_at: Date;
  revoked_at: Date | null;
}): z.infer<typeof ApiKeySchema> {
  return {
    id: k.id,
    scope: k.scope,
    partner_id: k.partner_id,
    tenant_id: k.tenant_id,
    prefix: k.prefix,
    created_at: iso(k.created_at)!,
    revoked_at: iso(k.revoked_at),
  };
}
