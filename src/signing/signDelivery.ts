import { createHmac, sign as signWithKey } from 'node:crypto';
import { ed25519PrivateKey, SIGNING_KEY_PREFIX } from './ed25519Keys';
import { secretKeyBytes } from './webhookSecret';

/**
 * Outbound signatures: Standard Webhooks, one per active key, space-separated — `v1,<base64
 * HMAC-SHA256 of "{id}.{ts}.{body}">` for a whsec_ secret, `v1a,<base64 Ed25519 signature of the
 * same content>` for a whsk_ key — plus the simpler `X-Signature: sha256=<hex of body>` that many
 * receivers already check, signed with the newest HMAC secret (an Ed25519-only endpoint has none).
 */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
  'x-signature'?: string;
}

/** Names a tenant's custom headers may not take: these are the signature's. */
export const SIGNATURE_HEADER_NAMES = ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-signature'] as const;

export function standardSignature(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  const content = `${msgId}.${timestampSeconds}.${body}`;
  if (secret.startsWith(SIGNING_KEY_PREFIX)) {
    return `v1a,${signWithKey(null, Buffer.from(content, 'utf8'), ed25519PrivateKey(secret)).toString('base64')}`;
  }
  const mac = createHmac('sha256', secretKeyBytes(secret)).update(content, 'utf8').digest('base64');
  return `v1,${mac}`;
}

export function plainSignature(secret: string, body: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secretKeyBytes(secret)).update(body).digest('hex');
}

/** `secrets` newest first; every one yields a signature so receivers mid-rotation verify. */
export function signDelivery(secrets: readonly string[], msgId: string, timestampSeconds: number, body: string): SignedHeaders {
  if (secrets.length === 0) throw new Error('no active signing secret');
  const newestHmac = secrets.find((s) => !s.startsWith(SIGNING_KEY_PREFIX));
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': secrets.map((s) => standardSignature(s, msgId, timestampSeconds, body)).join(' '),
    ...(newestHmac ? { 'x-signature': plainSignature(newestHmac, body) } : {}),
  };
}
