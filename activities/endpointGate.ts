import { sql } from 'kysely';
import { circuitColumns, circuitRow, circuitSnapshot } from '../src/db/circuitRow';
import { afterFailure, circuitGate, closedCircuit, type CircuitSettings } from '../src/domain/circuitBreaker';
import { recordOperationalEvent } from '../src/operational/recordOperationalEvent';
import type { ActivityDeps } from './deps';

/**
 * The per-endpoint gates a delivery attempt passes before sending: the circuit breaker (state on
 * the endpoint row, changed under a row lock so workers agree) and the rate limit (a one-second
 * window counter shared by all workers). The rules themselves are pure, in src/domain; a success's
 * effect on the circuit is written by the attempt's own statement (src/db/circuitOnSuccess.ts).
 *
 * Over 60 lines only as a factory: its body is four small gate functions (none over 40 lines)
 * sharing one database handle and one set of circuit settings.
 */
// eslint-disable-next-line max-lines-per-function -- a factory: four small gate functions sharing one database handle and one set of circuit settings
export function endpointGate({ db, config, logger }: ActivityDeps) {
  const circuitSettings: CircuitSettings = {
    failureThreshold: config.delivery.circuitFailureThreshold,
    failureRate: config.delivery.circuitFailureRate,
    minAttempts: config.delivery.circuitMinAttempts,
    windowMs: config.delivery.circuitWindowMs,
    openMs: config.delivery.circuitOpenMs,
    halfOpenProbes: config.delivery.circuitHalfOpenProbes,
    disableAfterMs: config.delivery.disableAfterMs,
    probeLeaseMs: config.delivery.timeoutMs + 10_000,
  };

  /** Claim the circuit gate: returns whether this attempt may go, and whether it is a probe. */
  async function passGate(endpointId: string): Promise<{ allow: true; probe: boolean } | { allow: false; waitMs: number }> {
    return db.transaction().execute(async (trx) => {
      const e = await trx.selectFrom('endpoints').select(circuitColumns).where('id', '=', endpointId).forUpdate().executeTakeFirstOrThrow();
      const gate = circuitGate(circuitSnapshot(e), Date.now(), circuitSettings);
      if (gate.next) await trx.updateTable('endpoints').set(circuitRow(gate.next)).where('id', '=', endpointId).execute();
      return gate.decision;
    });
  }

  /**
   * An "endpoint is unwell" failure. Whether the attempt was a probe no longer matters (the
   * half-open state counts every failure); the parameter stays for the call site's sake.
   */
  async function recordFailure(endpointId: string, _wasProbe?: boolean): Promise<void> {
    const disabled = await db.transaction().execute(async (trx) => {
      const e = await trx
        .selectFrom('endpoints')
        .select(['partner_id', 'tenant_id', 'enabled', ...circuitColumns])
        .where('id', '=', endpointId)
        .forUpdate()
        .executeTakeFirstOrThrow();
      const out = afterFailure(circuitSnapshot(e), Date.now(), circuitSettings);
      const disable = out.disable && e.enabled;
      await trx
        .updateTable('endpoints')
        .set({
          ...circuitRow(out.next),
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
      if (out.opened) {
        await recordOperationalEvent(trx, { type: 'endpoint.circuit_opened', partnerId: e.partner_id, tenantId: e.tenant_id, detail: { endpoint_id: endpointId, reason: out.opened } });
        const { consecutiveFailures, windowAttempts, windowFailures } = circuitSnapshot(e);
        logger.warn({ endpoint_id: endpointId, reason: out.opened, consecutive_failures: consecutiveFailures + 1, window_attempts: windowAttempts + 1, window_failures: windowFailures + 1 }, 'circuit opened');
      }
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
      .set(circuitRow(closedCircuit))
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

  /**
   * The receiver answered 410 Gone: it wants no more deliveries (Standard Webhooks: disable the
   * endpoint). Disabled with the reason and an `endpoint.disabled` operational event in ONE
   * statement, once: a second 410 (another delivery in flight) finds it disabled and writes nothing.
   * Its other pending deliveries then dead-letter at their gate ("endpoint is disabled").
   */
  async function disableGone(endpointId: string): Promise<void> {
    const reason = 'receiver answered 410 Gone';
    const { rows } = await sql<{ id: string }>`
      with disabled as (
        update endpoints set enabled = false, disabled_reason = ${reason}, updated_at = now()
        where id = ${endpointId} and enabled and deleted_at is null
        returning id, partner_id, tenant_id
      )
      insert into operational_events (partner_id, tenant_id, type, detail)
      select partner_id, tenant_id, 'endpoint.disabled', jsonb_build_object('endpoint_id', id, 'reason', 'gone', 'status_code', 410)
      from disabled
      returning id`.execute(db);
    if (rows.length > 0) logger.warn({ endpoint_id: endpointId, outcome: 'endpoint_disabled', reason: 'gone' }, 'endpoint disabled: the receiver answered 410 Gone');
  }

  return { passGate, recordFailure, closeAfterProbe, rateGate, disableGone };
}
