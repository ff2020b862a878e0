import { z } from 'zod';
import { iso, ListQuery, PageMeta, ResourceId, Timestamp } from './wireCommon';

export const CreateApiKeyBody = z
  .strictObject({
    scope: z.enum(['partner', 'tenant']),
    partner_id: ResourceId.optional().meta({ description: 'Admin only: the partner of a partner-scoped key' }),
    tenant_id: ResourceId.optional().meta({ description: 'The tenant of a tenant-scoped key (a tenant key may omit it: its own)' }),
  })
  .meta({ id: 'CreateApiKey' });

export const ListApiKeysQuery = ListQuery.extend({
  partner_id: ResourceId.optional().meta({ description: 'Admin only: restrict to one partner' }),
  tenant_id: ResourceId.optional().meta({ description: 'Restrict to one tenant' }),
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
