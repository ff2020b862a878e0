import { createHmac, timingSafeEqual } from 'node:crypto';
import { secretKeyBytes } from './webhookSecret';

/**
 * Verifies a partner's POST against any of its active inbound secrets (several during rotation).
 * Pure: the caller passes the raw body bytes, lower-cased headers and the current time.
 *
 * The Standard Webhooks branch deliberately behaves like the reference `standardwebhooks` package
 * (a signature it makes verifies here and vice versa; test/unit/signing/verifyInbound.test.ts
 * checks that on random inputs): the timestamp is compared in whole seconds, the signed content
 * uses the timestamp as a decimal number, and the base64 signature is compared as text.
 */
export type RejectionCode =
  | 'no_active_secret'
  | 'missing_signature'
  | 'malformed_signature_headers'
  | 'stale_timestamp'
  | 'signature_mismatch';

export type VerifyResult =
  | { ok: true; scheme: 'standard-webhooks' | 'x-signature'; webhookId?: string }
  | { ok: false; code: RejectionCode; reason: string };

function reject(code: RejectionCode, reason: string): VerifyResult {
  return { ok: false, code, reason };
}

/** Constant-time for equal lengths; the length of an HMAC is public, so an early length check leaks nothing. */
function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function verifyInbound(
  secrets: readonly string[],
  headers: Record<string, string | undefined>,
  rawBody: Buffer,
  nowMs: number,
  toleranceMs: number,
): VerifyResult {
  if (secrets.length === 0) return reject('no_active_secret', 'partner has no active signing secret');
  const keys = secrets.map(secretKeyBytes);

  const sigHeader = headers['webhook-signature'];
  if (sigHeader !== undefined) {
    const id = headers['webhook-id'];
    const ts = headers['webhook-timestamp'];
    if (!sigHeader) return reject('malformed_signature_headers', 'webhook-signature header is empty');
    if (!id) return reject('malformed_signature_headers', 'missing webhook-id header');
    if (!ts) return reject('malformed_signature_headers', 'missing webhook-timestamp header');
    if (!/^\d{1,12}$/.test(ts)) {
      return reject('malformed_signature_headers', 'webhook-timestamp is not a unix timestamp in seconds');
    }
    const tsSeconds = Number(ts);
    const nowSeconds = Math.floor(nowMs / 1000);
    const toleranceSeconds = Math.floor(toleranceMs / 1000);
    if (nowSeconds - tsSeconds > toleranceSeconds) {
      return reject('stale_timestamp', `webhook-timestamp is more than ${toleranceSeconds}s in the past`);
    }
    if (tsSeconds > nowSeconds + toleranceSeconds) {
      return reject('stale_timestamp', `webhook-timestamp is more than ${toleranceSeconds}s in the future`);
    }
    const signed = Buffer.concat([Buffer.from(`${id}.${tsSeconds}.`, 'utf8'), rawBody]);
    const expected = keys.map((k) => Buffer.from(createHmac('sha256', k).update(signed).digest('base64'), 'utf8'));
    for (const part of sigHeader.split(' ')) {
      const [version, b64] = part.split(',', 2);
      if (version !== 'v1' || !b64) continue;
      const given = Buffer.from(b64, 'utf8');
      // Every key is compared (no early exit on the first key) so timing does not tell which one matched.
      let matched = false;
      for (const e of expected) matched = safeEqual(e, given) || matched;
      if (matched) return { ok: true, scheme: 'standard-webhooks', webhookId: id };
    }
    return reject('signature_mismatch', 'no v1 signature in webhook-signature matches');
  }

  const plain = headers['x-signature'];
  if (plain !== undefined) {
    const match = /^sha256=([0-9a-fA-F]{64})$/.exec(plain.trim());
    if (!match) return reject('malformed_signature_headers', 'x-signature must be sha256=<64 hex chars>');
    const given = Buffer.from(match[1]!, 'hex');
    let matched = false;
    for (const k of keys) matched = safeEqual(createHmac('sha256', k).update(rawBody).digest(), given) || matched;
    if (matched) return { ok: true, scheme: 'x-signature' };
    return reject('signature_mismatch', 'x-signature does not match the body');
  }

  return reject('missing_signature', 'missing signature: send webhook-id/webhook-timestamp/webhook-signature or x-signature');
}
