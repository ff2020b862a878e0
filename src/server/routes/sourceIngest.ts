import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import type { Config } from '../../config';
import type { SourceCache } from '../../sources/sourceCache';
import { SourceIngestAcceptedSchema } from '../../sources/sourceSchemas';
import type { AppContext } from '../context';
import { registerOperation } from '../openapi';
import { IngestReceiptLog } from './ingestReceiptLog';
import type { IngestOutbox, IngestStages } from './ingestStages';
import { SourceIngestPath, SourceIngestStages, type SourceIngestResult } from './sourceIngestStages';

/** The partner's own body: any JSON (a form for the twilio scheme); its source's mapping reads it. */
const PartnerBody = z
  .looseObject({})
  // A request always carries a body (the document marks it required); the route reads its own bytes.
  .refine((o) => Object.keys(o).length > 0, 'a body is required')
  .meta({ description: 'The partner platform\'s own JSON, as it sends it (twilio scheme: a form)', minProperties: 1 });

function registerSourceIngestOperation(config: Config): void {
  registerOperation({
    method: 'post',
    path: '/v1/sources/{source_id}/events',
    summary: 'Receive a partner platform\'s webhook in its own format, through a source (verified and mapped by the source)',
    description:
      'Authenticated by the source\'s verification scheme (see docs/ingest.md, "Connecting a partner\'s platform"), then mapped to an ' +
      'inbound event and stored exactly as the default route stores one (dedupe, shedding, rate limit, outbox). A verified body that ' +
      'does not map is kept as a rejected receipt and answered 422 naming the rule and pointer; an event name the source ignores, 202 `ignored`.',
    tag: 'Ingest',
    auth: 'signature',
    params: SourceIngestPath,
    body: PartnerBody,
    bodyLimitBytes: config.ingest.maxBodyBytes,
    responses: {
      202: { description: 'Persisted (or, with `ignored`, kept as an ignored receipt)', schema: SourceIngestAcceptedSchema },
      200: { description: 'Duplicate of an event already received; nothing new started', schema: SourceIngestAcceptedSchema },
      400: { description: 'Body is not UTF-8 JSON (kept as a rejected receipt when it verified)' },
      401: { description: 'Not verified by the source\'s scheme (signature, credentials, token, timestamp)' },
      403: { description: 'The client address is not in the source\'s ip_allowlist' },
      404: { description: 'Unknown or deleted source' },
      413: { description: `Body larger than INGEST_MAX_BODY_BYTES (${config.ingest.maxBodyBytes} bytes)` },
      415: { description: 'Not the content type the source takes (JSON; the twilio scheme: application/x-www-form-urlencoded)' },
      422: { description: 'Verified but not mappable to a valid event: kept as a rejected receipt; `details` names the rule, pointer and receipt' },
      429: { description: 'Partner over its rate limit (shared with the default route); see Retry-After' },
      503: { description: 'Overloaded (non-terminal events shed) or database unavailable; see Retry-After' },
    },
  });
}

function answer(res: Response, taken: SourceIngestResult): void {
  if (taken.kind === 'ignored') {
    res.status(202).json({ duplicate: false, ignored: true, receipt_id: taken.receiptId });
    return;
  }
  const { result } = taken;
  res.status(result.duplicate ? 200 : 202).json({ event_id: result.eventId, workflow_id: result.workflowId, duplicate: result.duplicate });
}

/** `POST /v1/sources/:source_id/events`: ingest in a partner platform's own format. The default route is untouched. */
export function sourceIngestRoutes(router: Router, ctx: AppContext, outbox: IngestOutbox, stages: IngestStages, sources: SourceCache): void {
  registerSourceIngestOperation(ctx.config);
  const sourceStages = new SourceIngestStages(ctx, stages, sources);
  router.post('/v1/sources/:source_id/events', async (req: Request, res: Response) => {
    const receipt = new IngestReceiptLog(req.params['source_id'], req.ip ?? null, ctx.logger, ctx.metrics);
    receipt.line['source_id'] = receipt.line['partner_id'];
    let taken: SourceIngestResult;
    try {
      taken = await sourceStages.receive(req, receipt.line);
    } catch (caught) {
      throw receipt.refused(caught);
    }
    answer(res, taken);
    const duplicate = taken.kind === 'stored' && taken.result.duplicate;
    receipt.stored(duplicate);
    if (taken.kind === 'stored' && !duplicate) outbox.committed();
  });
}
