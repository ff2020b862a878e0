import { Context } from '@temporalio/activity';
import { sql } from 'kysely';
import type { Agent } from 'undici';
import { activeSecrets } from '../src/db/signingSecrets';
import { loadDeliveryAttempt, type DeliveryAttemptRow } from '../src/db/statements/loadDeliveryAttempt';
import { recordAttempt } from '../src/db/statements/recordAttempt';
import { classifyAttempt, statusClass, type AttemptOutcome, type SendReply } from '../src/domain/attemptOutcome';
import { buildEnvelope } from '../src/domain/deliveryEnvelope';
import { retryDelays } from '../src/domain/retrySchedule';
import { nextRetryDelayMs } from '../src/domain/retryJitter';
import { staticAuthHeaders, unsealDeliveryAuth } from '../src/delivery/deliveryAuth';
import { OAuth2TokenCache, type ClientCredentials } from '../src/delivery/oauth2Tokens';
import { describeSendError, sendWebhook, USER_AGENT } from '../src/net/webhookHttpClient';
import { signDelivery } from '../src/signing/signDelivery';
import { recordOperationalEvent } from '../src/operational/recordOperationalEvent';
import { activeTracing } from '../src/telemetry/tracing';
import type { ActivityDeps } from './deps';
import { endpointGate } from './endpointGate';
import { FailureType, permanentFailure, retryableFailure } from './failures';

/** A durable wait the workflow must take (with a timer) before trying again; costs no attempt. */
export type DeliverResult =
  | { outcome: 'delivered'; attempt: number; statusCode: number }
  | { outcome: 'wait'; reason: 'circuit_open' | 'rate_limited'; waitMs: number; attemptCount: number };

export interface DeliverInput {
  deliveryId: string;
}

/** `deferred`: this worker already has its quota of inline first attempts in flight; nothing was sent. */
export type InlineDeliverResult = DeliverResult | { outcome: 'deferred' };

/**
 * The attempt machinery one worker shares between the deliverWebhook activities and the event
 * workflow's fast path (routeAndDeliver): the stages below, and the bound on inline first attempts.
 */
export function deliveryAttempts(deps: ActivityDeps, agent: Agent) {
  const { config, metrics } = deps;
  const attemptDeps: AttemptDeps = {
    ...deps,
    agent,
    gates: endpointGate(deps),
    tokens: new OAuth2TokenCache(agent, config.allowPrivateNetwork, config.delivery.timeoutMs),
    // The global schedule as a list (delays before attempts 2..50), indexed like an endpoint's own.
    defaultDelaysMs: retryDelays({ ...config.delivery, maxAttempts: 50 }),
  };
  /** Inline first attempts running in this process (see deliverWebhookInline). */
  let inlineInFlight = 0;
  /** One attempt's stages: gates → sign → send → classify → record → report. */
  async function attemptStages(delivery: DeliveryAttemptRow, opts: AttemptOptions): Promise<DeliverResult & { settled?: boolean }> {
    const gate = await passGates(attemptDeps, delivery);
    if (gate.outcome === 'wait') return gate;
    const request = await sign(attemptDeps, delivery, opts.sealedSecrets);
    const sent = await send(attemptDeps, delivery, request);
    const outcome = classifyAttempt(sent.reply, { timeoutMs: config.delivery.timeoutMs, maxIntervalMs: config.delivery.maxIntervalMs });
    const { settled } = await record(attemptDeps, delivery, request.shownHeaders, sent, outcome, gate.probe, opts.settleEventId);
    return { ...report(attemptDeps, delivery, sent, outcome), settled };
  }
  return {
    /**
     * One attempt of a loaded delivery (a span of its own when tracing is on). Throws
     * retryable / non-retryable ApplicationFailures; returns `wait` when the circuit or rate limit
     * says "not now". `sealedSecrets` (already loaded with the delivery) saves a round trip;
     * `settleEventId` settles the event in the attempt's own statement when this was its last delivery.
     */
    async attempt(delivery: DeliveryAttemptRow, opts: AttemptOptions = {}): Promise<DeliverResult & { settled?: boolean }> {
      if (delivery.status === 'delivered') return alreadyDelivered(delivery);
      const tracing = activeTracing();
      const run = () => attemptStages(delivery, opts);
      return tracing ? tracing.inDeliveryAttempt(attemptSpanAttributes(delivery), run) : run();
    },

    /** The worker's OAuth2 token cache (tests read how often it fetched). */
    tokens: attemptDeps.tokens,

    /**
     * Runs `inline` if this worker is under DELIVERY_INLINE_ATTEMPTS inline first attempts, else
     * answers `deferred` at once without sending. An inline attempt keeps its workflow task (and
     * worker slot) open for the whole POST, so hanging endpoints could otherwise hold every slot.
     */
    async inline<T>(inline: () => Promise<T>): Promise<T | { outcome: 'deferred' }> {
      if (inlineInFlight >= config.delivery.inlineAttempts) {
        metrics.firstAttempts.inc({ mode: 'deferred' });
        return { outcome: 'deferred' };
      }
      metrics.firstAttempts.inc({ mode: 'inline' });
      inlineInFlight++;
      try {
        return await inline();
      } finally {
        inlineInFlight--;
      }
    },
  };
}

