import type { Request } from 'express';
import { z } from 'zod';
import type { Config } from '../../config';
import { SourceId } from '../../idSchemas';
import type { PersistResult } from '../../ingest/persistEvent';
import type { SourceCache } from '../../sources/sourceCache';
import { storeSourceReceipt } from '../../sources/sourceReceipts';
import type { SourceFailure } from '../../sources/sourceSchemas';
import type { Source } from '../../sources/sources';
import { verifySource } from '../../sources/verifySource';
import { readRawBody } from '../body/rawBody';
import type { AppContext } from '../context';
import { parsePathOrThrow } from '../route';
import type { ReceiptLine } from './ingestReceiptLog';
import { admittedEvent, receiptHeaders, type IngestStages } from './ingestStages';
import { checkContentType, checkIp, normalise, readSourceBody, type Checked } from './sourceChecks';
import { SourceVerificationError, UnknownSourceError, UnmappableEventError } from './sourceRefusals';

export const SourceIngestPath = z.object({ source_id: SourceId });

/** How a request through a source ended when it was taken: an event stored, or an ignored receipt. */
export type SourceIngestResult = { kind: 'stored'; result: PersistResult } | { kind: 'ignored'; receiptId: string };

/** The URL a sender signed (twilio): the configured one, else the public base URL (or the request's host) + path. */
export function signedUrl(source: Source, config: Config, req: Pick<Request, 'protocol' | 'originalUrl' | 'get'>, path = req.originalUrl): string {
  if (source.verification.scheme === 'twilio' && source.verification.url) return source.verification.url;
  const base = config.http.publicUrl?.replace(/\/+$/, '') ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  return base + path;
}

function lowerCaseHeaders(req: Request): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Headers kept with a receipt: the default route's choice, minus the source's own credential header. */
function keptHeaders(req: Request, source: Source): Record<string, string> {
  const headers = receiptHeaders(req);
  if (source.verification.scheme === 'token') delete headers[source.verification.header.toLowerCase()];
  return headers;
}

function orThrow<T>(line: ReceiptLine, checked: Checked<T>): T {
  if (checked.ok) return checked.value;
  line['reason'] = checked.failure.code;
  throw checked.error;
}

/**
 * `POST /v1/sources/:source_id/events`: the source, its IP allowlist, the content type, the body,
 * the signature, then the partner's rate budget, load gate and commit of the default route
 * (`IngestStages`, the same instance: one token bucket per partner and one write path). What
 * verified but is not taken is kept as a source receipt (rejected: 422; ignored: 202).
 */
export class SourceIngestStages {
  constructor(
    private readonly ctx: AppContext,
    private readonly stages: IngestStages,
    private readonly sources: SourceCache,
  ) {}

  async receive(req: Request, line: ReceiptLine): Promise<SourceIngestResult> {
    const sourceId = this.labelled(line, 'invalid_source_id', () => parsePathOrThrow(SourceIngestPath, req.params).source_id);
    const { source, secrets } = await this.lookup(sourceId);
    line['partner_id'] = source.partnerId;
    orThrow(line, checkIp(source, req.ip));
    orThrow(line, checkContentType(source, req.headers['content-type']));
    const body = await readRawBody(req, this.ctx.config.ingest.maxBodyBytes);
    const webhookId = await this.verify(req, source, secrets, body, line);
    if (webhookId) line['webhook_id'] = webhookId;
    this.stages.spendRateBudget(source.partnerId);
    const read = readSourceBody(source, body);
    if (!read.ok) {
      line['reason'] = read.failure.code;
      line['receipt_id'] = await this.keep(req, source, body, 'rejected', read.failure);
      throw read.error;
    }
    const outcome = normalise(source, read.value.value, Date.now(), lowerCaseHeaders(req));
    if (outcome.kind === 'ignored') {
      const receiptId = await this.keep(req, source, body, 'ignored', { stage: 'mapping', code: 'ignored_event', rule: 'event', message: outcome.reason });
      Object.assign(line, { ignored_event: outcome.name.slice(0, 200), receipt_id: receiptId });
      return { kind: 'ignored', receiptId };
    }
    if (outcome.kind === 'rejected') {
      line['reason'] = 'unmappable';
      throw new UnmappableEventError(outcome.failure, await this.keep(req, source, body, 'rejected', outcome.failure));
    }
    const admitted = {
      ...(source.mapping !== null
        ? { ...admittedEvent(source.partnerId, outcome.event, outcome.event, JSON.stringify(outcome.event)), receiptBody: read.value.text }
        : admittedEvent(source.partnerId, outcome.event, read.value.value, read.value.text)),
      receiptHeaders: keptHeaders(req, source),
      sourceId: source.id,
    };
    Object.assign(line, { event_type: admitted.event.event, call_id: admitted.callId, workflow_id: admitted.workflowId, tenant_id: admitted.event.tenant_id });
    this.stages.admitUnderLoad(admitted.info);
    return { kind: 'stored', result: await this.stages.commit(req, admitted, line) };
  }

  private labelled<T>(line: ReceiptLine, reason: string, check: () => T): T {
    try {
      return check();
    } catch (err) {
      line['reason'] = reason;
      throw err;
    }
  }

  private async lookup(sourceId: string): Promise<{ source: Source; secrets: string[] }> {
    const entry = await this.sources.get(sourceId);
    if (!entry.source) throw new UnknownSourceError();
    return { source: entry.source, secrets: entry.secrets };
  }

  /** The source's scheme over the exact bytes: 401 with the verifier's reason; one fresh re-read on a mismatch (a rotation). */
  private async verify(req: Request, source: Source, secrets: string[], body: Buffer, line: ReceiptLine): Promise<string | undefined> {
    const input = { headers: lowerCaseHeaders(req), body, nowMs: Date.now(), url: signedUrl(source, this.ctx.config, req) };
    let verdict = verifySource(source.verification, secrets, input);
    if (!verdict.ok && (verdict.code === 'signature_mismatch' || verdict.code === 'invalid_credentials')) {
      const fresh = await this.sources.get(source.id, true);
      if (fresh.source) verdict = verifySource(fresh.source.verification, fresh.secrets, input);
    }
    if (verdict.ok) return verdict.webhookId;
    line['reason'] = verdict.code;
    this.ctx.metrics.signatureRejections.inc({ reason: verdict.code });
    throw new SourceVerificationError(verdict.code, verdict.reason);
  }

  /** Keeps a verified request that was not taken, as received, for the partner to audit. */
  private keep(req: Request, source: Source, body: Buffer, outcome: 'rejected' | 'ignored', failure: SourceFailure): Promise<string> {
    return storeSourceReceipt(this.ctx.db, {
      sourceId: source.id,
      partnerId: source.partnerId,
      outcome,
      reason: failure.message,
      details: { ...failure },
      sourceIp: req.ip ?? null,
      headers: keptHeaders(req, source),
      body,
    });
  }
}
