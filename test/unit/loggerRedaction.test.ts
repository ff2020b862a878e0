import { Writable } from 'node:stream';
import { createLogger } from '../../src/logger';

/** The redact list is a safety net: an endpoint's credentials that reach a log line by mistake are censored. */
describe('logger redaction of endpoint credentials', () => {
  it('censors Basic, bearer, API-key and OAuth2 credentials and the sealed options', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const log = createLogger('info', {}, sink);
    log.info({
      body: {
        auth: { type: 'oauth2_client_credentials', client_secret: 'cs-1', key: 'k-1' },
        password: 'pw-1',
      },
      auth: { type: 'api_key', key: 'k-2', token: 'tok-1' },
      reply: { access_token: 'at-1' },
      row: { delivery_auth_sealed: 'v1.sealed' },
    }, 'oops');
    const text = lines.join('');
    for (const secret of ['cs-1', 'k-2', 'pw-1', 'tok-1', 'at-1', 'v1.sealed']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });
});
