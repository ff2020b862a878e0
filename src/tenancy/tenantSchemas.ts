import { z } from 'zod';
import type { Tenant } from '../db/schema';
import { PartnerId, TenantId } from '../idSchemas';
import { Identifier, iso, listQuery, Name, PageMeta, Timestamp } from './wireCommon';

export const CreateTenantBody = z
  .strictObject({
    name: Name,
    partner_tenant_ref: Identifier.optional().meta({ description: "The partner's own id for this tenant; becomes a partner_tenant_ref route" }),
    partner_id: PartnerId.optional().meta({ description: 'Required with the admin key; a partner key may only name itself (it always acts for itself)' }),
  })
  .meta({ id: 'CreateTenant' });

export const UpdateTenantBody = z.strictObject({ name: Name }).meta({ id: 'UpdateTenant' });

export const ListTenantsQuery = listQuery(TenantId).extend({
  partner_id: PartnerId.optional().meta({ description: 'Admin only: restrict to one partner' }),
});

export const TenantSchema = z
  .object({ id: z.string(), partner_id: z.string(), name: z.string(), created_at: Timestamp, updated_at: Timestamp })
  .meta({ id: 'Tenant' });

export const CreatedTenantSchema = TenantSchema.extend({
  api_key: z.string().meta({ description: 'Tenant API key (sk_tenant_…), shown once' }),
}).meta({ id: 'CreatedTenant' });

export const TenantListSchema = z.object({ data: z.array(TenantSchema), ...PageMeta });

export function tenantToWire(t: Tenant): z.infer<typeof TenantSchema> {
  return { id: t.id, partner_id: t.partner_id, name: t.name, created_at: iso(t.created_at)!, updated_at: iso(t.updated_at)! };
}
