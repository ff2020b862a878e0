import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { eventTypeInfo } from '../../domain/eventTypes';
import { dedupeCallId, InboundEventSchema } from '../../domain/inboundEvent';
import { eventWorkflowId } from '../../domain/workflowIds';
import { AppError, NotFoundError, OverloadedError, RateLimitedError, UnauthorizedError, UnavailableError } from '../../errors';
import { PartnerId } from '../../idSchemas';
import { EventWriteBatcher } from '../../ingest/eventWriteBatcher';
import type { PersistResult } from '../../ingest/persistEvent';
import { TokenBuckets } from '../../ingest/tokenBucket';
import { verifyInbound } from '../../signing/verifyInbound';
import { assertJsonContentType } from '../body/jsonContentType';
import { readRawBody } from '../body/rawBody';
import { parseStrictJson } from '../body/strictJson';
import type { AppContext } from '../context';
import { registerOperation } from '../openapi';
import { parseOrThrow, parsePathOrThrow } from '../route';

export const IngestAcceptedSchema = z
  .object({
    event_id: z.string(),
    workflow_id: z.string(),
    duplicate: z.boolean(),
  })
  .meta({ id: 'IngestAccepted' });

const IngestPath = z.object({ partner_id: PartnerId });

/** Headers never stored with a receipt: credentials, not evidence. */
const DROPPED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);

function receiptHeaders(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || DROPPED_HEADERS.has(k)) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** What ingest needs of the outbox: whether to shed, and to say a new event was committed. */
export interface IngestOutbox {
  overloaded(): boolean;
  committed(): void;
}