export type DeliveryAttempts = ReturnType<typeof deliveryAttempts>;

interface AttemptOptions {
  sealedSecrets?: string[];
  settleEventId?: string;
}

/** What a delivery attempt's span says (ids only: never the URL's credentials or the payload). */
function attemptSpanAttributes(d: DeliveryAttemptRow): Record<string, string | number> {
  return { 'switchboard.delivery_id': d.id, 'switchboard.endpoint_id': d.endpoint_id, 'switchboard.attempt': d.attempt_count + 1 };
}

export function deliverWebhookActivities(deps: ActivityDeps, attempts: DeliveryAttempts) {
  const { db, logger, metrics } = deps;

  const activities = {
    /**
     * One delivery attempt. Throws retryable / non-retryable ApplicationFailures for the retry
     * policy; returns `wait` when the circuit or rate limit says "not now" (a durable timer in the
     * workflow, which burns no attempt).
     */
    async deliverWebhook({ deliveryId }: DeliverInput): Promise<DeliverResult> {
      const { settled: _, ...result } = await attempts.attempt(await load(db, deliveryId));
      return result;
    },

    /**
     * The event workflow's first attempt as a local activity (workflows started before the
     * route-and-deliver fast path): the same attempt as deliverWebhook, made inside the workflow
     * task, within the worker's bound on inline attempts (deliveryAttempts.inline).
     */
    async deliverWebhookInline(input: DeliverInput): Promise<InlineDeliverResult> {
      return attempts.inline(() => activities.deliverWebhook(input));
    },

    /** Exhausted or permanently failed: park the delivery until someone redrives it. */
    async markDeadLettered(input: { deliveryId: string; reason: string }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const parked = await trx
          .updateTable('deliveries')
          .set({ status: 'dead_lettered', dead_letter_reason: input.reason, updated_at: sql`now()` })
          .where('id', '=', input.deliveryId)
          .where('status', '!=', 'delivered')
          .returning(['partner_id', 'tenant_id', 'event_id', 'endpoint_id'])
          .executeTakeFirst();
        if (parked) {
          const detail = { delivery_id: input.deliveryId, event_id: parked.event_id, endpoint_id: parked.endpoint_id, reason: input.reason };
          await recordOperationalEvent(trx, { type: 'delivery.dead_lettered', partnerId: parked.partner_id, tenantId: parked.tenant_id, detail });
        }
      });
      metrics.deadLettered.inc();
      logger.warn({ delivery_id: input.deliveryId, reason: input.reason, outcome: 'dead_lettered' }, 'delivery dead-lettered');
    },
  };
  return activities;
}

/* The stages of one attempt, in order: (load) → gates → sign → send → (classify) → record → report. */

interface AttemptDeps extends ActivityDeps {
  agent: Agent;
  gates: ReturnType<typeof endpointGate>;
  tokens: OAuth2TokenCache;
  defaultDelaysMs: number[];
}

type Wait = Extract<DeliverResult, { outcome: 'wait' }>;

/** What the payload inspector shows for a credential's value. */
const REDACTED = '[redacted]';

interface SignedRequest {
  headers: Record<string, string>;
  /**
   * The headers as the payload inspector shows them (GET /v1/events/{id}): Switchboard's own in
   * full (the signatures are the tenant's to check), the endpoint's custom and auth headers by
   * name only, their values redacted.
   */
  shownHeaders: Record<string, string>;
  body: string;
  /** The endpoint wants an OAuth2 bearer token, fetched (or reused) at send time. */
  oauth2?: { cacheKey: string; credentials: ClientCredentials };
}

interface SentAttempt {
  startedAt: Date;
  durationMs: number;
  reply: SendReply;
}

/** load: the delivery, its endpoint and its event. A delivery that is gone fails for good. */
async function load(db: ActivityDeps['db'], deliveryId: string): Promise<DeliveryAttemptRow> {
  const delivery = await loadDeliveryAttempt(db, deliveryId);
  if (!delivery) throw permanentFailure(FailureType.NotFound, `delivery ${deliveryId} not found`);
  return delivery;
}

