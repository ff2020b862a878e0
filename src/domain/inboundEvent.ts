import { z } from 'zod';
import { eventTypeInfo, INBOUND_EVENT_TYPES } from './eventTypes';

/**
 * The wire format partners POST. One schema: it validates ingest, gives the TypeScript type and
 * feeds the OpenAPI document.
 */
const identifier = z
  .string()
  .min(1)
  .max(256)
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point of this pattern
  .regex(/^[^\u0000]*$/, 'must not contain NUL characters');

export const RuntimeVarsSchema = z
  .object({
    crm_account_id: identifier.optional(),
    partner_tenant_ref: identifier.optional(),
  })
  .catchall(z.unknown())
  .meta({ description: 'Business identifiers the voice runtime carried; used to resolve the tenant' });

/**
 * Strict at the top level (an unknown field is a 422 naming it, never silently dropped); free-form
 * detail belongs in `data` and `runtime_vars`.
 */
export const InboundEventSchema = z
  .strictObject({
    event: z.enum(INBOUND_EVENT_TYPES as [string, ...string[]]).meta({ description: 'Event type from the catalog' }),
    call_id: identifier.optional(),
    id: identifier.optional().meta({ description: 'Stands in for call_id on events not tied to a call (agent.*, system.*)' }),
    occurred_at: z.iso.datetime({ offset: true }),
    tenant_id: identifier.optional(),
    voice_session_id: identifier.optional(),
    runtime_vars: RuntimeVarsSchema.optional(),
    data: z.record(z.string(), z.unknown()).default({}),
  })
  .superRefine((e, ctx) => {
    const info = eventTypeInfo(e.event);
    if (!info) return; // the enum already reported it
    if (!info.callless && !e.call_id) {
      ctx.addIssue({ code: 'custom', path: ['call_id'], message: `call_id is required for ${e.event}` });
    }
    if (info.callless && !e.call_id && !e.id) {
      ctx.addIssue({ code: 'custom', path: ['id'], message: `id (or call_id) is required for ${e.event}` });
    }
  })
  .meta({ id: 'InboundEvent' });

export type InboundEvent = z.infer<typeof InboundEventSchema>;

/** The dedupe key's call part: call_id, or the stand-in id for call-less events. */
export function dedupeCallId(e: InboundEvent): string {
  return (e.call_id ?? e.id)!;
}
