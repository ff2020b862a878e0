import { z } from 'zod';
import type { Partner } from '../db/schema';
import { HttpUrl, iso, Name, PageMeta, Timestamp } from './wireCommon';

export const CreatePartnerBody = z
  .strictObject({
    name: Name,
    ops_webhook_url: HttpUrl.optional().meta({
      description: 'Where operational events (endpoint disabled, incidents) are posted; the same address rules as endpoint URLs',
    }),
  })
  .meta({ id: 'CreatePartner' });

export const PartnerSchema = z
  .object({ id: z.string(), name: z.string(), ops_webhook_url: z.string().nullable(), created_at: Timestamp })
  .meta({ id: 'Partner' });

export const CreatedPartnerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    api_key: z.string().meta({ description: 'Partner API key (sk_partner_…), shown once' }),
    inbound_secret: z.string().meta({ description: 'whsec_… secret the partner signs its webhooks with, shown once' }),
  })
  .meta({ id: 'CreatedPartner' });

export const PartnerListSchema = z.object({ data: z.array(PartnerSchema), ...PageMeta });

export const RotatedPartnerSecretSchema = z
  .object({
    inbound_secret: z.string().meta({ description: 'The new whsec_… secret, shown once' }),
    previous_secret_expires_at: Timestamp.meta({ description: 'Until then the previous secret still verifies' }),
  })
  .meta({ id: 'RotatedPartnerSecret' });

export function partnerToWire(p: Partner): z.infer<typeof PartnerSchema> {
  return { id: p.id, name: p.name, ops_webhook_url: p.ops_webhook_url, created_at: iso(p.created_at)! };
}
