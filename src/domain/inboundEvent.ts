import { z } from 'zod';
import { eventTypeInfo, INBOUND_EVENT_TYPES } from './eventTypes';
import { storableTimestamp } from './storableTimestamp';

/**
 * The wire format partners POST. One schema: it validates ingest, gives the TypeScript type and
 * feeds the OpenAPI document.
 */
// eslint-disable-next-line no-control-regex -- refusing control characters is the point of this pattern
const NO_NUL = /^[^\u0000]*$/;
const identifier = z.string().min(1).max(256).regex(NO_NUL, 'must not contain NUL characters');

export const RuntimeVarsSchema = z
  .object({
    crm_account_id: identifier.optional(),
    partner_tenant_ref: identifier.optional(),
  })
  .catchall(z.unknown())
  .meta({ description: 'Business identifiers the voice runtime carried; used to resolve the tenant' });

type EventTypes = [string, ...string[]];
const CALL_EVENT_TYPES = INBOUND_EVENT_TYPES.filter((t) => !eventTypeInfo(t)!.callless) as EventTypes;
const CALLLESS_EVENT_TYPES = INBOUND_EVENT_TYPES.filter((t) => eventTypeInfo(t)!.callless) as EventTypes;

/** What every event carries, whichever id names it. */
const commonFields = {
  occurred_at: storableTimestamp(),
  tenant_id: identifier.optional(),
  voice_session_id: identifier.optional(),
  runtime_vars: RuntimeVarsSchema.optional(),
  data: z.record(z.string(), z.unknown()).default({}),
};

/** An event about a call: call_id is its dedupe key and is required. */
const CallEventSchema = z.strictObject({
  event: z.enum(CALL_EVENT_TYPES).meta({ description: 'An event type tied to a call (every type but agent.* and system.*)' }),
  call_id: z
    .string({ error: (iss) => (iss.input === undefined ? 'call_id is required for an event tied to a call (every type but agent.* and system.*)' : undefined) })
    .min(1)
    .max(256)
    .regex(NO_NUL, 'must not contain NUL characters'),
  id: identifier.optional().meta({ description: 'Ignored for events tied to a call (call_id is the key)' }),
  ...commonFields,
});

/**
 * An event not tied to a call (agent.*, system.*): `id` stands in for call_id as its key; a
 * call_id, when given, still wins. The "one of the two" rule is a refinement (its message names the field);
 * the `anyOf` says the same thing to the OpenAPI document, which cannot see refinements.
 */
const CalllessEventSchema = z
  .strictObject({
    event: z.enum(CALLLESS_EVENT_TYPES).meta({ description: 'An event type not tied to a call (agent.*, system.*)' }),
    id: identifier.optional().meta({ description: 'Stands in for call_id as the dedupe key; required unless call_id is given' }),
    call_id: identifier.optional().meta({ description: 'The dedupe key if given (then `id` may be left out)' }),
    ...commonFields,
  })
  .refine((e) => e.id !== undefined || e.call_id !== undefined, { path: ['id'], message: 'id (or call_id) is required for agent.* and system.* events' })
  .meta({ anyOf: [{ required: ['id'] }, { required: ['call_id'] }] });

const quotedTypes = INBOUND_EVENT_TYPES.map((t) => JSON.stringify(t)).join('|');

/**
 * Keyed on the event family, so the document says which id each event needs (a `oneOf`) and a
 * request costs one map lookup and one object parse. Strict at the top level (an unknown field is
 * a 422 naming it, never silently dropped); free-form detail belongs in `data` and `runtime_vars`.
 */
export const InboundEventSchema = z
  .discriminatedUnion('event', [CallEventSchema, CalllessEventSchema], {
    error: (iss) => (iss.code === 'invalid_union' ? `Invalid option: expected one of ${quotedTypes}` : undefined),
  })
  .meta({ id: 'InboundEvent' });

export type InboundEvent = z.infer<typeof InboundEventSchema>;

/** The dedupe key's call part: call_id, or the stand-in id for call-less events. */
export function dedupeCallId(e: InboundEvent): string {
  return (e.call_id ?? e.id)!;
}
