import { Context } from '@temporalio/activity';
import { sql } from 'kysely';
import type { Agent } from 'undici';
import { afterSuccess } from '../src/domain/circuitBreaker';
import { buildEnvelope } from '../src/domain/deliveryEnvelope';
import { isRetryableStatus, parseRetryAfter } from '../src/domain/retrySchedule';
import { signDelivery } from '../src/signing/signDelivery';
import type { ActivityDeps } from './deps';
import { FailureType, permanentFailure, retryableFailure } from './failures';
import { endpointGate } from './endpointGate';
import { DestinationForbiddenError, sendWebhook } from '../src/net/webhookHttpClient';
import { activeSecrets } from '../src/db/signingSecrets';
import { VERSION } from '../src/version';

export const USER_AGENT = `Switchboard/${VERSION}`;

/** A durable wait the workflow must take (with a timer) before trying again; costs no attempt. */
export type DeliverResult =
  | { outcome: 'delivered'; attempt: number; statusCode: number }
  | { outcome: 'wait'; reason: 'circuit_open' | 'rate_limited'; waitMs: number; attemptCount: number };

export interface DeliverInput {
  deliveryId: string;
}

/** `deferred`: this worker already has its quota of inline first attempts in flight; nothing was sent. */
export type InlineDeliverResult = DeliverResult | { outcome: 'deferred' };

/** undici reports timeouts as the abort reason (TimeoutError) or its own headers/body timeouts. */
function isTimeout(e: Error & { code?: string }): boolean {
  return (
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e.code === 'UND_ERR_BODY_TIMEOUT' ||
    e.code === 'UND_ERR_CONNECT_TIMEOUT'
  );
}

function statusClass(status: number | null): string {
  return status === null ? 'network' : `${Math.floor(status / 100)}xx`;
}

