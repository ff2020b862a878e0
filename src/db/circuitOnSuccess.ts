import { sql, type RawBuilder } from 'kysely';

/**
 * The circuit breaker's record of a delivered attempt (src/domain/circuitBreaker.ts afterSuccess)
 * as one UPDATE of the endpoint row, for a CTE of the statement that records the attempt: no
 * extra round trip. It touches the row only when there is something to change (a failure streak,
 * an open window, a circuit that is not closed), so a healthy endpoint's deliveries never write
 * it. `closeCircuit` is the caller's knowledge that this attempt was a probe; a circuit found not
 * closed at write time closes too (a success is a success).
 */
export function circuitOnSuccess(endpointId: string, delivered: boolean, closeCircuit: boolean): RawBuilder<unknown> {
  const close = sql`(${closeCircuit} or circuit_state <> 'closed')`;
  const windowEnds = sql`(${close} or circuit_window_ends_at is null or circuit_window_ends_at <= now())`;
  return sql`
    update endpoints set
      consecutive_failures = 0,
      failing_since = null,
      circuit_state = 'closed',
      circuit_opened_at = case when ${close} then null else circuit_opened_at end,
      circuit_probes = 0,
      circuit_window_ends_at = case when ${windowEnds} then null else circuit_window_ends_at end,
      circuit_window_attempts = case when ${windowEnds} then 0 else circuit_window_attempts + 1 end,
      circuit_window_failures = case when ${windowEnds} then 0 else circuit_window_failures end
    where id = ${endpointId} and ${delivered} and (consecutive_failures > 0 or ${close} or circuit_window_ends_at is not null)
    returning partner_id, tenant_id`;
}
