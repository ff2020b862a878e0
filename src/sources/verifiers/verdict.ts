import { createHash, timingSafeEqual } from 'node:crypto';

/** What a source verifier answers; `code` is the rejection reason label (metrics, logs, dry run). */
export type SourceVerdict =
  | { ok: true; webhookId?: string }
  | { ok: false; code: 'no_active_secret' | 'missing_signature' | 'malformed_signature_headers' | 'stale_timestamp' | 'signature_mismatch' | 'invalid_credentials'; reason: string };

/** What every verifier reads: lower-cased headers, the exact body bytes, the clock. */
export interface VerifyInput {
  headers: Record<string, string | undefined>;
  body: Buffer;
  nowMs: number;
  /** The URL the request was sent to, as the sender saw it (twilio signs it). */
  url: string;
}

export function refuse(code: Exclude<SourceVerdict, { ok: true }>['code'], reason: string): SourceVerdict {
  return { ok: false, code, reason };
}

/** Constant-time for equal lengths; a MAC's length is public. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time comparison of secrets of any length: compares their SHA-256 digests. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Whether any of `candidates` matches: every one is compared (no early exit), so timing does not tell which. */
export function anyMatches<T>(candidates: readonly T[], matches: (candidate: T) => boolean): boolean {
  let matched = false;
  for (const c of candidates) matched = matches(c) || matched;
  return matched;
}

/** A unix-seconds timestamp within the tolerance, or the refusal saying why not. */
export function checkTimestamp(text: string | undefined, what: string, nowMs: number, toleranceSeconds: number): SourceVerdict | number {
  if (text === undefined || text === '') return refuse('malformed_signature_headers', `missing ${what}`);
  if (!/^\d{1,12}$/.test(text)) return refuse('malformed_signature_headers', `${what} is not a unix timestamp in seconds`);
  const ts = Number(text);
  const now = Math.floor(nowMs / 1000);
  if (now - ts > toleranceSeconds) return refuse('stale_timestamp', `${what} is more than ${toleranceSeconds}s in the past`);
  if (ts - now > toleranceSeconds) return refuse('stale_timestamp', `${what} is more than ${toleranceSeconds}s in the future`);
  return ts;
}