export function deliverWebhookActivities(deps: ActivityDeps, agent: Agent) {
  const { db, config, logger, metrics, secretBox } = deps;
  const { passGate, recordFailure, rateGate } = endpointGate(deps);
  /** Inline first attempts running in this process (see deliverWebhookInline). */
  let inlineInFlight = 0;

  const activities = {
    /**
     * One delivery attempt. Throws retryable / non-retryable ApplicationFailures for the retry
     * policy; returns `wait` when the circuit or rate limit says "not now" (a durable timer in the
     * workflow, which burns no attempt).
     */
    async deliverWebhook({ deliveryId }: DeliverInput): Promise<DeliverResult> {
      const row = await db
        .selectFrom('deliveries')
        .innerJoin('endpoints', 'endpoints.id', 'deliveries.endpoint_id')
        .innerJoin('events', 'events.id', 'deliveries.event_id')
        .select([
          'deliveries.id',
          'deliveries.status',
          'deliveries.attempt_count',
          'deliveries.endpoint_id',
          'deliveries.tenant_id',
          'endpoints.url',
          'endpoints.enabled',
          'endpoints.deleted_at',
          'endpoints.circuit_state',
          'endpoints.rate_limit_per_second',
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
      if (!row) throw permanentFailure(FailureType.NotFound, `delivery ${deliveryId} not found`);
      if (row.status === 'delivered') return { outcome: 'delivered', attempt: row.attempt_count, statusCode: 0 };
      if (row.deleted_at) throw permanentFailure(FailureType.EndpointGone, 'endpoint was deleted');
      if (!row.enabled) throw permanentFailure(FailureType.EndpointGone, 'endpoint is disabled');

      let probe = false;
      if (row.circuit_state !== 'closed') {
        const gate = await passGate(row.endpoint_id);
        if (!gate.allow) {
          await db
            .updateTable('deliveries')
            .set({ status: 'waiting_circuit', updated_at: sql`now()` })
            .where('id', '=', deliveryId)
            .where('status', 'in', ['pending', 'delivering'])
            .execute();
          return { outcome: 'wait', reason: 'circuit_open', waitMs: gate.waitMs, attemptCount: row.attempt_count };
        }
        probe = gate.probe;
      }
      const rateWait = await rateGate(row.endpoint_id, row.rate_limit_per_second);
      if (rateWait > 0) return { outcome: 'wait', reason: 'rate_limited', waitMs: rateWait, attemptCount: row.attempt_count };

      const envelope = buildEnvelope({ ...row, id: row.event_id, tenant_id: row.tenant_id });
      const body = JSON.stringify(envelope);
      const secrets = await activeSecrets(db, secretBox, 'endpoint', row.endpoint_id);
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...signDelivery(secrets, row.event_id, timestamp, body),
      };

      const attemptNumber = row.attempt_count + 1;
      const started = new Date();
      const t0 = performance.now();
      let statusCode: number | null = null;
      let preview: string | null = null;
      let errorText: string | null = null;
      let retryAfterMs: number | undefined;
      let forbidden = false;
      try {
        const res = await sendWebhook(agent, row.url, headers, body, config.delivery.timeoutMs);
        statusCode = res.status;
        preview = res.bodyPreview;
        const asked = parseRetryAfter(res.retryAfter, Date.now());
        // Honour Retry-After, but a receiver cannot park a delivery beyond our longest backoff.
        retryAfterMs = asked === undefined ? undefined : Math.min(asked, config.delivery.maxIntervalMs);
      } catch (err) {
        const e = err as Error & { cause?: Error; code?: string };
        forbidden = e instanceof DestinationForbiddenError || e.cause instanceof DestinationForbiddenError;
        errorText = isTimeout(e) ? `timeout after ${config.delivery.timeoutMs} ms` : `${e.code ?? e.name}: ${e.cause?.message ?? e.message}`;
      }
      const durationMs = Math.round(performance.now() - t0);
      const ok = statusCode !== null && statusCode >= 200 && statusCode < 300;
      metrics.attemptLatency.observe(durationMs / 1000);
      metrics.deliveriesTotal.inc({ outcome: ok ? 'success' : 'failure', status_class: statusClass(statusCode) });

      // The attempt, the delivery's new state and (on success) the endpoint's recovery in ONE
      // statement: atomic, and one round trip on the hot path instead of five.
      const closeCircuit = ok && (row.circuit_state !== 'closed' || probe);
      const recovered = afterSuccess();
      await sql`
        with attempt as (
          insert into delivery_attempts (delivery_id, attempt_number, started_at, duration_ms, status_code, response_body, error)
          values (${deliveryId}, ${attemptNumber}, ${started}, ${durationMs}, ${statusCode}, ${preview}, ${errorText})
          returning 1
        ),
        delivery as (
          update deliveries set
            attempt_count = ${attemptNumber},
            status = ${ok ? 'delivered' : 'delivering'},
            last_status_code = ${statusCode},
            last_error = ${errorText},
            last_response_body = ${preview},
            updated_at = now(),
            delivered_at = case when ${ok} then now() else delivered_at end
          where id = ${deliveryId}
          returning 1
        ),
        endpoint as (
          -- A success resets the failure streak even while the circuit stayed closed.
          update endpoints set
            consecutive_failures = ${recovered.consecutiveFailures},
            failing_since = null,
            circuit_state = case when ${closeCircuit} then ${recovered.state} else circuit_state end,
            circuit_opened_at = case when ${closeCircuit} then null else circuit_opened_at end
          where id = ${row.endpoint_id} and ${ok} and (consecutive_failures > 0 or ${closeCircuit})
          returning 1
        )
        select (select count(*) from attempt) as attempts, (select count(*) from delivery) as deliveries, (select count(*) from endpoint) as endpoints
      `.execute(db);
      if (ok) {
        // The endpoint's recovery is in the statement above.
      } else if (!forbidden && (statusCode === null || isRetryableStatus(statusCode))) {
        // Only "the endpoint is unwell" counts towards the circuit: a 400 is a healthy endpoint
        // rejecting one payload, and opening the circuit for it would delay everyone else.
        await recordFailure(row.endpoint_id, probe);
      } else if (probe) {
        // A probe answered with a permanent 4xx still proves the endpoint is reachable.
        await db
          .updateTable('endpoints')
          .set({ circuit_state: 'closed', consecutive_failures: 0, circuit_opened_at: null, failing_since: null })
          .where('id', '=', row.endpoint_id)
          .execute();
      }

      const log = {
        delivery_id: deliveryId,
        event_id: row.event_id,
        tenant_id: row.tenant_id,
        endpoint_id: row.endpoint_id,
        event_type: row.event_type,
        attempt: attemptNumber,
        activity_attempt: Context.current().info.attempt,
        status_code: statusCode,
        latency_ms: durationMs,
      };
      if (ok) {
        logger.info({ ...log, outcome: 'delivered' }, 'delivery succeeded');
        return { outcome: 'delivered', attempt: attemptNumber, statusCode: statusCode! };
      }
      logger.warn({ ...log, outcome: 'attempt_failed', error: errorText }, 'delivery attempt failed');

      // retry_after_ms reaches the workflow: failure details survive conversion, nextRetryDelay does not.
      const detail = { attempt: attemptNumber, status_code: statusCode, error: errorText, retry_after_ms: retryAfterMs ?? null };
      if (forbidden) throw permanentFailure(FailureType.DestinationForbidden, errorText ?? 'destination forbidden', detail);
      if (statusCode === null) throw retryableFailure(FailureType.DeliveryNetworkError, errorText ?? 'network error', detail);
      if (!isRetryableStatus(statusCode)) {
        throw permanentFailure(FailureType.DeliveryRejected, `endpoint answered ${statusCode}`, detail);
      }
      throw retryableFailure(FailureType.DeliveryHttpError, `endpoint answered ${statusCode}`, detail, retryAfterMs);
    },

    /**
     * The event workflow's first attempt as a local activity: the same attempt as deliverWebhook,
     * made inside the workflow task. That task (and its worker slot) stays open for the whole
     * POST, so hanging endpoints could hold every slot and stall all other workflows on this
     * worker; at most DELIVERY_INLINE_ATTEMPTS run at once, and beyond that this answers
     * `deferred` at once, without sending, and the workflow makes the attempt as a task-queue
     * activity instead.
     */
    async deliverWebhookInline(input: DeliverInput): Promise<InlineDeliverResult> {
      if (inlineInFlight >= config.delivery.inlineAttempts) {
        metrics.firstAttempts.inc({ mode: 'deferred' });
        return { outcome: 'deferred' };
      }
      metrics.firstAttempts.inc({ mode: 'inline' });
      inlineInFlight++;
      try {
        return await activities.deliverWebhook(input);
      } finally {
        inlineInFlight--;
      }
    },

    /** Exhausted or permanently failed: park the delivery until someone redrives it. */
    async markDeadLettered(input: { deliveryId: string; reason: string }): Promise<void> {
      await db
        .updateTable('deliveries')
        .set({ status: 'dead_lettered', dead_letter_reason: input.reason, updated_at: sql`now()` })
        .where('id', '=', input.deliveryId)
        .where('status', '!=', 'delivered')
        .execute();
      metrics.deadLettered.inc();
      logger.warn({ delivery_id: input.deliveryId, reason: input.reason, outcome: 'dead_lettered' }, 'delivery dead-lettered');
    },
  };
  return activities;
}
