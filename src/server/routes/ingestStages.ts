import type { Request } from 'express';
import { z } from 'zod';
import { eventTypeInfo, type EventTypeInfo } from '../../domain/eventTypes';
import { dedupeCallId, InboundEventSchema, type InboundEvent } from '../../domain/inboundEvent';
import { eventWorkflowId } from '../../domain/workflowIds';
import { AppError, OverloadedError, RateLimitedError, UnavailableError } from '../../errors';
import { PartnerId } from '../../idSchemas';
import { EventWriteBatcher } from '../../ingest/eventWriteBatcher';
import { persistEvents, type PersistResult } from '../../ingest/persistEvent';
import { TokenBuckets } from '../../ingest/tokenBucket';
import { verifyInbound } from '../../signing/verifyInbound';
import { assertJsonContentType } from '../body/jsonContentType';
import { readRawBody } from '../body/rawBody';
import { parseStrictJson } from '../body/strictJson';
import type { AppContext } from '../context';
import { parseOrThrow, parsePathOrThrow } from '../route';
import { InvalidSignatureError, UnknownPartnerError } from './ingestRefusals';
import type { ReceiptLine } from './ingestReceiptLog';
import { activeTracing } from '../../telemetry/tracing';

export const IngestPath = z.object({ partner_id: PartnerId });

/** What ingest needs of the outbox: whether to shed, and to say a new event was committed. */
export interface IngestOutbox {
  overloaded(): boolean;
  committed(): void;
}

/** A request that passed every check: the event, read once, and what it is stored under. */
export interface AdmittedEvent {
  partnerId: string;
  event: InboundEvent;
  info: EventTypeInfo;
  callId: string;
  workflowId: string;
  value: unknown;
  text: string;
  /** The body as received, when it is not `text` (a source's mapped event: the partner's own format). */
  receiptBody?: string;
  /** The headers to keep, when a source drops more than the default (its own credential header). */
  receiptHeaders?: Record<string, string>;
  /** The inbound source it came through; absent: the default route. */
  sourceId?: string;
}

/** The names a valid event is stored and deduplicated under (the default route and sources alike). */
export function admittedEvent(partnerId: string, event: InboundEvent, value: unknown, text: string): AdmittedEvent {
  const callId = dedupeCallId(event);
  const info = eventTypeInfo(event.event)!;
  return { partnerId, event, info, callId, workflowId: eventWorkflowId(partnerId, callId, event.event), value, text };
}

/** Headers never stored with a receipt: credentials, not evidence. */
const DROPPED_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'x-api-key']);

export function receiptHeaders(req: Request): Record<string, string> {
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

/** Runs a check; if it refuses the request, its `reason` goes on the log line (and the metric). */
function labelled<T>(line: ReceiptLine, reason: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    line['reason'] = reason;
    throw err;
  }
}

/**
 * `POST /v1/webhooks/:partner_id` as the steps docs/ingest.md lists, in that order: the checks
 * that need no I/O, the body, the partner, its signature, its rate budget, the event, the load
 * gate, the commit. Each stage refuses with a typed `AppError`; what a stage learns goes on the
 * receipt's log line. The rate budget, the load gate and the commit are also a source's
 * (sourceIngestStages.ts): one token bucket per partner and one write path for both routes.
 */
export class IngestStages {
  private readonly buckets: TokenBuckets;
  private readonly writer: EventWriteBatcher;

  constructor(
    private readonly ctx: AppContext,
    private readonly outbox: IngestOutbox,
  ) {
    const { config, db, metrics } = ctx;
    this.buckets = new TokenBuckets(config.ingest.ratePerSecond, config.ingest.rateBurst);
    this.writer = new EventWriteBatcher((inputs) => persistEvents(db, inputs), {
      concurrency: config.ingest.writeConcurrency,
      maxBatch: config.ingest.writeMaxBatch,
      onBatch: (size) => metrics.ingestWriteBatchSize.observe(size),
    });
  }

  async receive(req: Request, line: ReceiptLine): Promise<PersistResult> {
    // Checks that need no I/O first: an id that cannot name a partner (NUL bytes, wrong form)
    // is a 404 as final as an unknown partner, never the 503 a database error would be.
    const partnerId = labelled(line, 'invalid_partner_id', () => parsePathOrThrow(IngestPath, req.params).partner_id);
    labelled(line, 'unsupported_media_type', () => assertJsonContentType(req.headers));
    const body = await readRawBody(req, this.ctx.config.ingest.maxBodyBytes);
    const secrets = await this.partnerSecrets(partnerId);
    const webhookId = await this.verifySignature(req, partnerId, secrets, body);
    if (webhookId) line['webhook_id'] = webhookId;
    this.spendRateBudget(partnerId);
    const admitted = this.readEvent(partnerId, body);
    Object.assign(line, {
      event_type: admitted.event.event,
      call_id: admitted.callId,
      workflow_id: admitted.workflowId,
      tenant_id: admitted.event.tenant_id,
    });
    this.admitUnderLoad(admitted.info);
    return this.commit(req, admitted, line);
  }

