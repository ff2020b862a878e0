import { apiAs, tenancyRowCounts, type Caller } from '../support/apiClient';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * The admin API reads bodies with ingest's strict reader: JSON in UTF-8 only (never a U+FFFD
 * stored in place of bytes it could not read), no repeated keys, and a body of another media type
 * is a 415 saying so rather than a 422 about a field it could not see. Each refusal writes nothing.
 */
describe('admin API request bodies', () => {
  let stack: TestStack;
  let admin: Caller;
  let partner: { id: string; api_key: string };
  let tenant: { id: string };
  let endpoint: { id: string };

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    admin = apiAs(stack, stack.adminKey);
    partner = (await admin.post('/v1/partners', { name: 'P' })).body;
    tenant = (await apiAs(stack, partner.api_key).post('/v1/tenants', { name: 'Clinic' })).body;
    endpoint = (await apiAs(stack, partner.api_key).post(`/v1/tenants/${tenant.id}/endpoints`, { url: 'http://127.0.0.1:9/hook' })).body;
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Raw bytes with the admin key: fetch, so the body can be anything. */
  const send = async (method: string, path: string, body: Buffer | string | undefined, headers: Record<string, string>) => {
    const res = await fetch(`${stack.api}${path}`, { method, headers: { authorization: `Bearer ${stack.adminKey}`, ...headers }, body });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const json = { 'content-type': 'application/json' };
  /** `{"name":"a<bytes>b"}` with raw bytes that are not UTF-8 (a lone continuation byte, an overlong form). */
  const withBytes = (...bytes: number[]) => Buffer.concat([Buffer.from('{"name":"a'), Buffer.from(bytes), Buffer.from('b"}')]);

  it('invalid UTF-8 -> 400, nothing stored and nothing renamed', async () => {
    const before = await tenancyRowCounts(stack);
    for (const bad of [withBytes(0xff), withBytes(0x80), withBytes(0xc0, 0xaf), withBytes(0xed, 0xa0, 0x80)]) {
      const created = await send('POST', '/v1/partners', bad, json);
      expect(created.status).toBe(400);
      expect(created.body).toEqual({ error: { code: 'invalid_json', message: 'request body is not valid UTF-8', details: null } });
      expect((await send('PATCH', `/v1/tenants/${tenant.id}`, bad, json)).status).toBe(400);
    }
    expect(await tenancyRowCounts(stack)).toEqual(before);
    expect((await admin.get(`/v1/tenants/${tenant.id}`)).body.name).toBe('Clinic');
    const names = await stack.core.database.db.selectFrom('partners').select('name').execute();
    expect(names.some((n) => n.name.includes('\uFFFD'))).toBe(false);
  });

  it('a wrong content type -> 415 naming it, not a 422 about a missing field', async () => {
    const before = await tenancyRowCounts(stack);
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16']) {
      const res = await send('POST', '/v1/partners', '{"name":"P2"}', { 'content-type': contentType });
      expect({ contentType, status: res.status }).toEqual({ contentType, status: 415 });
      expect(res.body.error.code).toBe('unsupported_media_type');
      expect(res.body.error.message).toContain(contentType);
    }
    const none = await send('POST', '/v1/partners', Buffer.from('{"name":"P2"}'), {});
    expect(none.status).toBe(415);
    expect(await tenancyRowCounts(stack)).toEqual(before);
  });

  it('a repeated key anywhere -> 422 naming it; nothing stored', async () => {
    const before = await tenancyRowCounts(stack);
    const top = await send('POST', '/v1/partners', '{"name":"A","name":"B"}', json);
    expect(top.status).toBe(422);
    expect(top.body.error.details).toEqual([{ field: 'name', message: 'duplicate key "name"' }]);
    const nested = await send('PATCH', `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}`, '{"event_types":["call.ended"],"url":"http://127.0.0.1:9/a","url":"http://127.0.0.1:9/b"}', json);
    expect(nested.status).toBe(422);
    expect(nested.body.error.message).toContain('"url"');
    expect(await tenancyRowCounts(stack)).toEqual(before);
  });

  it('JSON that is not an object -> 422 naming the body; malformed JSON -> 400', async () => {
    for (const text of ['"just a string"', '[1,2]', 'null', '42']) {
      const res = await send('POST', '/v1/partners', text, json);
      expect({ text, status: res.status }).toEqual({ text, status: 422 });
      expect(res.body.error.details).toEqual([expect.objectContaining({ field: '(body)' })]);
    }
    expect((await send('POST', '/v1/partners', '{"name": ', json)).status).toBe(400);
  });

  it('a body whose fields are all optional may be omitted (README step 7 sends none)', async () => {
    const path = `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}/rotate-secret`;
    const bare = await send('POST', path, undefined, {});
    expect(bare.status).toBe(200);
    expect(bare.body.secret).toMatch(/^whsec_/);
    // An empty body with any content type is still no body.
    expect((await send('POST', path, '', { 'content-type': 'text/plain' })).status).toBe(200);
    expect((await send('POST', path, '{}', json)).status).toBe(200);
    expect((await send('POST', path, '{"grace_period_seconds":0}', json)).status).toBe(200);
    // A required body cannot be: the 422 names the missing field.
    const noName = await send('POST', '/v1/partners', undefined, {});
    expect(noName.status).toBe(422);
    expect(noName.body.error.details).toEqual([expect.objectContaining({ field: 'name' })]);
  });

  it('JSON spelled as UTF-8 with a charset, a +json type, or gzip-compressed is accepted', async () => {
    expect((await send('POST', '/v1/partners', '{"name":"Ünïcode ✓"}', { 'content-type': 'application/json; charset=utf-8' })).status).toBe(201);
    expect((await send('POST', '/v1/partners', '{"name":"Plus"}', { 'content-type': 'application/merge-patch+json' })).status).toBe(201);
    const { gzipSync } = await import('node:zlib');
    expect((await send('POST', '/v1/partners', gzipSync('{"name":"Zipped"}'), { ...json, 'content-encoding': 'gzip' })).status).toBe(201);
  });
});
