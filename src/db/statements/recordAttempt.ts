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
  error: string | null;
  delivered: boolean;
  /** A success that ends an open circuit or a probe: the endpoint's circuit closes too. */
  closeCircuit: boolean;
}

/**
 * The attempt, the delivery's new state and (on success) the endpoint's recovery in ONE
 * statement: atomic, and one round trip on the hot path instead of five.
 */
export async function recordAttempt(db: Kysely<Database>, a: AttemptRecord): Promise<void> {
  await sql`
    with attempt as (
      insert into delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, response_body, error)
      values (${a.deliveryId}, ${a.attemptNumber}, ${a.startedAt}, ${a.durationMs}, ${a.statusCode}, ${a.responseBody}, ${a.error})
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
      returning 1
    ),
    endpoint as (
      -- A success resets the failure streak and feeds the circuit breaker's window, if one is open.
      ${circuitOnSuccess(a.endpointId, a.delivered, a.closeCircuit)}
    )
    select (select count(*) from attempt) as attempts, (select count(*) from delivery) as deliveries, (select count(*) from endpoint) as endpoints
  `.execute(db);
}