  /** Partner lookup: 404 for an unknown partner. */
  private async partnerSecrets(partnerId: string): Promise<string[]> {
    const partner = await this.ctx.partnerSecrets.get(partnerId);
    if (!partner.exists) throw new UnknownPartnerError();
    return partner.secrets;
  }

  /** Signature over the exact bytes: 401 with the verifier's reason. Returns the `webhook-id`, if any. */
  private async verifySignature(req: Request, partnerId: string, secrets: string[], body: Buffer): Promise<string | undefined> {
    const { signatureToleranceMs } = this.ctx.config.ingest;
    const headers = {
      'webhook-id': header(req, 'webhook-id'),
      'webhook-timestamp': header(req, 'webhook-timestamp'),
      'webhook-signature': header(req, 'webhook-signature'),
      'x-signature': header(req, 'x-signature'),
    };
    let verdict = verifyInbound(secrets, headers, body, Date.now(), signatureToleranceMs);
    if (!verdict.ok && verdict.code === 'signature_mismatch') {
      const fresh = await this.ctx.partnerSecrets.get(partnerId, true); // maybe the secret was just rotated
      verdict = verifyInbound(fresh.secrets, headers, body, Date.now(), signatureToleranceMs);
    }
    if (!verdict.ok) {
      this.ctx.metrics.signatureRejections.inc({ reason: verdict.code });
      throw new InvalidSignatureError(verdict.code, verdict.reason);
    }
    return verdict.webhookId;
  }

  /** Per-partner token bucket: 429. After verification, so unsigned junk cannot spend a partner's budget. */
  spendRateBudget(partnerId: string): void {
    const wait = this.buckets.take(partnerId, Date.now());
    if (wait > 0) throw new RateLimitedError(wait);
  }

  /**
   * One strict reading (UTF-8, JSON, nesting depth, repeated keys: 400/422, each error with its
   * own reason), then the event's shape (422), then the names it is stored and deduplicated under.
   */
  private readEvent(partnerId: string, body: Buffer): AdmittedEvent {
    const { text, value } = parseStrictJson(body);
    const event = parseOrThrow(InboundEventSchema, value, 'event');
    return admittedEvent(partnerId, event, value, text);
  }

  /** Under overload shed what can wait (503); terminal events (call.ended/failed) are always taken. */
  admitUnderLoad(info: EventTypeInfo): void {
    if (!info.terminal && this.outbox.overloaded()) {
      throw new OverloadedError('ingest is shedding non-terminal events; retry later', 5);
    }
  }

  /** The commit: the event, its receipt and the outbox row in one statement; any failure is a 503. */
  async commit(req: Request, admitted: AdmittedEvent, line: ReceiptLine): Promise<PersistResult> {
    const { partnerId, event, info, callId, workflowId, value, text } = admitted;
    const persistStarted = performance.now();
    let result: PersistResult;
    try {
      result = await this.writer.persist({
        partnerId,
        callId,
        eventType: event.event,
        terminal: info.terminal,
        tenantId: event.tenant_id ?? null,
        voiceSessionId: event.voice_session_id ?? null,
        occurredAt: event.occurred_at,
        payload: value,
        payloadJson: text,
        workflowId,
        source: 'partner',
        traceparent: activeTracing()?.currentTraceparent(),
        receipt: { sourceIp: req.ip ?? null, headers: admitted.receiptHeaders ?? receiptHeaders(req), body: admitted.receiptBody ?? text },
        sourceId: admitted.sourceId ?? null,
      });
    } catch (err) {
      if (err instanceof AppError) throw err;
      // Not committed, whatever the cause (Postgres down, pool exhausted, a bug): the partner
      // must retry, so a 503 with Retry-After and never a 2xx. The cause is logged in full.
      this.ctx.logger.error({ err, partner_id: partnerId, workflow_id: workflowId }, 'could not persist inbound event');
      throw new UnavailableError('the event could not be stored; retry later', 5);
    }
    line['event_id'] = result.eventId;
    // The database's share of latency_ms (its statement and the wait for one): tells a slow
    // Postgres from a busy process.
    line['persist_ms'] = Math.round(performance.now() - persistStarted);
    return result;
  }
}
