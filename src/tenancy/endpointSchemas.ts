import { z } from 'zod';
import type { Endpoint } from '../db/schema';
import { EVENT_TYPES } from '../domain/eventTypes';
import { PayloadFilterSchema } from '../filters/filterSchema';
import { OPERATIONAL_EVENT_TYPE_NAMES } from '../operational/catalogue';
import { CustomHeaders, EndpointAuthInput, EndpointAuthSummary } from './endpointAuthSchemas';
import { GraceBody, HttpUrl, iso, PageMeta, Text, Timestamp } from './wireCommon';

const CATALOG_TYPES = new Set(EVENT_TYPES.map((e) => e.type));
const OPERATIONAL_TYPES = new Set<string>(OPERATIONAL_EVENT_TYPE_NAMES);

/**
 * Every entry must be in one of the two catalogs (an enum in the document); which one depends on
 * the endpoint's purpose, checked by `eventTypesFitPurpose`. The 422 names the unknown type.
 */
const EventType = z.enum([...CATALOG_TYPES, ...OPERATIONAL_TYPES] as [string, ...string[]], {
  error: (issue) => `unknown event type ${JSON.stringify(issue.input)} (see GET /v1/event-types, or the operational catalogue in docs/operations.md)`,
});
const EventTypes = z
  .array(EventType)
  .min(1)
  .max(100)
  .meta({
    description:
      'Event types to receive; absent or null = all. An `events` endpoint names catalog types (GET /v1/event-types); an `operations` endpoint names operational event types (docs/operations.md)',
  });
export const OperationalEventTypes = z
  .array(z.enum(OPERATIONAL_EVENT_TYPE_NAMES, { error: (issue) => `unknown operational event type ${JSON.stringify(issue.input)} (see docs/operations.md)` }))
  .min(1)
  .max(100)
  .meta({ description: 'Operational event types to receive; absent or null = all' });

/** The issues of `event_types` that do not belong to the endpoint's purpose's catalog, one per entry. */
export function eventTypesOutsidePurpose(purpose: 'events' | 'operations', eventTypes: readonly string[] | null | undefined): { index: number; message: string }[] {
  const allowed = purpose === 'operations' ? OPERATIONAL_TYPES : CATALOG_TYPES;
  const catalog = purpose === 'operations' ? 'the operational catalogue (docs/operations.md)' : 'the event catalog (GET /v1/event-types)';
  return (eventTypes ?? []).flatMap((type, index) => (allowed.has(type) ? [] : [{ index, message: `${JSON.stringify(type)} is not in ${catalog}, which a ${purpose} endpoint subscribes to` }]));
}

const Url = HttpUrl.meta({
  description: 'https URL; http, embedded credentials and private, loopback and link-local hosts are refused unless the server allows private networks',
});
const Description = Text().max(1000);
const MaxAttempts = z.number().int().min(1).max(50);
const RatePerSecond = z.number().int().min(1).max(10_000);
const SignatureScheme = z.enum(['v1', 'v1a']).meta({
  description: 'Standard Webhooks signature: `v1` HMAC-SHA256 with a whsec_ secret (default), or `v1a` Ed25519 (the tenant verifies with the whpk_ public key)',
});
/** Delays before attempts 2..N; a week at most each (the default schedule's whole span is about a day). */
const RetrySchedule = z
  .array(z.number().int().min(1).max(7 * 86_400))
  .min(1)
  .max(49)
  .meta({
    description: 'Seconds to wait before attempts 2, 3, … (Svix-style explicit schedule, jittered ±20 %). Sets max_attempts to its length + 1 unless max_attempts is sent too (then fewer attempts stop early, more repeat the last delay). Absent or null = the server schedule',
    example: [5, 300, 1800, 7200, 18000, 36000, 36000],
  });
const DeliveryOptionFields = {
  headers: CustomHeaders.nullable().optional(),
  auth: EndpointAuthInput.nullable().optional(),
  filter: PayloadFilterSchema.nullable().optional(),
  retry_schedule_seconds: RetrySchedule.nullable().optional(),
};

export const EndpointPurpose = z.enum(['events', 'operations']).meta({
  description: "`events` (default): the tenant's events. `operations`: operational events about this tenant's endpoints and deliveries only (GET /v1/operational-events), signed and retried like any delivery; never planned for the tenant's events.",
});

