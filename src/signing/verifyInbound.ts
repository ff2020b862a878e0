import { createHmac, timingSafeEqual } from 'node:crypto';
import { secretKeyBytes } from './webhookSecret';

/**
 * Verifies a partner's POST against any of its active inbound secrets (several during rotation).
 * Pure: the caller passes the raw body bytes, lower-cased headers and the current time.
 */
export type VerifyResult =
  | { ok: true; scheme: 'standard-webhooks' | 'x-signature'; webhookId?: string }
  | { ok: false; reason: string };

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
  if (secrets.length === 0) return { ok: false, reason: 'partner has no active signing secret' };
  const keys = secrets.map(secretKeyBytes);

  const sigHeader = headers['webhook-signature'];
  if (sigHeader !== undefined) {
    const id = headers['webhook-id'];
    const ts = headers['webhook-timestamp'];
    if (!id) return { ok: false, reason: 'missing webhook-id header' };
    if (!ts) return { ok: false, reason: 'missing webhook-timestamp header' };
    if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'webhook-timestamp is not a unix timestamp in seconds' };
    const tsSeconds = Number(ts);
    if (Math.abs(nowMs - tsSeconds * 1000) > toleranceMs) {
      return { ok: false, reason: 'webhook-timestamp is outside the allowed tolerance' };
    }
    const signed = Buffer.concat([Buffer.from(`${id}.${ts}.`, 'utf8'), rawBody]);
    const expected = keys.map((k) => createHmac('sha256', k).update(signed).digest());
    for (const part of sigHeader.split(' ')) {
      const [version, b64] = part.split(',', 2);
      if (version !== 'v1' || !b64) continue;
      const given = Buffer.from(b64, 'base64');
      if (expected.some((e) => safeEqual(e, given))) return { ok: true, scheme: 'standard-webhooks', webhookId: id };
    }
    return { ok: false, reason: 'no webhook-signature matches' };
  }

  const plain = headers['x-signature'];
  if (plain !== undefined) {
    const match = /^sha256=([0-9a-fA-F]{64})$/.exec(plain.trim());
    if (!match) return { ok: false, reason: 'x-signature must be sha256=<64 hex chars>' };
    const given = Buffer.from(match[1]!, 'hex');
    for (const k of keys) {
      if (safeEqual(createHmac('sha256', k).update(rawBody).digest(), given)) return { ok: true, scheme: 'x-signature' };
    }
    return { ok: false, reason: 'x-signature does not match' };
  }

  return { ok: false, reason: 'missing signature: send webhook-id/webhook-timestamp/webhook-signature or x-signature' };
}