export function ingestRoutes(router: Router, ctx: AppContext, outbox: IngestOutbox): void {
  const { config, db, logger, metrics } = ctx;
  const secrets = ctx.partnerSecrets;
  const buckets = new TokenBuckets(config.ingest.ratePerSecond, config.ingest.rateBurst);
  const writer = new EventWriteBatcher(db, {
    concurrency: config.ingest.writeConcurrency,
    maxBatch: config.ingest.writeMaxBatch,
    onBatch: (size) => metrics.ingestWriteBatchSize.observe(size),
  });

  registerOperation({
    method: 'post',
    path: '/v1/webhooks/{partner_id}',
    summary: 'Receive a partner call event (signed with the partner inbound secret)',
    description:
      'The body is `application/json` (UTF-8); it is verified over its exact bytes, so it may not repeat an object key ' +
      '(parsers disagree on which one wins): 422 naming the key. Signed with either the Standard Webhooks headers or `x-signature`.',
    tag: 'Ingest',
    auth: 'signature',
    params: IngestPath,
    body: InboundEventSchema,
    bodyLimitBytes: config.ingest.maxBodyBytes,
    extraHeaders: [
      { name: 'webhook-id', description: 'Standard Webhooks message id' },
      { name: 'webhook-timestamp', description: 'Unix seconds; must be within the tolerance (5 min)' },
      { name: 'webhook-signature', description: 'v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">' },
      { name: 'x-signature', description: 'Alternative: sha256=<hex HMAC-SHA256 of the body>' },
    ],
    responses: {
      202: { description: 'Persisted (in the outbox); a relay starts its workflow right after', schema: IngestAcceptedSchema },
      200: { description: 'Duplicate of an event already received; nothing new started', schema: IngestAcceptedSchema },
      400: { description: 'Body is not UTF-8 JSON, or a path segment that is not valid percent-encoding' },
      401: { description: 'Missing or invalid signature, or a timestamp outside the tolerance' },
      404: { description: 'Unknown partner, or a partner id that cannot name one (never retried: nothing was stored)' },
      413: { description: `Body larger than INGEST_MAX_BODY_BYTES (${config.ingest.maxBodyBytes} bytes)` },
      415: { description: 'Body is not application/json (UTF-8)' },
      422: { description: 'Body does not match the event schema, nests too deep, or repeats an object key' },
      429: { description: 'Partner over its rate limit; see Retry-After' },
      503: { description: 'Overloaded (non-terminal events shed) or database unavailable; see Retry-After' },
    },
  });

  router.post('/v1/webhooks/:partner_id', async (req: Request, res: Response) => {
    const started = performance.now();
    const sourceIp = req.ip ?? null;
    // Grows as the request is understood; the one log line per receipt carries whatever is known.
    const line: Record<string, unknown> = { partner_id: String(req.params['partner_id']).slice(0, 100), source_ip: sourceIp };
    const finish = (outcome: Outcome, status: number) => {
      const latency = (performance.now() - started) / 1000;
      metrics.ingestTotal.inc({ outcome });
      metrics.ingestLatency.observe({ outcome }, latency);
      const entry = { ...line, outcome, status, latency_ms: Math.round(latency * 1000) };
      if (outcome === 'accepted' || outcome === 'duplicate') logger.info(entry, 'webhook received');
      else if (outcome === 'unavailable') logger.error(entry, 'webhook not persisted');
      else logger.warn(entry, 'webhook refused');
    };

    try {
      // Checks that need no I/O first: an id that cannot name a partner (NUL bytes, wrong form)
      // is a 404 as final as an unknown partner, never the 503 a database error would be.
      const partnerId = labelled(line, 'invalid_partner_id', () => parsePathOrThrow(IngestPath, req.params).partner_id);
      labelled(line, 'unsupported_media_type', () => assertJsonContentType(req.headers));
      const body = await readRawBody(req, config.ingest.maxBodyBytes);
      let partner = await secrets.get(partnerId);
      if (!partner.exists) {
        line['reason'] = 'unknown_partner';
        throw new NotFoundError('partner');
      }

      const headers = {
        'webhook-id': header(req, 'webhook-id'),
        'webhook-timestamp': header(req, 'webhook-timestamp'),
        'webhook-signature': header(req, 'webhook-signature'),
        'x-signature': header(req, 'x-signature'),
      };
      let verdict = verifyInbound(partner.secrets, headers, body, Date.now(), config.ingest.signatureToleranceMs);
      if (!verdict.ok && verdict.code === 'signature_mismatch') {
        partner = await secrets.get(partnerId, true); // maybe the secret was just rotated
        verdict = verifyInbound(partner.secrets, headers, body, Date.now(), config.ingest.signatureToleranceMs);
      }
      if (!verdict.ok) {
        line['reason'] = verdict.code;
        metrics.signatureRejections.inc({ reason: verdict.code });
        throw new UnauthorizedError(verdict.reason, 'invalid_signature');
      }
      if (verdict.webhookId) line['webhook_id'] = verdict.webhookId;

      // After verification, so unsigned junk cannot spend a partner's budget.
      const wait = buckets.take(partnerId, Date.now());
      if (wait > 0) throw new RateLimitedError(wait);

      // One strict reading: UTF-8, JSON, nesting depth and repeated keys (each its own reason).
      const json = labelled(line, (err) => (err as { reason?: string }).reason, () => parseStrictJson(body));
      const { text } = json;
      const event = parseOrThrow(InboundEventSchema, json.value, 'event');
      const info = eventTypeInfo(event.event)!;
      const callId = dedupeCallId(event);
      const workflowId = eventWorkflowId(partnerId, callId, event.event);
      Object.assign(line, { event_type: event.event, call_id: callId, workflow_id: workflowId, tenant_id: event.tenant_id });

      // Under overload shed what can wait; terminal events (call.ended/failed) are always taken.
      if (!info.terminal && outbox.overloaded()) {
        throw new OverloadedError('ingest is shedding non-terminal events; retry later', 5);
      }

      let result: PersistResult;
      const persistStarted = performance.now();
      try {
        result = await writer.persist({
          partnerId,
          callId,
          eventType: event.event,
          terminal: info.terminal,
          tenantId: event.tenant_id ?? null,
          voiceSessionId: event.voice_session_id ?? null,
          occurredAt: event.occurred_at,
          payload: json.value,
          payloadJson: text,
          workflowId,
          source: 'partner',
          receipt: { sourceIp, headers: receiptHeaders(req), body: text },
        });
      } catch (err) {
        if (err instanceof AppError) throw err;
        // Not committed, whatever the cause (Postgres down, pool exhausted, a bug): the partner
        // must retry, so a 503 with Retry-After and never a 2xx. The cause is logged in full.
        logger.error({ err, partner_id: partnerId, workflow_id: workflowId }, 'could not persist inbound event');
        throw new UnavailableError('the event could not be stored; retry later', 5);
      }

      line['event_id'] = result.eventId;
      // The database's share of latency_ms (its statement and the wait for one): tells a slow
      // Postgres from a busy process.
      line['persist_ms'] = Math.round(performance.now() - persistStarted);
      res.status(result.duplicate ? 200 : 202).json({
        event_id: result.eventId,
        workflow_id: result.workflowId,
        duplicate: result.duplicate,
      });
      finish(result.duplicate ? 'duplicate' : 'accepted', result.duplicate ? 200 : 202);
      // The relays (in the workers) start the workflow; the handler never waits on Temporal.
      if (!result.duplicate) outbox.committed();
    } catch (caught) {
      // Anything not already typed happened before the commit (e.g. the partner lookup with
      // Postgres down): also a retryable 503.
      let err = caught;
      if (!(err instanceof AppError)) {
        logger.error({ err, partner_id: line['partner_id'] }, 'ingest failed before persisting');
        err = new UnavailableError('ingest is unavailable; retry later', 5);
      }
      const e = err as AppError;
      const outcome: Outcome =
        e instanceof RateLimitedError ? 'rate_limited'
        : e instanceof OverloadedError ? 'shed'
        : e.status >= 500 ? 'unavailable'
        : 'rejected';
      if (outcome === 'rejected') {
        const reason = (line['reason'] as string | undefined) ?? e.code;
        line['reason'] = reason;
        metrics.ingestRejections.inc({ reason });
      }
      line['message'] = e.message;
      finish(outcome, e.status);
      throw err;
    }
  });
}

/** Runs a check; if it refuses the request, its `reason` goes on the log line (and the metric). */
function labelled<T>(line: Record<string, unknown>, reason: string | ((err: unknown) => string | undefined), check: () => T): T {
  try {
    return check();
  } catch (err) {
    line['reason'] = typeof reason === 'string' ? reason : reason(err);
    throw err;
  }
}

/** accepted / duplicate (2xx), rejected (4xx: signature, body, schema), shed and rate_limited (load), unavailable (not stored). */
type Outcome = 'accepted' | 'duplicate' | 'rejected' | 'shed' | 'rate_limited' | 'unavailable';