/**
 * Already delivered (an earlier attempt succeeded but its completion never reached the workflow):
 * nothing is sent again. No attempt was made here, so there is no status code to report: 0.
 */
function alreadyDelivered(delivery: DeliveryAttemptRow): DeliverResult {
  return { outcome: 'delivered', attempt: delivery.attempt_count, statusCode: 0 };
}

/**
 * gates: the endpoint still takes deliveries (else a permanent failure), its circuit lets this
 * attempt through (perhaps as the half-open probe), and its rate limit has room. A closed gate is
 * a `wait`, not a failure.
 */
async function passGates({ db, gates }: AttemptDeps, d: DeliveryAttemptRow): Promise<{ outcome: 'go'; probe: boolean } | Wait> {
  if (d.deleted_at) throw permanentFailure(FailureType.EndpointGone, 'endpoint was deleted');
  if (!d.enabled) throw permanentFailure(FailureType.EndpointGone, 'endpoint is disabled');
  let probe = false;
  if (d.circuit_state !== 'closed') {
    const circuit = await gates.passGate(d.endpoint_id);
    if (!circuit.allow) {
      await db
        .updateTable('deliveries')
        .set({ status: 'waiting_circuit', updated_at: sql`now()` })
        .where('id', '=', d.id)
        .where('status', 'in', ['pending', 'delivering'])
        .execute();
      return { outcome: 'wait', reason: 'circuit_open', waitMs: circuit.waitMs, attemptCount: d.attempt_count };
    }
    probe = circuit.probe;
  }
  const rateWaitMs = await gates.rateGate(d.endpoint_id, d.rate_limit_per_second);
  if (rateWaitMs > 0) return { outcome: 'wait', reason: 'rate_limited', waitMs: rateWaitMs, attemptCount: d.attempt_count };
  return { outcome: 'go', probe };
}

/**
 * sign: the envelope, signed with every active secret of the endpoint (rotation overlap), read
 * now unless they came sealed with the delivery; then the endpoint's custom headers and auth
 * (unsealed here, never logged). Switchboard's own headers come last: the names a tenant may not
 * set were refused on write, and this order keeps that true even for a row written otherwise.
 */
async function sign({ db, secretBox }: AttemptDeps, d: DeliveryAttemptRow, sealed?: string[]): Promise<SignedRequest> {
  const body = JSON.stringify(buildEnvelope({ ...d, id: d.event_id, tenant_id: d.tenant_id }));
  const secrets = sealed ? sealed.map((s) => secretBox.decrypt(s)) : await activeSecrets(db, secretBox, 'endpoint', d.endpoint_id);
  const timestamp = Math.floor(Date.now() / 1000);
  const options = unsealDeliveryAuth(secretBox, d.delivery_auth_sealed);
  const custom = Object.fromEntries(Object.entries(options.headers).map(([k, v]) => [k.toLowerCase(), v]));
  const endpointOwn = { ...custom, ...staticAuthHeaders(options.auth) };
  const switchboardOwn = { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...signDelivery(secrets, d.event_id, timestamp, body) };
  const redacted = Object.fromEntries(Object.keys(endpointOwn).map((k) => [k, REDACTED]));
  return {
    headers: { ...endpointOwn, ...switchboardOwn },
    shownHeaders: { ...redacted, ...(options.auth?.type === 'oauth2_client_credentials' ? { authorization: `Bearer ${REDACTED}` } : {}), ...switchboardOwn },
    body,
    oauth2:
      options.auth?.type === 'oauth2_client_credentials'
        ? { cacheKey: OAuth2TokenCache.keyFor(d.endpoint_id, d.delivery_auth_sealed!), credentials: options.auth }
        : undefined,
  };
}

/**
 * send: one POST (with an OAuth2 endpoint: its token first, and after a 401 one fresh token and
 * one more POST, as the same attempt). Whatever happens (answer, network error, timeout, refusal,
 * a failed token request) is a reply to classify.
 */
async function send(deps: AttemptDeps, d: DeliveryAttemptRow, request: SignedRequest): Promise<SentAttempt> {
  const startedAt = new Date();
  const t0 = performance.now();
  let reply: SendReply;
  try {
    reply = await postOnce(deps, d.url, request);
    if (request.oauth2 && reply.kind === 'answered' && reply.status === 401) {
      deps.tokens.invalidate(request.oauth2.cacheKey, request.headers['authorization']!.slice('Bearer '.length));
      reply = await postOnce(deps, d.url, request);
    }
  } catch (err) {
    reply = { kind: 'unanswered', error: describeSendError(err) };
  }
  return { startedAt, durationMs: Math.round(performance.now() - t0), reply };
}

