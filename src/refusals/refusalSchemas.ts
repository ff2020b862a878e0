import { z } from 'zod';
import { IngestRefusalId, PartnerId } from '../idSchemas';
import { listQuery, PageMeta, Timestamp } from '../tenancy/wireCommon';

export const IngestRefusalPath = z.object({ partner_id: PartnerId });

/** The statuses refusalPolicy.ts keeps, as the query spells them. */
const REFUSAL_STATUSES = ['400', '401', '413', '415', '422', '429'] as const;

export const IngestRefusalSchema = z
  .object({
    id: IngestRefusalId,
    partner_id: z.string(),
    received_at: Timestamp,
    status: z.number().int().meta({ description: 'The HTTP status the POST got (400, 401, 413, 415, 422 or 429)' }),
    code: z.string().meta({ description: 'The error code of the answer (`invalid_signature`, `validation_failed`, …)' }),
    reason: z.string().meta({ description: 'Why, as the ingest log says it (`signature_mismatch`, `stale_timestamp`, `rate_limited`, …)' }),
    message: z.string().meta({ description: 'The message of the answer, cut to 500 characters' }),
    source_ip: z.string().nullable(),
    webhook_id: z.string().nullable().meta({ description: 'The `webhook-id` of a verified request (known only after the signature)' }),
    event_type: z.string().nullable(),
    call_id: z.string().nullable(),
    dropped_before: z.number().int().meta({ description: 'Refusals of this partner not stored (over its sample budget) since the previous stored one' }),
  })
  .meta({ id: 'IngestRefusal' });

export const IngestRefusalListSchema = z.object({ data: z.array(IngestRefusalSchema), ...PageMeta }).meta({ id: 'IngestRefusalList' });

export const ListIngestRefusalsQuery = listQuery(IngestRefusalId).extend({
  status: z
    .enum(REFUSAL_STATUSES)
    .optional()
    .meta({ description: 'Only refusals answered with this status' }),
  reason: z
    .string()
    .regex(/^[a-z0-9_]{1,100}$/, 'must be a reason label (lower case, digits, _)')
    .optional()
    .meta({ description: 'Only refusals with this reason' }),
  since: Timestamp.optional().meta({ description: 'Only refusals at or after this time' }),
  until: Timestamp.optional().meta({ description: 'Only refusals before this time' }),
});
export type ListIngestRefusalsQuery = z.infer<typeof ListIngestRefusalsQuery>;
