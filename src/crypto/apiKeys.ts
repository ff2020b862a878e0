import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyScope } from '../domain/statuses';

/**
 * API keys are shown once and stored as SHA-256 hashes: the keys carry 32 random bytes, so a fast
 * hash is enough (no password-style stretching needed) and lookups stay a single indexed query.
 */
export interface GeneratedApiKey {
  key: string;
  prefix: string;
  hash: string;
}

const SCOPE_PREFIX: Record<ApiKeyScope | 'admin', string> = {
  admin: 'sk_admin_',
  partner: 'sk_partner_',
  tenant: 'sk_tenant_',
};

export function generateApiKey(scope: ApiKeyScope | 'admin'): GeneratedApiKey {
  const key = SCOPE_PREFIX[scope] + randomBytes(32).toString('base64url');
  // The visible prefix: enough to recognise a key in a list, far too little to use it.
  return { key, prefix: key.slice(0, SCOPE_PREFIX[scope].length + 6), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  // Compare hashes so unequal lengths cost the same as equal ones.
  const ha = createHash('sha256').update(ab).digest();
  const hb = createHash('sha256').update(bb).digest();
  return timingSafeEqual(ha, hb) && ab.length === bb.length;
}
