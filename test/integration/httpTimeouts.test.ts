import { seedPartner } from '../support/fixtures';
import { rawExchange } from '../support/rawHttp';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * The server's own timeouts (HTTP_HEADERS_TIMEOUT, HTTP_REQUEST_TIMEOUT), set small here: a
 * client that declares a body and stops sending, or never finishes its headers, is answered and
 * cut off by them. Node's defaults would hold such a connection for 300 s (checked every 30 s),
 * so each exchange waits up to 60 s for the server to close: a deadline for convergence, far
 * beyond the configured second, not a measurement.
 */
const DEADLINE_MS = 60_000;
const OVER_ONE_MIB = 1024 * 1024 + 1;

describe('HTTP timeouts: slow or stalled requests are answered and closed', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false, env: { HTTP_HEADERS_TIMEOUT: '500ms', HTTP_REQUEST_TIMEOUT: '1s' } });
    partner = await seedPartner(stack);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const head = (path: string, length: number, extra = '') =>
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n${extra}\r\n`;

  it('ingest: a declared 1 MiB+1 body that never comes is refused (413) and the connection closed', async () => {
    const res = await rawExchange(stack.server.port, [head(`/v1/webhooks/${partner.id}`, OVER_ONE_MIB), '{"event":"'], DEADLINE_MS);
    expect(res.closed).toBe(true);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'payload_too_large', message: expect.any(String), details: { limit_bytes: 1048576 } } });
  });

  it('a body under the limit that stops arriving: 408 in the error shape when the request timeout passes, then closed', async () => {
    // Call-log uploads take up to 8 MiB: 1 MiB+1 is within the limit, so the server waits for it.
    const path = `/v1/partners/${partner.id}/voice-sessions`;
    const res = await rawExchange(stack.server.port, [head(path, OVER_ONE_MIB, `Authorization: Bearer ${stack.adminKey}\r\n`), '{"sessions"'], DEADLINE_MS);
    expect(res.closed).toBe(true);
    expect(res.status).toBe(408);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'request_timeout', message: expect.any(String), details: null } });
  });

  it('headers that never finish: 408 in the error shape when the headers timeout passes, then closed', async () => {
    const res = await rawExchange(stack.server.port, ['GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '], DEADLINE_MS);
    expect(res.closed).toBe(true);
    expect(res.status).toBe(408);
    expect(JSON.parse(res.body).error.code).toBe('request_timeout');
  });

  it('a body refused half-read (not the gzip it claims) closes the connection instead of stalling it', async () => {
    // 256 KiB: more than the socket buffers, so the refusal comes before the body is all read.
    const garbage = Buffer.alloc(256 * 1024, 0x41);
    const first = head(`/v1/webhooks/${partner.id}`, garbage.length, 'Content-Encoding: gzip\r\n');
    const next = `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    const res = await rawExchange(stack.server.port, [first, garbage, next], DEADLINE_MS);
    expect(res.closed).toBe(true);
    expect(res.status).toBe(400);
    expect(res.headers['connection']).toBe('close');
    // One answer, the 400: not a connection left waiting for the rest until the request timeout (408).
    expect(res.text.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 400']);
  });

  it('the server keeps serving afterwards', async () => {
    expect((await fetch(`${stack.api}/healthz`)).status).toBe(200);
  });
});
