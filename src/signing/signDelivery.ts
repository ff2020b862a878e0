import { createHmac } from 'node:crypto';
import { secretKeyBytes } from './webhookSecret';

/**
 * Outbound signatures: Standard Webhooks (`v1,<base64 HMAC-SHA256 of "{id}.{ts}.{body}">`, one
 * per active secret, space-separated) plus the simpler `X-Signature: sha256=<hex of body>` that
 * many receivers already check, signed with the newest secret.
 */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'x-signature': string;
}

export function standardSignature(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', secretKeyBytes(secret)).update(`${msgId}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

export function plainSignature(secret: string, body: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secretKeyBytes(secret)).update(body).digest('hex');
}

/** `secrets` newest first; every one yields a v1 signature so receivers mid-rotation verify. */
export function signDelivery(secrets: readonly string[], msgId: string, timestampSeconds: number, body: string): SignedHeaders {
  if (secrets.length === 0) throw new Error('no active signing secret');
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((s) => standardSignature(s, msgId, timestampSeconds, body)).join(' '),
    'x-signature': plainSignature(secrets[0]!, body),
  };
}
