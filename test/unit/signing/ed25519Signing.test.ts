import { createPublicKey, sign, verify } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { ed25519PrivateKey, generateEd25519SigningKey, publicKeyOf } from '../../../src/signing/ed25519Keys';
import { signDelivery } from '../../../src/signing/signDelivery';
import { generateWebhookSecret } from '../../../src/signing/webhookSecret';

/**
 * Standard Webhooks `v1a` (Ed25519). Verified here the way a tenant would, by an implementation
 * that shares nothing with ours: Node's crypto.verify over a key built from the raw whpk_ bytes
 * (SPKI DER by hand). The spec repo has no v1a test vectors (its reference libraries are HMAC
 * only), so the key format is pinned by RFC 8032's first test vector instead.
 */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function tenantVerifies(whpk: string, id: string, ts: string, body: string, header: string): boolean {
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(whpk.slice('whpk_'.length), 'base64')]), format: 'der', type: 'spki' });
  return header
    .split(' ')
    .filter((p) => p.startsWith('v1a,'))
    .some((p) => verify(null, Buffer.from(`${id}.${ts}.${body}`), key, Buffer.from(p.slice(4), 'base64')));
}

const body = JSON.stringify({ id: 'evt_1', type: 'call.ended', data: { duration_seconds: 42, s: 'ünïcödé' } });

describe('v1a (Ed25519) signatures', () => {
  it('RFC 8032 test 1: a whsk_ made of its seed and public key signs exactly as the RFC says', () => {
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const pub = Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex');
    const whsk = 'whsk_' + Buffer.concat([seed, pub]).toString('base64');
    expect(sign(null, Buffer.alloc(0), ed25519PrivateKey(whsk)).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    expect(publicKeyOf(whsk)).toBe('whpk_' + pub.toString('base64'));
  });

  it('a delivery signed with a whsk_ key verifies with its whpk_ by an independent verifier; tampering fails', () => {
    const { signingKey, publicKey } = generateEd25519SigningKey();
    expect(signingKey).toMatch(/^whsk_[A-Za-z0-9+/]{86}==$/);
    expect(publicKey).toMatch(/^whpk_[A-Za-z0-9+/]{43}=$/);
    const h = signDelivery([signingKey], 'evt_1', 1_767_225_600, body);
    expect(h['webhook-signature']).toMatch(/^v1a,[A-Za-z0-9+/]{86}==$/);
    // No HMAC secret, so no X-Signature (it is an HMAC of the body).
    expect(h['x-signature']).toBeUndefined();
    expect(tenantVerifies(publicKey, 'evt_1', h['webhook-timestamp'], body, h['webhook-signature'])).toBe(true);
    expect(tenantVerifies(publicKey, 'evt_1', h['webhook-timestamp'], body.replace('42', '43'), h['webhook-signature'])).toBe(false);
    expect(tenantVerifies(publicKey, 'evt_2', h['webhook-timestamp'], body, h['webhook-signature'])).toBe(false);
    expect(tenantVerifies(generateEd25519SigningKey().publicKey, 'evt_1', h['webhook-timestamp'], body, h['webhook-signature'])).toBe(false);
  });

  it('rotation from v1 to v1a: both signatures are sent; each kind of receiver verifies its own', () => {
    const oldHmac = generateWebhookSecret();
    const { signingKey, publicKey } = generateEd25519SigningKey();
    const now = Math.floor(Date.now() / 1000);
    const h = signDelivery([signingKey, oldHmac], 'evt_1', now, body);
    const parts = h['webhook-signature'].split(' ');
    expect(parts.map((p) => p.split(',')[0])).toEqual(['v1a', 'v1']);
    expect(tenantVerifies(publicKey, 'evt_1', h['webhook-timestamp'], body, h['webhook-signature'])).toBe(true);
    // The HMAC-only reference library skips the v1a entry and verifies the v1 one.
    expect(new Webhook(oldHmac).verify(body, { 'webhook-id': 'evt_1', 'webhook-timestamp': h['webhook-timestamp'], 'webhook-signature': h['webhook-signature'] })).toEqual(JSON.parse(body));
    expect(h['x-signature']).toMatch(/^sha256=/);
  });

  it('two Ed25519 keys during a v1a rotation: both signatures verify with their own whpk_', () => {
    const a = generateEd25519SigningKey();
    const b = generateEd25519SigningKey();
    const h = signDelivery([b.signingKey, a.signingKey], 'evt_9', 1_767_225_600, body);
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    expect(tenantVerifies(a.publicKey, 'evt_9', h['webhook-timestamp'], body, h['webhook-signature'])).toBe(true);
    expect(tenantVerifies(b.publicKey, 'evt_9', h['webhook-timestamp'], body, h['webhook-signature'])).toBe(true);
  });
});
