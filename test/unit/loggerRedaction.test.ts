import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';

function capture() {
  const lines: string[] = [];
  const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
  return { log: createLogger('info', {}, sink), text: () => lines.join('') };
}

/** Censoring is a safety net: credentials that reach a log line by mistake are printed censored. */
describe('logger redaction of credentials', () => {
  it('censors Basic, bearer, API-key and OAuth2 credentials and the sealed options', () => {
    const { log, text } = capture();
    log.info({
      body: {
        auth: { type: 'oauth2_client_credentials', client_secret: 'cs-1', key: 'k-1' },
        password: 'pw-1',
      },
      auth: { type: 'api_key', key: 'k-2', token: 'tok-1' },
      reply: { access_token: 'at-1' },
      row: { delivery_auth_sealed: 'v1.sealed' },
    }, 'oops');
    for (const secret of ['cs-1', 'k-1', 'k-2', 'pw-1', 'tok-1', 'at-1', 'v1.sealed']) expect(text()).not.toContain(secret);
    expect(text()).toContain('[redacted]');
  });

  it('censors request headers, top-level secrets and fields inside arrays, and keeps everything else', () => {
    const { log, text } = capture();
    log.info({
      secret: 'top-1',
      inbound_secret: 'whsec-1',
      headers: { authorization: 'Bearer b-1', 'webhook-signature': 'v1,s-1', 'x-signature': 'sha256=s-2', 'content-type': 'application/json' },
      endpoints: [{ url: 'http://127.0.0.1/hook', api_key: 'ak-1' }],
      key: 'idem-1',
      when: new Date(0),
    }, 'mistake');
    const line = JSON.parse(text()) as Record<string, unknown>;
    for (const secret of ['top-1', 'whsec-1', 'b-1', 's-1', 's-2', 'ak-1']) expect(text()).not.toContain(secret);
    expect(line).toMatchObject({
      headers: { 'content-type': 'application/json' },
      endpoints: [{ url: 'http://127.0.0.1/hook' }],
      key: 'idem-1',
      when: '1970-01-01T00:00:00.000Z',
      msg: 'mistake',
    });
  });

  it("censors an error's own fields and keeps its type, message and stack", () => {
    const { log, text } = capture();
    const err = Object.assign(new TypeError('boom'), { code: 'E1', password: 'pw-2', request: { headers: { authorization: 'Basic x-1' } } });
    log.error({ err }, 'failed');
    const line = JSON.parse(text()) as { err: Record<string, unknown> };
    expect(text()).not.toContain('pw-2');
    expect(text()).not.toContain('x-1');
    expect(line.err).toMatchObject({ type: 'TypeError', message: 'boom', code: 'E1', password: '[redacted]' });
    expect(line.err['stack']).toContain('boom');
  });

  it('never changes what the caller logged', () => {
    const { log } = capture();
    const err = Object.assign(new Error('boom'), { secret: 's-3' });
    const fields = { headers: { authorization: 'a-1' }, list: [{ token: 't-1' }], err };
    log.info(fields, 'x');
    log.info({ err: { password: 'pw-3' } }, 'y');
    expect(fields.headers.authorization).toBe('a-1');
    expect(fields.list[0]!.token).toBe('t-1');
    expect(err.secret).toBe('s-3');
  });
});
