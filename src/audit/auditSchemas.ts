import { z } from 'zod';
import { ApiKeyId, PartnerId, TenantId } from '../idSchemas';
import { listQuery, PageMeta, Timestamp } from '../tenancy/wireCommon';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES } from './auditActions';

export const AuditId = z
  .string()
  .regex(/^aud_[A-Za-z0-9_-]{1,60}$/, 'must be an audit record id (aud_…)')
  .meta({ description: 'Audit record id (`aud_…`)' });

export const AuditRecordSchema = z
  .object({
    id: AuditId,
    at: Timestamp,
    partner_id: z.string().nullable().meta({ description: 'Null for an action on every partner (admin only)' }),
    tenant_id: z.string().nullable(),
    actor: z.object({
      kind: z.enum(['admin', 'partner', 'tenant', 'operator_cli']),
      key_id: z.string().nullable().meta({ description: 'The API key id (`key_…`) that acted; null for the admin key and the operator CLI. Never the key.' }),
      client_ip: z.string().nullable(),
      request_id: z.string().nullable().meta({ description: 'The `X-Request-Id` of the request that acted' }),
    }),
    action: z.enum(AUDIT_ACTIONS),
    target: z.object({ type: z.enum(AUDIT_TARGET_TYPES), id: z.string() }),
    detail: z.record(z.string(), z.unknown()).meta({ description: 'Ids and changed field names; never secrets, keys, URLs or payloads' }),
  })
  .meta({ id: 'AuditRecord' });

export const AuditListSchema = z.object({ data: z.array(AuditRecordSchema), ...PageMeta }).meta({ id: 'AuditRecordList' });

export const ListAuditQuery = listQuery(AuditId).extend({
  partner_id: PartnerId.optional().meta({ description: 'Admin only: one partner (default all); a partner key may only name itself' }),
  tenant_id: TenantId.optional(),
  action: z.enum(AUDIT_ACTIONS).optional(),
  actor_key_id: ApiKeyId.optional(),
  target_id: z
    .string()
    .regex(/^[a-z]{2,4}_[A-Za-z0-9_-]{1,60}$/, 'must be a resource id (prefix_…)')
    .optional()
    .meta({ description: 'Records about one resource (`ep_…`, `dlv_…`, `key_…`, …)' }),
  since: Timestamp.optional().meta({ description: 'Only records at or after this time' }),
  until: Timestamp.optional().meta({ description: 'Only records before this time' }),
});
export type ListAuditQuery = z.infer<typeof ListAuditQuery>;
