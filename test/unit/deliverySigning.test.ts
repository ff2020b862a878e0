import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { plainSignature, signDelivery, standardSignature } from '../../src/signing/signDelivery';
import { verifyInbound } from '../../src/signing/verifyInbound';
import { generateWebhookSecret, secretKeyBytes } from '../../src/signing/webhookSecret';

const body = JSON.stringify({ id: 'evt_1', type: 'call.ended', data: { n: 1, s: 'ünïcödé' } });
const ts = Math.floor(Date.parse('2026-01-01T00:00:00Z') / 1000);

describe('outbound signing', () => {
  it('our signature verifies with the standardwebhooks package', () => {
    const secret = generateWebhookSecret();
    const h = signDelivery([secret], 'evt_1', ts, body);
    const wh = new Webhook(secret);
    // The package checks the timestamp against its own clock, so sign "now" for this direction.
    const now = Math.floor(Date.now() / 1000);
    const live = signDelivery([secret], 'evt_1', now, body);
    expect(wh.verify(body, { 'webhook-id': 'evt_1', 'webhook-timestamp': String(now), 'webhook-signature': live['webhook-signature'] })).toEqual(JSON.parse(body));
    expect(h['webhook-id']).toBe('evt_1');
    expect(h['webhook-timestamp']).toBe(String(ts));
  });

  it("the package's signature equals ours (the other direction), and our inbound verifier accepts it", () => {
    const secret = generateWebhookSecret();
    const theirs = new Webhook(secret).sign('msg_1', new Date(ts * 1000), body);
    expect(theirs).toBe(standardSignature(secret, 'msg_1', ts, body));
    const verdict = verifyInbound([secret], { 'webhook-id': 'msg_1', 'webhook-timestamp': String(ts), 'webhook-signature': theirs }, Buffer.from(body), ts * 1000, 300_000);
    expect(verdict).toEqual({ ok: true, scheme: 'standard-webhooks', webhookId: 'msg_1' });
  });

  it('one v1 signature per active secret, so receivers mid-rotation verify with either', () => {
    const [newer, older] = [generateWebhookSecret(), generateWebhookSecret()];
    const now = Math.floor(Date.now() / 1000);
    const h = signDelivery([newer, older], 'evt_2', now, body);
    expect(h['webhook-signature'].split(' ')).toHaveLength(2);
    for (const s of [newer, older]) {
      expect(() => new Webhook(s).verify(body, { 'webhook-id': 'evt_2', 'webhook-timestamp': String(now), 'webhook-signature': h['webhook-signature'] })).not.toThrow();
    }
    expect(() => new Webhook(generateWebhookSecret()).verify(body, { 'webhook-id': 'evt_2', 'webhook-timestamp': String(now), 'webhook-signature': h['webhook-signature'] })).toThrow();
  });

  it('X-Signature is sha256=<hex HMAC of the body> with the newest secret', () => {
    const [newer, older] = [generateWebhookSecret(), generateWebhookSecret()];
    const h = signDelivery([newer, older], 'evt_3', ts, body);
    expect(h['x-signature']).toBe('sha256=' + createHmac('sha256', secretKeyBytes(newer)).update(body).digest('hex'));
    expect(plainSignature(newer, Buffer.from(body))).toBe(h['x-signature']);
  });

  it('refuses to sign without a secret', () => {
    expect(() => signDelivery([], 'evt_4', ts, body)).toThrow(/no active signing secret/);
  });
});
