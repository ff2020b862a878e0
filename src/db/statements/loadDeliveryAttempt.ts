import type { Kysely } from 'kysely';
import type { Database } from '../schema';

/**
 * Everything one delivery attempt needs, in one round trip: the delivery's state, its endpoint's
 * gates and address, and the event the envelope is built from.
 */
export function loadDeliveryAttempt(db: Kysely<Database>, deliveryId: string) {
  return db
    .selectFrom('deliveries')
    .innerJoin('endpoints', 'endpoints.id', 'deliveries.endpoint_id')
    .innerJoin('events', 'events.id', 'deliveries.event_id')
    .select([
      'deliveries.id',
      'deliveries.status',
      'deliveries.attempt_count',
      'deliveries.endpoint_id',
      'deliveries.tenant_id',
      'deliveries.retry_attempt_base',
      'endpoints.url',
      'endpoints.enabled',
      'endpoints.deleted_at',
      'endpoints.circuit_state',
      'endpoints.rate_limit_per_second',
      'endpoints.delivery_auth_sealed',
      'endpoints.retry_schedule_seconds',
      'events.id as event_id',
      'events.event_type',
      'events.call_id',
      'events.occurred_at',
      'events.received_at',
      'events.source',
      'events.payload',
    ])
    .where('deliveries.id', '=', deliveryId)
    .executeTakeFirst();
}

export type DeliveryAttemptRow = NonNullable<Awaited<ReturnType<typeof loadDeliveryAttempt>>>;
