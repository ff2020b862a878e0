import { z } from 'zod';
import { PartnerId, TenantId } from '../idSchemas';
import { PageMeta, Timestamp } from '../tenancy/wireCommon';
import { OPERATIONAL_EVENT_TYPE_NAMES, OPERATIONAL_EVENT_TYPES } from './catalogue';

const catalogue = Object.entries(OPERATIONAL_EVENT_TYPES)
  .map(([type, what]) => `\`${type}\`: ${what}`)
  .join(' ');

export const OperationalEventType = z.enum(OPERATIONAL_EVENT_TYPE_NAMES).meta({ description: `The catalogue. ${catalogue}` });

/** Ids are a bigserial, sent as a decimal string; the pattern keeps the cursor a plain number. */
const OperationalEventId = z.string().regex(/^[1-9][0-9]{0,17}$/, 'must be an operational event id (a decimal number)');

export const OperationalEventSchema = z
  .object({
    id: OperationalEventId,
    type: OperationalEventType,
    partner_id: z.string().nullable(),
    tenant_id: z.string().nullable(),
    at: Timestamp,
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'OperationalEvent' });

export const OperationalEventListSchema = z.object({ data: z.array(OperationalEventSchema), ...PageMeta }).meta({ id: 'OperationalEventList' });

export const ListOperationalEventsQuery = z.strictObject({
  type: OperationalEventType.optional(),
  partner_id: PartnerId.optional().meta({ description: 'Admin: one partner; other keys only ever see their own' }),
  tenant_id: TenantId.optional(),
  since: Timestamp.optional().meta({ description: 'Only events at or after this time' }),
  until: Timestamp.optional().meta({ description: 'Only events before this time' }),
  limit: z.coerce.number().int().min(1).max(500).default(100).meta({ description: 'Page size (default 100, max 500)' }),
  after: OperationalEventId.optional().meta({ description: 'Cursor: `next_after` of the previous page' }),
});