/** The create body's fields, before the purpose check (the operations-endpoint body reuses them). */
export const CreateEndpointFields = z.strictObject({
    url: Url,
    purpose: EndpointPurpose.optional(),
    event_types: EventTypes.nullable().optional(),
    description: Description.optional(),
    max_attempts: MaxAttempts.optional(),
    rate_limit_per_second: RatePerSecond.optional(),
    signature_scheme: SignatureScheme.optional(),
    ...DeliveryOptionFields,
});

export const CreateEndpointBody = CreateEndpointFields
  .superRefine((b, ctx) => {
    for (const issue of eventTypesOutsidePurpose(b.purpose ?? 'events', b.event_types)) ctx.addIssue({ code: 'custom', path: ['event_types', issue.index], message: issue.message });
  })
  .meta({ id: 'CreateEndpoint' });

export const UpdateEndpointBody = z
  .strictObject({
    url: Url.optional(),
    event_types: EventTypes.nullable().optional(),
    enabled: z.boolean().optional(),
    description: Description.nullable().optional(),
    max_attempts: MaxAttempts.nullable().optional(),
    rate_limit_per_second: RatePerSecond.nullable().optional(),
    ...DeliveryOptionFields,
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to update: send at least one field' })
  .meta({ id: 'UpdateEndpoint', minProperties: 1 });

export const EndpointSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string().nullable().meta({ description: "Null only for a partner's own operations endpoint" }),
    purpose: EndpointPurpose,
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(z.string()).nullable(),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable(),
    max_attempts: z.number().int().nullable(),
    rate_limit_per_second: z.number().int().nullable(),
    circuit_state: z.enum(['closed', 'open', 'half_open']),
    signature_scheme: SignatureScheme,
    public_keys: z.array(z.string()).meta({ description: 'v1a: the whpk_ public keys deliveries are signed for, newest first (two during a rotation); empty for v1' }),
    header_names: z.array(z.string()).meta({ description: 'Names of the custom headers (values are never returned)' }),
    auth: EndpointAuthSummary.nullable(),
    filter: PayloadFilterSchema.nullable(),
    retry_schedule_seconds: z.array(z.number().int()).nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Endpoint' });

export const CreatedEndpointSchema = EndpointSchema.extend({
  secret: z.string().optional().meta({ description: 'v1: the whsec_… signing secret (Standard Webhooks), shown once. Absent for v1a (the private key never leaves the server; verify with public_keys)' }),
}).meta({ id: 'CreatedEndpoint' });

export const EndpointListSchema = z.object({ data: z.array(EndpointSchema), ...PageMeta });

export const RotateEndpointSecretBody = GraceBody.extend({
  signature_scheme: SignatureScheme.optional().meta({ description: 'Switch scheme with the rotation (default: keep the current one); both signatures are sent during the grace period' }),
}).meta({ id: 'RotateEndpointSecret' });

export const RotatedEndpointSecretSchema = z
  .object({
    secret: z.string().optional().meta({ description: 'v1: the new whsec_… secret, shown once' }),
    public_key: z.string().optional().meta({ description: 'v1a: the new whpk_… public key' }),
    signature_scheme: SignatureScheme,
    previous_secret_expires_at: Timestamp.meta({ description: 'Until then deliveries carry a signature with the previous secret too' }),
  })
  .meta({ id: 'RotatedEndpointSecret' });

export const TestDeliverySchema = z
  .object({
    event_id: z.string(),
    delivery_id: z.string(),
    workflow_id: z.string().meta({ description: 'The delivery workflow (visible in the Temporal UI)' }),
  })
  .meta({ id: 'TestDelivery' });

/** `publicKeys`: the endpoint's active whpk_ keys (activePublicKeys), read by the caller. */
export function endpointToWire(e: Endpoint, publicKeys: string[] = []): z.infer<typeof EndpointSchema> {
  const summary = e.delivery_auth_summary as { header_names?: string[]; auth?: z.infer<typeof EndpointAuthSummary> | null } | null;
  return {
    id: e.id,
    tenant_id: e.tenant_id,
    purpose: e.purpose,
    url: e.url,
    description: e.description,
    event_types: e.event_types,
    enabled: e.enabled,
    disabled_reason: e.disabled_reason,
    max_attempts: e.max_attempts,
    rate_limit_per_second: e.rate_limit_per_second,
    circuit_state: e.circuit_state,
    signature_scheme: e.signature_scheme,
    public_keys: publicKeys,
    header_names: summary?.header_names ?? [],
    auth: summary?.auth ?? null,
    filter: e.payload_filter,
    retry_schedule_seconds: e.retry_schedule_seconds,
    created_at: iso(e.created_at)!,
    updated_at: iso(e.updated_at)!,
  };
}
