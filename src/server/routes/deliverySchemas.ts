import { z } from 'zod';

/** Wire shapes of the event / delivery / quarantine read models (one schema each, reused by OpenAPI). */
/** Serialised by JSON.stringify from Date: ISO 8601 in UTC. */
const timestamp = z.iso.datetime();

export const DeliveryAttemptSchema = z
  .object({
    attempt_number: z.number().int(),
    started_at: timestamp,
    duration_ms: z.number().int(),
    status_code: z.number().int().nullable(),
    response_body: z.string().nullable().describe('First 1 KiB of the response body'),
    request_headers: z
      .record(z.string(), z.string())
      .nullable()
      .describe(
        "The headers this attempt was sent with: Switchboard's own (webhook-id, webhook-timestamp, webhook-signature, content-type, user-agent) in full, the endpoint's custom and auth headers by name with the value `[redacted]`; null for attempts made before they were kept",
      ),
    error: z.string().nullable(),
  })
  .meta({ id: 'DeliveryAttempt' });

export const DeliveryStatusSchema = z.enum(['pending', 'delivering', 'waiting_circuit', 'delivered', 'dead_lettered']);

export const DeliverySchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    call_id: z.string(),
    endpoint_id: z.string(),
    tenant_id: z.string().nullable().describe("null for a delivery to a partner's own operations endpoint (docs/operations.md)"),
    partner_id: z.string(),
    status: DeliveryStatusSchema,
    attempt_count: z.number().int(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    dead_letter_reason: z.string().nullable(),
    redrive_count: z.number().int(),
    workflow_id: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
    delivered_at: timestamp.nullable(),
  })
  .meta({ id: 'Delivery' });

export const EventViewSchema = z
  .object({
    id: z.string(),
    partner_id: z.string(),
    tenant_id: z.string().nullable(),
    call_id: z.string(),
    event_type: z.string(),
    status: z.string(),
    source: z.string(),
    source_id: z
      .string()
      .nullable()
      .describe('The inbound source (`src_…`) the event first came through (`POST /v1/sources/{source_id}/events`); null: the default route, or not ingested'),
    occurred_at: timestamp,
    received_at: timestamp,
    updated_at: timestamp,
    workflow_id: z.string(),
    delivered_body: z
      .string()
      .nullable()
      .describe('The exact JSON body each delivery attempt (and redrive) of this event sends; null while the event has no tenant'),
    checkpoints: z.array(z.object({ stage: z.string(), detail: z.unknown(), at: timestamp })),
    deliveries: z.array(
      DeliverySchema.omit({ event_id: true, event_type: true, call_id: true, partner_id: true }).extend({
        endpoint_url: z.string(),
        last_response_body: z.string().nullable(),
        next_attempt_at: timestamp.nullable().describe("While retrying: when Temporal schedules the next attempt (null otherwise)"),
        attempts: z.array(DeliveryAttemptSchema),
      }),
    ),
  })
  .meta({ id: 'EventView' });

export const RedriveOutcomeSchema = z
  .object({
    delivery_id: z.string(),
    redriven: z.boolean(),
    status: z.string().optional().describe('Current status when not redriven (only dead_lettered deliveries are)'),
    workflow_id: z.string().optional(),
  })
  .meta({ id: 'RedriveOutcome' });

export const QuarantineItemSchema = z
  .object({
    id: z.string(),
    event_id: z.string(),
    partner_id: z.string(),
    call_id: z.string(),
    event_type: z.string(),
    reason: z.string().describe('conflicting_keys | foreign_tenant | unroutable'),
    detail: z.unknown(),
    status: z.enum(['open', 'released', 'discarded']),
    released_tenant_id: z.string().nullable(),
    created_at: timestamp,
    resolved_at: timestamp.nullable(),
  })
  .meta({ id: 'QuarantineItem' });
