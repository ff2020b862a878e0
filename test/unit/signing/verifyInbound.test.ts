import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { plainSignature, standardSignature } from '../../../src/signing/signDelivery';
import { verifyInbound } from '../../../src/signing/verifyInbound';
import { generateWebhookSecret } from '../../../src/signing/webhookSecret';

const TOLERANCE_MS = 5 * 60_000;
const NOW_MS = 1_750_000_000_500; // mid-second on purpose: tolerance is compared in whole seconds

/** The reference verdict: does the official package accept these headers at NOW_MS? */
function referenceAccepts(secret: string, body: string, headers: Record<string, string>): boolean {
  jest.setSystemTime(NOW_MS);
  try {
    new Webhook(secret).verify(body, headers, { jsonParse: false }); // the verdict, not whether the body is JSON
    return true;
  } catch {
    return false;
  }
}

const secretArb = fc.uint8Array({ minLength: 16, maxLength: 64 }).map((b) => 'whsec_' + Buffer.from(b).toString('base64'));
const idArb = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[\s,]/.test(s));
const bodyArb = fc.string({ maxLength: 300, unit: 'grapheme' });
const offsetArb = fc.integer({ min: -600, max: 600 }); // seconds around now, tolerance is ±300

describe('verifyInbound vs the official standardwebhooks package', () => {
  beforeAll(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] }));
  afterAll(() => jest.useRealTimers());

  it('accepts what the package signs, and agrees on the timestamp window', () => {
    fc.assert(
      fc.property(secretArb, idArb, bodyArb, offsetArb, (secret, id, body, offset) => {
        const ts = Math.floor(NOW_MS / 1000) + offset;
        const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': new Webhook(secret).sign(id, new Date(ts * 1000), body) };
        const ours = verifyInbound([secret], headers, Buffer.from(body, 'utf8'), NOW_MS, TOLERANCE_MS).ok;
        expect(ours).toBe(referenceAccepts(secret, body, headers));
        expect(ours).toBe(Math.abs(offset) <= 300);
      }),
      { numRuns: 500 },
    );
  });

  it('the package accepts what our signer makes (both ways)', () => {
    fc.assert(
      fc.property(secretArb, idArb, bodyArb, fc.integer({ min: -300, max: 300 }), (secret, id, body, offset) => {
        const ts = Math.floor(NOW_MS / 1000) + offset;
        const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': standardSignature(secret, id, ts, body) };
        expect(referenceAccepts(secret, body, headers)).toBe(true);
        expect(verifyInbound([secret], headers, Buffer.from(body, 'utf8'), NOW_MS, TOLERANCE_MS).ok).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('both reject any tampering: other secret, id, timestamp, body or signature bytes', () => {
    fc.assert(
      fc.property(
        secretArb,
        idArb,
        bodyArb,
        fc.constantFrom('secret', 'id', 'timestamp', 'body', 'signature', 'padding', 'version'),
        (secret, id, body, what) => {
          const ts = Math.floor(NOW_MS / 1000) - 10;
          const sig = new Webhook(secret).sign(id, new Date(ts * 1000), body);
          const h = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sig };
          let verifyWith = secret;
          let sent = body;
          switch (what) {
            case 'secret': verifyWith = generateWebhookSecret(); break;
            case 'id': h['webhook-id'] = id + 'x'; break;
            case 'timestamp': h['webhook-timestamp'] = String(ts + 1); break;
            case 'body': sent = body + ' '; break;
            case 'signature': h['webhook-signature'] = sig.slice(0, 3) + (sig[3] === 'A' ? 'B' : 'A') + sig.slice(4); break;
            case 'padding': h['webhook-signature'] = sig.replace(/=+$/, ''); break; // same bytes, not the same text
            case 'version': h['webhook-signature'] = sig.replace(/^v1,/, 'v2,'); break;
          }
          const ours = verifyInbound([verifyWith], h, Buffer.from(sent, 'utf8'), NOW_MS, TOLERANCE_MS).ok;
          expect(ours).toBe(false);
          expect(referenceAccepts(verifyWith, sent, h)).toBe(false);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('agrees with the package on arbitrary header strings', () => {
    const secret = generateWebhookSecret();
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), bodyArb, (id, ts, sig, body) => {
        const h = { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig };
        expect(verifyInbound([secret], h, Buffer.from(body), NOW_MS, TOLERANCE_MS).ok).toBe(referenceAccepts(secret, body, h));
      }),
      { numRuns: 1000 },
    );
  });
});

describe('verifyInbound rules', () => {
  const secret = generateWebhookSecret();
  const body = Buffer.from('{"event":"call.ended"}');
  const ts = Math.floor(NOW_MS / 1000);

  it('accepts any of several active secrets (rotation) and names the scheme', () => {
    const h = { 'webhook-id': 'm1', 'webhook-timestamp': String(ts), 'webhook-signature': standardSignature(secret, 'm1', ts, body.toString()) };
    expect(verifyInbound([generateWebhookSecret(), secret], h, body, NOW_MS, TOLERANCE_MS)).toEqual({ ok: true, scheme: 'standard-webhooks', webhookId: 'm1' });
    expect(verifyInbound([generateWebhookSecret()], h, body, NOW_MS, TOLERANCE_MS)).toMatchObject({ ok: false, code: 'signature_mismatch' });
  });

  it('X-Signature: sha256=<hex> over the raw bytes, case-insensitive hex', () => {
    const sig = plainSignature(secret, body);
    expect(verifyInbound([secret], { 'x-signature': sig }, body, NOW_MS, TOLERANCE_MS)).toEqual({ ok: true, scheme: 'x-signature' });
    expect(verifyInbound([secret], { 'x-signature': sig.toUpperCase().replace('SHA256', 'sha256') }, body, NOW_MS, TOLERANCE_MS).ok).toBe(true);
    expect(verifyInbound([secret], { 'x-signature': sig }, Buffer.concat([body, Buffer.from(' ')]), NOW_MS, TOLERANCE_MS)).toMatchObject({ ok: false, code: 'signature_mismatch' });
    expect(verifyInbound([secret], { 'x-signature': 'sha1=abc' }, body, NOW_MS, TOLERANCE_MS)).toMatchObject({ ok: false, code: 'malformed_signature_headers' });
  });

  it('reason codes for missing, stale and secretless', () => {
    expect(verifyInbound([secret], {}, body, NOW_MS, TOLERANCE_MS)).toMatchObject({ ok: false, code: 'missing_signature' });
    expect(verifyInbound([], {}, body, NOW_MS, TOLERANCE_MS)).toMatchObject({ ok: false, code: 'no_active_secret' });
    const old = { 'webhook-id': 'm', 'webhook-timestamp': String(ts - 301), 'webhook-signature': standardSignature(secret, 'm', ts - 301, body.toString()) };
    expect(verifyInbound([secret], old, body, NOW_MS, TOLERANCE_MS)).toMatchObject({ ok: false, code: 'stale_timestamp' });
  });
});
