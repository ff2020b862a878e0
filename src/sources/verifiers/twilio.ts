import { createHmac } from 'node:crypto';
import { anyMatches, refuse, safeEqual, type SourceVerdict, type VerifyInput } from './verdict';

/** `application/x-www-form-urlencoded` pairs in body order (a name may repeat). */
export function formPairs(body: Buffer): Array<[string, string]> {
  return [...new URLSearchParams(body.toString('utf8')).entries()];
}

/**
 * Twilio's request validation: base64 HMAC-SHA1, keyed with the auth token, of the full URL
 * followed by every POST parameter's name and value, sorted by name (then value), no separators.
 * https://www.twilio.com/docs/usage/webhooks/webhooks-security#validating-signatures-from-twilio
 */
export function twilioSignedContent(url: string, pairs: ReadonlyArray<[string, string]>): string {
  const sorted = [...pairs].sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  return url + sorted.map(([k, v]) => k + v).join('');
}

export function verifyTwilio(secrets: readonly string[], input: VerifyInput): SourceVerdict {
  const header = input.headers['x-twilio-signature'];
  if (header === undefined) return refuse('missing_signature', 'missing X-Twilio-Signature header');
  const given = Buffer.from(header.trim(), 'utf8');
  const content = twilioSignedContent(input.url, formPairs(input.body));
  const matched = anyMatches(secrets, (s) => safeEqual(Buffer.from(createHmac('sha1', Buffer.from(s, 'utf8')).update(content, 'utf8').digest('base64'), 'utf8'), given));
  return matched ? { ok: true } : refuse('signature_mismatch', `X-Twilio-Signature does not match HMAC-SHA1 of ${JSON.stringify(input.url)} + the sorted params`);
}
