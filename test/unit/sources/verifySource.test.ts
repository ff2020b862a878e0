import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { SourceVerification } from '../../../src/sources/sourceSchemas';
import { twilioSignedContent } from '../../../src/sources/verifiers/twilio';
import { verifySource } from '../../../src/sources/verifySource';

const now = Date.now();
const input = (headers: Record<string, string>, body: string, url = 'https://x.example/') => ({ headers, body: Buffer.from(body), nowMs: now, url });
const config = (v: Record<string, unknown>) => SourceVerification.parse(v);

describe('source verifiers', () => {
  it("twilio: the worked example of Twilio's security page verifies (auth token 12345)", () => {
    // https://www.twilio.com/docs/usage/webhooks/webhooks-security: this URL and these params sign as GvWf1cFY/Q7PnoempGyD5oXAezc=
    const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
    const body = 'CallSid=CA1234567890ABCDE&Caller=%2B14158675310&Digits=1234&From=%2B14158675310&To=%2B18005551212';
    const verdict = verifySource(config({ scheme: 'twilio' }), ['12345'], input({ 'x-twilio-signature': 'GvWf1cFY/Q7PnoempGyD5oXAezc=' }, body, url));
    expect(verdict).toEqual({ ok: true });
    const tampered = body.replace('Digits=1234', 'Digits=9999');
    expect(verifySource(config({ scheme: 'twilio' }), ['12345'], input({ 'x-twilio-signature': 'GvWf1cFY/Q7PnoempGyD5oXAezc=' }, tampered, url)).ok).toBe(false);
    expect(twilioSignedContent('u', [['b', '2'], ['a', '1']])).toBe('ua1b2');
  });

  it('standard webhooks: svix-* and webhook-* headers, signed by the reference package', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = '{"type":"call.completed"}';
    const sig = new Webhook(secret).sign('msg_1', new Date(now), body);
    const ts = String(Math.floor(now / 1000));
    for (const family of ['svix', 'webhook']) {
      const headers = { [`${family}-id`]: 'msg_1', [`${family}-timestamp`]: ts, [`${family}-signature`]: sig };
      expect(verifySource(config({ scheme: 'standard_webhooks' }), [secret], input(headers, body))).toEqual({ ok: true, webhookId: 'msg_1' });
    }
    const stale = { 'svix-id': 'msg_1', 'svix-timestamp': String(Math.floor(now / 1000) - 301), 'svix-signature': sig };
    expect(verifySource(config({ scheme: 'standard_webhooks' }), [secret], input(stale, body))).toMatchObject({ ok: false, code: 'stale_timestamp' });
    expect(verifySource(config({ scheme: 'standard_webhooks', tolerance_seconds: 600 }), [secret], input(stale, body)).ok).toBe(false); // signature covers the timestamp
  });

  it('hmac: Stripe key_value_list with two v1 entries (rotation) and a stale t', () => {
    const v = config({ scheme: 'hmac', header: 'Stripe-Signature', header_format: 'key_value_list', signed: 'timestamp_body' });
    const body = '{"id":"evt_1"}';
    const t = Math.floor(now / 1000);
    const mac = (s: string, ts = t) => createHmac('sha256', s).update(`${ts}.${body}`).digest('hex');
    expect(verifySource(v, ['whsec_old', 'whsec_new'], input({ 'stripe-signature': `t=${t},v1=${mac('whsec_other')},v1=${mac('whsec_new')}` }, body))).toEqual({ ok: true });
    expect(verifySource(v, ['whsec_new'], input({ 'stripe-signature': `t=${t - 400},v1=${mac('whsec_new', t - 400)}` }, body))).toMatchObject({ ok: false, code: 'stale_timestamp' });
    expect(verifySource(v, ['whsec_new'], input({ 'stripe-signature': `t=${t}` }, body))).toMatchObject({ ok: false, code: 'malformed_signature_headers' });
  });

  it('hmac: sha1 / sha512, base64, prefix and a timestamp header', () => {
    const body = 'payload';
    const v = config({ scheme: 'hmac', header: 'X-Sig', algorithm: 'sha512', encoding: 'base64', prefix: 'v0=', signed: 'timestamp_body', timestamp_header: 'X-Ts', separator: ':' });
    const ts = String(Math.floor(now / 1000));
    const sig = createHmac('sha512', 'k').update(`${ts}:${body}`).digest('base64');
    expect(verifySource(v, ['k'], input({ 'x-sig': `v0=${sig}`, 'x-ts': ts }, body))).toEqual({ ok: true });
    expect(verifySource(v, ['k'], input({ 'x-sig': sig, 'x-ts': ts }, body))).toMatchObject({ ok: false, code: 'malformed_signature_headers' });
    const sha1 = config({ scheme: 'hmac', header: 'X-Sig', algorithm: 'sha1' });
    expect(verifySource(sha1, ['k'], input({ 'x-sig': createHmac('sha1', 'k').update(body).digest('hex') }, body))).toEqual({ ok: true });
  });

  it('basic and token: wrong credentials and missing headers are told apart', () => {
    const b = config({ scheme: 'basic', username: 'u' });
    const auth = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
    expect(verifySource(b, ['p:w'], input(auth('u', 'p:w'), ''))).toEqual({ ok: true });
    expect(verifySource(b, ['p:w'], input(auth('v', 'p:w'), ''))).toMatchObject({ code: 'invalid_credentials' });
    expect(verifySource(b, ['p:w'], input({}, ''))).toMatchObject({ code: 'missing_signature' });
    const t = config({ scheme: 'token', header: 'X-Api-Key' });
    expect(verifySource(t, ['abc'], input({ 'x-api-key': 'abc' }, ''))).toEqual({ ok: true });
    expect(verifySource(t, ['abc'], input({ 'x-api-key': 'abd' }, ''))).toMatchObject({ code: 'invalid_credentials' });
    expect(verifySource(config({ scheme: 'token' }), ['abc'], input({ authorization: 'Bearer abc' }, ''))).toEqual({ ok: true });
    expect(verifySource(config({ scheme: 'token' }), [], input({ authorization: 'Bearer abc' }, ''))).toMatchObject({ code: 'no_active_secret' });
  });
});
