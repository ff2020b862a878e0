import { sql } from 'kysely';
import { afterFailure, circuitGate, type CircuitSnapshot } from '../src/domain/circuitBreaker';
import type { ActivityDeps } from './deps';

/**
 * The per-endpoint gates a delivery attempt passes before sending: the circuit breaker (state on
 * the endpoint row, changed under a row lock so workers agree) and the rate limit (a one-second
 * window counter shared by all workers). The rules themselves are pure, in src/domain.
 *
 * Over 60 lines only as a factory: its body is four small gate functions (none over 40 lines)
 * sharing one database handle and one set of circuit settings.
 */
// eslint-disable-next-line max-lines-per-function -- a factory: four small gate functions sharing one database handle and one set of circuit settings
export function endpointGate({ db, config, logger }: ActivityDeps) {
  const circuitSettings = {
    failureThreshold: config.delivery.circuitFailureThreshold,
    openMs: config.delivery.circuitOpenMs,
    disableAfterMs: config.delivery.disableAfterMs,
    probeLeaseMs: config.delivery.timeoutMs + 10_000,
  };

  function snapshot(e: {
    circuit_state: CircuitSnapshot['state'];
    consecutive_failures: number;
    circuit_opened_at: Date | null;
    failing_since: Date | null;
  }): CircuitSnapshot {
    return {
      state: e.circuit_state,
      consecutiveFailures: e.consecutive_failures,
      openedAtMs: e.circuit_opened_at?.getTime() ?? null,
      failingSinceMs: e.failing_since?.getTime() ?? null,
    };
  }

  /** Claim the circuit gate: returns whether this attempt may go, and whether it is the probe. */
  async function passGate(endpointId: string): Promise<{ allow: true; probe: boolean } | { allow: false; waitMs: number }> {
    return db.transaction().execute(async (trx) => {
      const e = await trx
        .selectFrom('endpoints')
        .select(['circuit_state', 'consecutive_failures', 'circuit_opened_at', 'failing_since'])
        .where('id', '=', endpointId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const gate = circuitGate(snapshot(e), Date.now(), circuitSettings);
      if (gate.allow && gate.probe) {
        // circuit_opened_at doubles as the probe's claim time: the lease runs from here.
        await trx
          .updateTable('endpoints')
          .set({ circuit_state: 'half_open', circuit_opened_at: sql`now()` })
          .where('id', '=', endpointId)
          .execute();
      }
      return gate;
    });
  }

  async function recordFailure(endpointId: string, wasProbe: boolean): Promise<void> {
    const disabled = await db.transaction().execute(async (trx) => {
      const e = await trx
        .selectFrom('endpoints')
        .select(['partner_id', 'tenant_id', 'circuit_state', 'consecutive_failures', 'circuit_opened_at', 'failing_since', 'enabled'])
        .where('id', '=', endpointId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const out = afterFailure(snapshot(e), Date.now(), circuitSettings, wasProbe);
      const disable = out.disable && e.enabled;
      await trx
        .updateTable('endpoints')
        .set({
          circuit_state: out.next.state,
          consecutive_failures: out.next.consecutiveFailures,
          circuit_opened_at: out.next.openedAtMs === null ? null : new Date(out.next.openedAtMs),
          failing_since: out.next.failingSinceMs === null ? null : new Date(out.next.failingSinceMs),
          ...(disable ? { enabled: false, disabled_reason: 'failing continuously; disabled by the circuit breaker' } : {}),
          updated_at: sql`now()`,
        })
        .where('id', '=', endpointId)
        .execute();
      if (disable) {
        await trx
          .insertInto('operational_events')
          .values({
            partner_id: e.partner_id,
            tenant_id: e.tenant_id,
            type: 'endpoint.disabled',
            detail: JSON.stringify({ endpoint_id: endpointId, failing_since: out.next.failingSinceMs && new Date(out.next.failingSinceMs) }),
          })
          .execute();
      }
      if (out.opened) logger.warn({ endpoint_id: endpointId, consecutive_failures: out.next.consecutiveFailures }, 'circuit opened');
      return disable;
    });
    if (disabled) logger.error({ endpoint_id: endpointId, outcome: 'endpoint_disabled' }, 'endpoint disabled after failing continuously');
  }

  /**
   * A probe that ended without a sign that the endpoint is unwell (a permanent 4xx answer, or a
   * destination the address policy refused): the circuit closes, as after a success.
   */
  async function closeAfterProbe(endpointId: string): Promise<void> {
    await db
      .updateTable('endpoints')
      .set({ circuit_state: 'closed', consecutive_failures: 0, circuit_opened_at: null, failing_since: null })
      .where('id', '=', endpointId)
      .execute();
  }

  /** Fixed one-second window shared by all workers; returns ms to wait, or 0 to go now. */
  async function rateGate(endpointId: string, limit: number | null): Promise<number> {
    if (!limit) return 0;
    const now = Date.now();
    const window = Math.floor(now / 1000);
    const row = await db
      .insertInto('endpoint_rate_windows')
      .values({ endpoint_id: endpointId, window_start: window, sent: 1 })
      .onConflict((oc) => oc.columns(['endpoint_id', 'window_start']).doUpdateSet({ sent: sql`endpoint_rate_windows.sent + 1` }))
      .returning('sent')
      .executeTakeFirstOrThrow();
    return row.sent <= limit ? 0 : (window + 1) * 1000 - now + Math.floor(Math.random() * 200);
  }

  return { passGate, recordFailure, closeAfterProbe, rateGate };
}
