import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { InboundEventSchema } from '../../domain/inboundEvent';
import type { Config } from '../../config';
import type { PersistResult } from '../../ingest/persistEvent';
import { IngestRefusalRecorder } from '../../refusals/refusalRecorder';
import type { AppContext } from '../context';
import { registerOperation } from '../openapi';
import { IngestReceiptLog } from './ingestReceiptLog';
import { IngestPath, IngestStages, type IngestOutbox } from './ingestStages';

export type { IngestOutbox } from './ingestStages';

export const IngestAcceptedSchema = z
  .object({
    event_id: z.string(),
    workflow_id: z.string(),
    duplicate: z.boolean(),
  })
  .meta({ id: 'IngestAccepted' });

/** The ingest operation's OpenAPI entry, by hand: the handler reads its own body (raw bytes for the signature). */
function registerIngestOperation(config: Config): void {
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

}

/** Returns the stages, which sources share (one rate budget per partner, one write path). */
export function ingestRoutes(router: Router, ctx: AppContext, outbox: IngestOutbox): IngestStages {
  registerIngestOperation(ctx.config);
  const stages = new IngestStages(ctx, outbox);
  const refusals = new IngestRefusalRecorder(ctx);
  router.post('/v1/webhooks/:partner_id', async (req: Request, res: Response) => {
    const receipt = new IngestReceiptLog(req.params['partner_id'], req.ip ?? null, ctx.logger, ctx.metrics);
    let result: PersistResult;
    try {
      result = await stages.receive(req, receipt.line);
    } catch (caught) {
      const err = receipt.refused(caught);
      void refusals.record(receipt.line, err); // never awaited: a sample for the partner (src/refusals)
      throw err;
    }
    res.status(result.duplicate ? 200 : 202).json({
      event_id: result.eventId,
      workflow_id: result.workflowId,
      duplicate: result.duplicate,
    });
    receipt.stored(result.duplicate);
    // The relays (in the workers) start the workflow; the handler never waits on Temporal.
    if (!result.duplicate) outbox.committed();
  });
  return stages;
}
