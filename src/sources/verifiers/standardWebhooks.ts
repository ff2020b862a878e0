import { verifyInbound } from '../../signing/verifyInbound';
import type { StandardWebhooksVerification, XSignatureVerification } from '../sourceSchemas';
import type { z } from 'zod';
import { refuse, type SourceVerdict, type VerifyInput } from './verdict';

/**
 * Standard Webhooks under either header family: `webhook-*` (the spec) or `svix-*` (what Svix,
 * the most common sender, sends by default). The check itself is the default ingest route's
 * verifier, so both routes accept exactly the same signatures.
 */
export function verifyStandardWebhooks(config: z.infer<typeof StandardWebhooksVerification>, secrets: readonly string[], input: VerifyInput): SourceVerdict {
  const h = input.headers;
  const family = h['webhook-signature'] !== undefined ? 'webhook' : h['svix-signature'] !== undefined ? 'svix' : undefined;
  if (!family) return refuse('missing_signature', 'missing signature: send webhook-id/webhook-timestamp/webhook-signature (or svix-id/svix-timestamp/svix-signature)');
  const headers = {
    'webhook-id': h[`${family}-id`],
    'webhook-timestamp': h[`${family}-timestamp`],
    'webhook-signature': h[`${family}-signature`],
  };
  const verdict = verifyInbound(secrets, headers, input.body, input.nowMs, config.tolerance_seconds * 1000);
  if (verdict.ok) return { ok: true, webhookId: verdict.webhookId };
  return { ok: false, code: verdict.code, reason: family === 'svix' ? verdict.reason.replace(/webhook-/g, 'svix-') : verdict.reason };
}

/** `X-Signature: sha256=<hex>` over the body, keyed like the default route (a `whsec_` secret). */
export function verifyXSignature(_config: z.infer<typeof XSignatureVerification>, secrets: readonly string[], input: VerifyInput): SourceVerdict {
  const given = input.headers['x-signature'];
  if (given === undefined) return refuse('missing_signature', 'missing x-signature header (sha256=<hex HMAC-SHA256 of the body>)');
  const verdict = verifyInbound(secrets, { 'x-signature': given }, input.body, input.nowMs, 0);
  return verdict.ok ? { ok: true } : { ok: false, code: verdict.code, reason: verdict.reason };
}
