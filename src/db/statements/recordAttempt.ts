import { executePrepared } from '../preparedStatements';
import { sql, type Kysely } from 'kysely';
import { circuitOnSuccess } from '../circuitOnSuccess';
import type { Database } from '../schema';

export interface AttemptRecord {
  deliveryId: string;
  endpointId: string;
  attemptNumber: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  responseBody: string | null;
  /** The request's headers as the payload inspector shows them (credentials redacted). */
  requestHeaders: Record<string, string>;
  error: string | null;
  delivered: boolean;
  /** A success that ends an open circuit or a probe: the endpoint's circuit closes too. */
  closeCircuit: boolean;
  /**
   * The delivery's event, when a success here may be its last: the event is then settled as
   * `delivered` in the same statement if every other delivery of it is delivered already.
   */
  settleEventId?: string;
}

/**
 * The attempt, the delivery's new state, (on success) the endpoint's recovery and, when asked and
 * nothing else of the event is left, the event's settlement in ONE statement: atomic, and one
 * round trip on the hot path instead of seven. Returns whether it settled the event.
 *
 * Only "all delivered" settles here: that is the common end and needs no other row's outcome.
 * Every other end (a dead letter among them, a sibling still in flight, two siblings recording at
 * once so that neither sees the other delivered) is left to settleEventStatus.
 */
export async function recordAttempt(db: Kysely<Database>, a: AttemptRecord): Promise<{ settled: boolean }> {
  const settleEventId = a.delivered ? (a.settleEventId ?? null) : null;
  const rows = await executePrepared(db, 'record_attempt', sql<{ settled: string }>`
    with attempt as (
      insert into delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, response_body, request_headers, error)
      values (${a.deliveryId}, ${a.attemptNumber}, ${a.startedAt}, ${a.durationMs}, ${a.statusCode}, ${a.responseBody}, ${JSON.stringify(a.requestHeaders)}::jsonb, ${a.error})
      returning 1
    ),
    delivery as (
      update deliveries set
        attempt_count = ${a.attemptNumber},
        status = ${a.delivered ? 'delivered' : 'delivering'},
        last_status_code = ${a.statusCode},
        last_error = ${a.error},
        last_response_body = ${a.responseBody},
        updated_at = now(),
        delivered_at = case when ${a.delivered} then now() else delivered_at end
      where id = ${a.deliveryId}
      returning partner_id, tenant_id, event_id, endpoint_id, redrive_count
    ),
    -- Operational events (src/operational/catalogue.ts): inserts of no rows on the happy path.
    recovered as (
      insert into operational_events (partner_id, tenant_id, type, detail)
      select partner_id, tenant_id, 'delivery.recovered', jsonb_build_object('delivery_id', ${a.deliveryId}::text, 'event_id', event_id, 'endpoint_id', endpoint_id)
      from delivery where ${a.delivered} and redrive_count > 0
      returning 1
    ),
    endpoint as (
      -- A success resets the failure streak and feeds the circuit breaker's window, if one is open.
      ${circuitOnSuccess(a.endpointId, a.delivered, a.closeCircuit)}
    ),
    circuit_closed as (
      insert into operational_events (partner_id, tenant_id, type, detail)
      select partner_id, tenant_id, 'endpoint.circuit_closed', jsonb_build_object('endpoint_id', ${a.endpointId}::text)
      from endpoint where ${a.closeCircuit}
      returning 1
    ),
    settled as (
      update events set status = 'delivered', updated_at = now()
      where id = ${settleEventId} and status <> 'delivered'
        and not exists (select 1 from deliveries d where d.event_id = ${settleEventId} and d.id <> ${a.deliveryId} and d.status <> 'delivered')
      returning id
    ),
    settled_checkpoint as (
      insert into event_checkpoints (event_id, stage, detail)
      select s.id, 'delivered', jsonb_build_object('delivered', c.n, 'dead_lettered', 0, 'total', c.n)
      from settled s, (select count(*)::int as n from deliveries where event_id = ${settleEventId}) c
      returning 1
    )
    select (select count(*) from attempt) as attempts, (select count(*) from delivery) as deliveries,
      (select count(*) from endpoint) as endpoints, (select count(*) from settled_checkpoint) as settled
  `);
  return { settled: Number(rows[0]?.settled ?? 0) > 0 };
}
