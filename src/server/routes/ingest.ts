import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { eventTypeInfo } from '../../domain/eventTypes';
import { dedupeCallId, eventWorkflowId, InboundEventSchema } from '../../domain/inboundEvent';
import { AppError, NotFoundError, OverloadedError, RateLimitedError, UnauthorizedError } from '../../errors';
import { PartnerSecretCache } from '../../ingest/partnerSecrets';
import { persistEvent } from '../../ingest/persistEvent';
import { TokenBuckets } from '../../ingest/tokenBucket';
import type { WorkflowStarter } from '../../ingest/workflowStarter';
import { verifyInbound } from '../../signing/verifyInbound';
import type { AppContext } from '../context';
import { registerOperation } from '../openapi';
import { parseOrThrow } from '../route';

export const IngestAcceptedSchema = z
  .object({
    event_id: z.string(),
    workflow_id: z.string(),
    duplicate: z.boolean(),
  })
  .meta({ id: 'IngestAccepted' });

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

export function ingestRoutes(router: Router, ctx: AppContext, starter: WorkflowStarter): void {
  const { config, db, logger, metrics } = ctx;
  const secrets = new PartnerSecretCache(db, ctx.secretBox);
  const buckets = new TokenBuckets(config.ingest.ratePerSecond, config.ingest.rateBurst);

  registerOperation({
    method: 'post',
    path: '/v1/webhooks/{partner_id}',
    summary: 'Receive a partner call event (signed with the partner inbound secret)',
    tag: 'Ingest',
    auth: 'signature',
    body: InboundEventSchema,
    extraHeaders: [
      { name: 'webhook-id', description: 'Standard Webhooks message id' },
      { name: 'webhook-timestamp', description: 'Unix seconds; must be within the tolerance (5 min)' },
      { name: 'webhook-signature', description: 'v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">' },
      { name: 'x-signature', description: 'Alternative: sha256=<hex HMAC-SHA256 of the body>' },
    ],
    responses: {
      202: { description: 'Persisted; its workflow is started (or queued in the outbox)', schema: IngestAcceptedSchema },
      200: { description: 'Duplicate of an event already received; nothing new started', schema: IngestAcceptedSchema },
      401: { description: 'Missing or invalid signature' },
      413: { description: 'Body larger than the limit (1 MiB by default)' },
      422: { description: 'Body does not match the event schema' },
      429: { description: 'Partner over its rate limit; see Retry-After' },
      503: { description: 'Overloaded (non-terminal events shed) or database unavailable; see Retry-After' },
    },
  });

  const rawBody = express.raw({ type: () => true, limit: config.ingest.maxBodyBytes });

  router.post('/v1/webhooks/:partner_id', rawBody, async (req: Request, res: Response) => {
    const started = performance.now();
    const partnerId = String(req.params['partner_id']);
    const sourceIp = req.ip ?? null;
    const base = { partner_id: partnerId, source_ip: sourceIp };
    const finish = (outcome: string, extra: Record<string, unknown> = {}) => {
      const latency = (performance.now() - started) / 1000;
      metrics.ingestTotal.inc({ outcome });
      metrics.ingestLatency.observe({ outcome }, latency);
      const line = { ...base, ...extra, outcome, latency_ms: Math.round(latency * 1000) };
      if (outcome === 'accepted' || outcome === 'duplicate') logger.info(line, 'webhook received');
      else logger.warn(line, 'webhook refused');
    };

    try {
      const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let partner = await secrets.get(partnerId);
      if (!partner.exists) throw new NotFoundError('partner');

      const wait = buckets.take(partnerId, Date.now());
      if (wait > 0) throw new RateLimitedError(wait);

      const headers = {
        'webhook-id': header(req, 'webhook-id'),
        'webhook-timestamp': header(req, 'webhook-timestamp'),
        'webhook-signature': header(req, 'webhook-signature'),
        'x-signature': header(req, 'x-signature'),
      };
      let verdict = verifyInbound(partner.secrets, headers, body, Date.now(), config.ingest.signatureToleranceMs);
      if (!verdict.ok && !verdict.reason.includes('missing') && !verdict.reason.includes('tolerance')) {
        partner = await secrets.get(partnerId, true); // maybe the secret was just rotated
        verdict = verifyInbound(partner.secrets, headers, body, Date.now(), config.ingest.signatureToleranceMs);
      }
      if (!verdict.ok) {
        metrics.signatureRejections.inc({ reason: verdict.reason.split(':')[0]! });
        throw new UnauthorizedError(verdict.reason, 'invalid_signature');
      }

      let json: unknown;
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        throw new AppError('invalid_json', 400, 'request body is not valid JSON');
      }
      const event = parseOrThrow(InboundEventSchema, json, 'event');
      const info = eventTypeInfo(event.event)!;
      const callId = dedupeCallId(event);
      const workflowId = eventWorkflowId(partnerId, callId, event.event);
      Object.assign(base, { event_type: event.event, call_id: callId, workflow_id: workflowId, tenant_id: event.tenant_id });

      // Under overload shed what can wait; terminal events (call.ended/failed) are always taken.
      if (!info.terminal && starter.overloaded()) {
        throw new OverloadedError('ingest is shedding non-terminal events; retry later', 5);
      }

      const result = await persistEvent(db, {
        partnerId,
        callId,
        eventType: event.event,
        terminal: info.terminal,
        tenantId: event.tenant_id ?? null,
        voiceSessionId: event.voice_session_id ?? null,
        occurredAt: event.occurred_at,
        payload: json,
        workflowId,
        source: 'partner',
        receipt: { sourceIp, headers: receiptHeaders(req), body: body.toString('utf8') },
      });

      res.status(result.duplicate ? 200 : 202).json({
        event_id: result.eventId,
        workflow_id: result.workflowId,
        duplicate: result.duplicate,
      });
      finish(result.duplicate ? 'duplicate' : 'accepted', { event_id: result.eventId });
      if (!result.duplicate) {
        starter.startSoon({
          id: result.eventId,
          partner_id: partnerId,
          call_id: callId,
          event_type: event.event,
          terminal: info.terminal,
          workflow_id: workflowId,
        });
      }
    } catch (err) {
      const outcome =
        err instanceof RateLimitedError ? 'rate_limited'
        : err instanceof OverloadedError ? 'shed'
        : err instanceof AppError && err.status === 401 ? 'rejected'
        : err instanceof AppError && err.status < 500 ? 'invalid'
        : 'unavailable';
      finish(outcome, { reason: (err as Error).message });
      throw err;
    }
  });
}
