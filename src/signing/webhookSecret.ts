import { randomBytes } from 'node:crypto';

/** Standard Webhooks secret form: `whsec_` + base64 of the raw key bytes. */
export const SECRET_PREFIX = 'whsec_';

export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The HMAC key bytes of a secret: base64-decoded after the prefix. */
export function secretKeyBytes(secret: string): Buffer {
  const raw = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return Buffer.from(raw, 'base64');
}
