import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * Standard Webhooks asymmetric keys (`v1a`, Ed25519), serialised as Svix does: `whsk_` + base64
 * of the 64-byte key pair (32-byte seed, then the 32-byte public key) and `whpk_` + base64 of the
 * 32-byte public key. The tenant is shown only the whpk_; the whsk_ is sealed at rest like a whsec_.
 */
export const SIGNING_KEY_PREFIX = 'whsk_';
export const PUBLIC_KEY_PREFIX = 'whpk_';

export class MalformedKeyError extends Error {
  override name = 'MalformedKeyError';
}

export function generateEd25519SigningKey(): { signingKey: string; publicKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d!, 'base64url');
  const pub = Buffer.from(jwk.x!, 'base64url');
  return { signingKey: SIGNING_KEY_PREFIX + Buffer.concat([seed, pub]).toString('base64'), publicKey: PUBLIC_KEY_PREFIX + pub.toString('base64') };
}

function keyPairBytes(signingKey: string): { seed: Buffer; pub: Buffer } {
  if (!signingKey.startsWith(SIGNING_KEY_PREFIX)) throw new MalformedKeyError('not a whsk_ key');
  const raw = Buffer.from(signingKey.slice(SIGNING_KEY_PREFIX.length), 'base64');
  if (raw.length !== 64) throw new MalformedKeyError('a whsk_ key is 64 bytes (seed and public key)');
  return { seed: raw.subarray(0, 32), pub: raw.subarray(32) };
}

/** Key objects are cheap to keep and slow-ish to rebuild per delivery; a few thousand endpoints at most. */
const privateKeys = new Map<string, KeyObject>();
const MAX_CACHED_KEYS = 4096;

export function ed25519PrivateKey(signingKey: string): KeyObject {
  const cached = privateKeys.get(signingKey);
  if (cached) return cached;
  const { seed, pub } = keyPairBytes(signingKey);
  const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: seed.toString('base64url'), x: pub.toString('base64url') }, format: 'jwk' });
  if (privateKeys.size >= MAX_CACHED_KEYS) privateKeys.clear();
  privateKeys.set(signingKey, key);
  return key;
}

export function publicKeyOf(signingKey: string): string {
  return PUBLIC_KEY_PREFIX + keyPairBytes(signingKey).pub.toString('base64');
}

/** The KeyObject of a whpk_ key, for verifiers (tests, the CLI's receiver). */
export function ed25519PublicKey(publicKey: string): KeyObject {
  if (!publicKey.startsWith(PUBLIC_KEY_PREFIX)) throw new MalformedKeyError('not a whpk_ key');
  const raw = Buffer.from(publicKey.slice(PUBLIC_KEY_PREFIX.length), 'base64');
  if (raw.length !== 32) throw new MalformedKeyError('a whpk_ key is 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
}
