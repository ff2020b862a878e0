import { request } from 'node:http';
import { rawExchange } from '../support/rawHttp';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * Every error the server writes has the documented shape, `{"error":{"code","message","details"}}`
 * with `details` present: route errors, unknown routes, methods a path does not document (405 +
 * Allow), bodies refused unread, and the refusals of Node's own HTTP parser.
 */
type ErrorBody = { error: { code: string; message: string; details: unknown } };

function expectErrorShape(body: unknown, code: string): void {
  expect(Object.keys(body as object)).toEqual(['error']);
  const { error } = body as ErrorBody;
  expect(Object.keys(error).sort()).toEqual(['code', 'details', 'message']);
  expect(error).toEqual({ code, message: expect.any(String), details: error.details === null ? null : expect.any(Object) });
}

describe('the error shape, everywhere', () => {
  let stack: TestStack;
  let doc: { paths: Record<string, Record<string, unknown>> };

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    doc = (await (await fetch(`${stack.api}/openapi.json`)).json()) as typeof doc;
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** node:http rather than fetch, which refuses to send TRACE. */
  const call = (method: string, path: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
    new Promise<{ status: number; headers: Map<string, string>; body: unknown }>((resolve, reject) => {
      const req = request(`${stack.api}${path}`, { method, headers: init.headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers = new Map(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
          resolve({ status: res.statusCode!, headers, body: text ? (JSON.parse(text) as unknown) : undefined });
        });
      });
      req.on('error', reject);
      req.end(init.body);
    });
  const admin = { authorization: '' };
  beforeAll(() => {
    admin.authorization = `Bearer ${stack.adminKey}`;
  });

  it.each([
    ['POST', '/v1/webhooks/%zz'],
    ['POST', '/v1/webhooks/%ff'],
    ['GET', '/v1/tenants/%zz'],
    ['GET', '/v1/tenants/%E2%82/endpoints'],
    ['DELETE', '/v1/api-keys/%'],
    ['GET', '/v1/events/%zz'],
  ])('%s %s: undecodable path -> 400 before any key is needed', async (method, path) => {
    const res = await call(method, path);
    expect(res.status).toBe(400);
    expectErrorShape(res.body, 'bad_request');
    // With a key, still the same 400 (the path is refused before anything else).
    expect((await call(method, path, { headers: admin })).status).toBe(400);
  });

  it('unknown routes: 404 in the shape, details null', async () => {
    for (const path of ['/nope', '/v1/nope/%00', '/v1/tenants/ten_x/nothing']) {
      const res = await call('GET', path, { headers: admin });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: { code: 'not_found', message: expect.stringContaining('no route'), details: null } });
    }
  });

  it('a method the path does not document: 405 with Allow, in the shape, on every documented path', async () => {
    const documented = Object.entries(doc.paths);
    expect(documented.length).toBeGreaterThanOrEqual(30);
    for (const [template, ops] of documented) {
      const path = template.replace(/\{[a-z_]+\}/g, 'x_1');
      const allowed = Object.keys(ops).map((m) => m.toUpperCase());
      for (const method of ['TRACE', 'PUT', 'PATCH', 'DELETE', 'POST', 'GET', 'QUERY'].filter((m) => !allowed.includes(m))) {
        const res = await call(method, path, { headers: admin });
        expect({ method, template, status: res.status }).toEqual({ method, template, status: 405 });
        const allow = (res.headers.get('allow') ?? '').split(', ');
        expect(allow).toEqual(expect.arrayContaining(allowed));
        expect(allow).not.toContain(method);
        expectErrorShape(res.body, 'method_not_allowed');
      }
    }
  });

  it('TRACE on a known path is a 405 naming what is allowed, not a 404', async () => {
    const res = await call('TRACE', '/v1/webhooks/ptn_x');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    // A refusal of a request without a body keeps the connection (only a half-read body closes it).
    expect(res.headers.get('connection')).toBe('keep-alive');
    expect(res.body).toEqual({ error: { code: 'method_not_allowed', message: expect.stringContaining('TRACE'), details: { allowed: ['POST'] } } });
  });

  it('401, 403, 404, 413, 415 and 422 carry details (null when there is nothing to add)', async () => {
    const noKey = await call('GET', '/v1/tenants');
    expect(noKey.status).toBe(401);
    expect(noKey.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String), details: null } });

    const partner = (await call('POST', '/v1/partners', { headers: { ...admin, 'content-type': 'application/json' }, body: '{"name":"P"}' })).body as { api_key: string };
    const forbidden = await call('POST', '/v1/partners', { headers: { authorization: `Bearer ${partner.api_key}`, 'content-type': 'application/json' }, body: '{"name":"Q"}' });
    expect(forbidden.status).toBe(403);
    expectErrorShape(forbidden.body, 'forbidden');

    const missing = await call('GET', '/v1/tenants/ten_missing', { headers: admin });
    expect(missing.status).toBe(404);
    expectErrorShape(missing.body, 'not_found');

    const tooBig = await call('POST', '/v1/partners', { headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body).toEqual({ error: { code: 'payload_too_large', message: expect.any(String), details: { limit_bytes: 1048576 } } });

    const wrongType = await call('POST', '/v1/partners', { headers: { ...admin, 'content-type': 'text/plain' }, body: '{"name":"P"}' });
    expect(wrongType.status).toBe(415);
    expectErrorShape(wrongType.body, 'unsupported_media_type');

    const invalid = await call('GET', '/v1/tenants?limit=0', { headers: admin });
    expect(invalid.status).toBe(422);
    expect(invalid.body).toEqual({ error: { code: 'validation_failed', message: expect.any(String), details: [{ field: 'limit', message: expect.any(String) }] } });
  });

  it("Node's parser refusals: 431 for oversized headers, 400 for malformed HTTP, both in the shape", async () => {
    const big = await rawExchange(stack.server.port, [`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`], 30_000);
    expect(big.status).toBe(431);
    expect(big.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(big.body)).toEqual({ error: { code: 'headers_too_large', message: expect.any(String), details: null } });

    const garbage = await rawExchange(stack.server.port, ['HELLO / WORLD\r\n\r\n'], 30_000);
    expect(garbage.status).toBe(400);
    expect(JSON.parse(garbage.body)).toEqual({ error: { code: 'bad_request', message: expect.any(String), details: null } });

    const badLength = await rawExchange(stack.server.port, ['POST /v1/partners HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n'], 30_000);
    expect(badLength.status).toBe(400);
    expectErrorShape(JSON.parse(badLength.body), 'bad_request');
  });
});
