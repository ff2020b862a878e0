import { z } from 'zod';
import type { Endpoint } from '../db/schema';
import { EVENT_TYPES } from '../domain/eventTypes';
import { HttpUrl, iso, PageMeta, Text, Timestamp } from './wireCommon';

/** Every entry must be in the catalog (an enum in the document); the 422 names the unknown type. */
const EventType = z.enum(EVENT_TYPES.map((e) => e.type) as [string, ...string[]], {
  error: (issue) => `unknown event type ${JSON.stringify(issue.input)} (see GET /v1/event-types)`,
});
const EventTypes = z.array(EventType).min(1).max(100).meta({ description: 'Event types to receive; absent or null = all' });

const Url = HttpUrl.meta({
  description: 'https URL; http, embedded credentials and private, loopback and link-local hosts are refused unless the server allows private networks',
});
const Description = Text().max(1000);
const MaxAttempts = z.number().int().min(1).max(50);
const RatePerSecond = z.number().int().min(1).max(10_000);

export const CreateEndpointBody = z
  .strictObject({
    url: Url,
    event_types: EventTypes.nullable().optional(),
    description: Description.optional(),
    max_attempts: MaxAttempts.optional(),
    rate_limit_per_second: RatePerSecond.optional(),
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
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to update: send at least one field' })
  .meta({ id: 'UpdateEndpoint', minProperties: 1 });

export const EndpointSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(z.string()).nullable(),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable(),
    max_attempts: z.number().int().nullable(),
    rate_limit_per_second: z.number().int().nullable(),
    circuit_state: z.enum(['closed', 'open', 'half_open']),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'Endpoint' });

export const CreatedEndpointSchema = EndpointSchema.extend({
  secret: z.string().meta({ description: 'whsec_… signing secret (Standard Webhooks), shown once' }),
}).meta({ id: 'CreatedEndpoint' });

export const EndpointListSchema = z.object({ data: z.array(EndpointSchema), ...PageMeta });

export const RotatedEndpointSecretSchema = z
  .object({
    secret: z.string().meta({ description: 'The new whsec_… secret, shown once' }),
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

export function endpointToWire(e: Endpoint): z.infer<typeof EndpointSchema> {
  return {
    id: e.id,
    tenant_id: e.tenant_id,
    url: e.url,
    description: e.description,
    event_types: e.event_types,
    enabled: e.enabled,
    disabled_reason: e.disabled_reason,
    max_attempts: e.max_attempts,
    rate_limit_per_second: e.rate_limit_per_second,
    circuit_state: e.circuit_state,
    created_at: iso(e.created_at)!,
    updated_at: iso(e.updated_at)!,
  };
}