async function postOnce({ agent, config, tokens }: AttemptDeps, url: string, request: SignedRequest): Promise<SendReply> {
  if (request.oauth2) request.headers['authorization'] = `Bearer ${await tokens.token(request.oauth2.cacheKey, request.oauth2.credentials)}`;
  // Tracing on: the receiver can join the attempt's trace (W3C Trace Context).
  const traceparent = activeTracing()?.currentTraceparent();
  const headers = traceparent ? { ...request.headers, traceparent } : request.headers;
  const res = await sendWebhook(agent, url, headers, request.body, config.delivery.timeoutMs);
  return { kind: 'answered', status: res.status, retryAfter: res.retryAfter, bodyPreview: res.bodyPreview, answeredAtMs: Date.now() };
}

/**
 * record: the attempt and the delivery's new state (one statement, with the endpoint's recovery
 * on success), then what the attempt says about the endpoint's health.
 */
async function record(
  { db, metrics, gates }: AttemptDeps,
  d: DeliveryAttemptRow,
  requestHeaders: Record<string, string>,
  sent: SentAttempt,
  outcome: AttemptOutcome,
  probe: boolean,
  settleEventId?: string,
): Promise<{ settled: boolean }> {
  const delivered = outcome.verdict === 'delivered';
  metrics.attemptLatency.observe(sent.durationMs / 1000);
  metrics.deliveriesTotal.inc({ outcome: delivered ? 'success' : 'failure', status_class: statusClass(outcome.statusCode) });
  const recorded = await recordAttempt(db, {
    deliveryId: d.id,
    endpointId: d.endpoint_id,
    attemptNumber: d.attempt_count + 1,
    startedAt: sent.startedAt,
    durationMs: sent.durationMs,
    statusCode: outcome.statusCode,
    responseBody: sent.reply.kind === 'answered' ? sent.reply.bodyPreview : null,
    requestHeaders,
    error: delivered ? null : outcome.error,
    delivered,
    closeCircuit: delivered && (d.circuit_state !== 'closed' || probe),
    settleEventId,
  });
  // Only "the endpoint is unwell" (a retry) counts towards the circuit: a 400 is a healthy
  // endpoint rejecting one payload, and opening the circuit for it would delay everyone else.
  // 410 Gone: the receiver says it wants no more (Standard Webhooks: disable the endpoint).
  if (outcome.statusCode === 410) await gates.disableGone(d.endpoint_id);
  if (outcome.verdict === 'retry') await gates.recordFailure(d.endpoint_id, probe);
  else if (outcome.verdict === 'permanent' && probe) await gates.closeAfterProbe(d.endpoint_id);
  return recorded;
}

/** report: log the attempt, then return the delivery or raise the failure the outcome names. */
function report({ logger, defaultDelaysMs }: AttemptDeps, d: DeliveryAttemptRow, sent: SentAttempt, outcome: AttemptOutcome): DeliverResult {
  const attemptNumber = d.attempt_count + 1;
  const log = {
    delivery_id: d.id,
    event_id: d.event_id,
    tenant_id: d.tenant_id,
    endpoint_id: d.endpoint_id,
    event_type: d.event_type,
    attempt: attemptNumber,
    activity_attempt: Context.current().info.attempt,
    status_code: outcome.statusCode,
    latency_ms: sent.durationMs,
  };
  if (outcome.verdict === 'delivered') {
    logger.info({ ...log, outcome: 'delivered' }, 'delivery succeeded');
    return { outcome: 'delivered', attempt: attemptNumber, statusCode: outcome.statusCode };
  }
  logger.warn({ ...log, outcome: 'attempt_failed', error: outcome.error }, 'delivery attempt failed');
  if (outcome.verdict === 'permanent') {
    throw permanentFailure(outcome.failureType, outcome.message, { attempt: attemptNumber, status_code: outcome.statusCode, error: outcome.error, retry_after_ms: null });
  }
  // The next delay: the receiver's Retry-After as it asked, else the endpoint's schedule (or the
  // global one) with deterministic jitter. It reaches the workflow twice: as nextRetryDelay for
  // the retry policy, and as retry_after_ms in the details (failure details survive conversion,
  // nextRetryDelay does not) for the event workflow's hand-over sleep.
  const delaysMs = d.retry_schedule_seconds ? d.retry_schedule_seconds.map((s) => s * 1000) : defaultDelaysMs;
  const nextDelayMs = outcome.retryAfterMs ?? nextRetryDelayMs(delaysMs, attemptNumber - d.retry_attempt_base, d.id);
  const detail = { attempt: attemptNumber, status_code: outcome.statusCode, error: outcome.error, retry_after_ms: nextDelayMs ?? null };
  throw retryableFailure(outcome.failureType, outcome.message, detail, nextDelayMs);
}
