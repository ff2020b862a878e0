import { seedEndpoint, seedPartner, seedTenant } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * Console sessions and portal links through the HTTP API (the browser journeys are in
 * test/e2e/console.test.ts): the cookie's attributes, CSRF on every cookie-authenticated change,
 * what a session may not do, sign-out, and a portal link's scope, revocation and expiry.
 */
interface Answer {
  status: number;
  body: any;
  setCookie: string | null;
}

describe('console sessions and portal links', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  let tenantA: Awaited<ReturnType<typeof seedTenant>>;
  let tenantB: Awaited<ReturnType<typeof seedTenant>>;
  let endpointA: { id: string };

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    partner = await seedPartner(stack, 'Console Voice');
    tenantA = await seedTenant(stack, partner.id, 'Clinic A');
    tenantB = await seedTenant(stack, partner.id, 'Clinic B');
    endpointA = await seedEndpoint(stack, partner.id, tenantA.id, { url: 'http://127.0.0.1:9/hook' });
  });
  afterAll(async () => stack?.close());

  async function send(method: string, path: string, opts: { cookie?: string; key?: string; csrf?: string; origin?: string; body?: unknown } = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (opts.cookie) headers['cookie'] = `switchboard_session=${opts.cookie}`;
    if (opts.key) headers['authorization'] = `Bearer ${opts.key}`;
    if (opts.csrf) headers['x-csrf-token'] = opts.csrf;
    if (opts.origin) headers['origin'] = opts.origin;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${stack.api}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, setCookie: res.headers.get('set-cookie') };
  }

  async function signIn(body: Record<string, string>): Promise<{ cookie: string; csrf: string; answer: Answer }> {
    const answer = await send('POST', '/v1/console/sessions', { body, origin: stack.api });
    expect(answer.status).toBe(201);
    const cookie = /switchboard_session=([^;]+)/.exec(answer.setCookie ?? '')![1]!;
    return { cookie, csrf: answer.body.csrf_token, answer };
  }

  it('a key signs in once: an HttpOnly SameSite=Strict cookie, scoped like the key', async () => {
    const { cookie, answer } = await signIn({ api_key: tenantA.api_key });
    expect(answer.setCookie).toMatch(/^switchboard_session=[A-Za-z0-9_-]{40,}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=(3600|3599)$/);
    expect(answer.body).toMatchObject({ principal: { kind: 'tenant', tenant_id: tenantA.id, via: 'console_session' }, csrf_token: expect.any(String) });
    expect(JSON.stringify(answer.body)).not.toContain(tenantA.api_key);
    expect((await send('GET', `/v1/tenants/${tenantA.id}`, { cookie })).status).toBe(200);
    expect((await send('GET', `/v1/tenants/${tenantB.id}`, { cookie })).status).toBe(404);
    expect((await send('GET', '/v1/tenants', { cookie })).status).toBe(403);
    expect((await send('GET', '/v1/console/session', { cookie })).body).toMatchObject({ principal: { tenant_id: tenantA.id }, csrf_token: answer.body.csrf_token });
    // Only the hash is stored.
    const rows = await stack.core.database.db.selectFrom('console_sessions').select(['token_hash']).execute();
    expect(rows.map((r) => r.token_hash)).not.toContain(cookie);
  });

  it('refuses the admin key, unknown keys, cross-origin sign-in and malformed bodies', async () => {
    expect((await send('POST', '/v1/console/sessions', { body: { api_key: stack.adminKey } })).status).toBe(403);
    expect((await send('POST', '/v1/console/sessions', { body: { api_key: 'sk_tenant_nope' } })).status).toBe(401);
    const crossSite = await send('POST', '/v1/console/sessions', { body: { api_key: tenantA.api_key }, origin: 'https://evil.example' });
    expect(crossSite).toMatchObject({ status: 403, setCookie: null });
    expect((await send('POST', '/v1/console/sessions', { body: {} })).status).toBe(422);
    expect((await send('POST', '/v1/console/sessions', { body: { api_key: tenantA.api_key, portal_token: 'pl_x' } })).status).toBe(422);
  });

  it('every cookie-authenticated change needs the CSRF token and a same-origin Origin', async () => {
    const { cookie, csrf } = await signIn({ api_key: tenantA.api_key });
    const path = `/v1/tenants/${tenantA.id}/endpoints/${endpointA.id}`;
    const description = async () => (await send('GET', path, { cookie })).body.description;
    const before = await description();
    expect((await send('PATCH', path, { cookie, body: { description: 'no token' } })).status).toBe(403);
    expect((await send('PATCH', path, { cookie, csrf: 'wrong', body: { description: 'wrong token' } })).status).toBe(403);
    expect((await send('PATCH', path, { cookie, csrf, origin: 'https://evil.example', body: { description: 'foreign origin' } })).status).toBe(403);
    expect(await description()).toBe(before);
    expect((await send('PATCH', path, { cookie, csrf, origin: stack.api, body: { description: 'from the console' } })).status).toBe(200);
    expect(await description()).toBe('from the console');
    // A key is judged by the key alone: no CSRF token needed (no browser sends it by itself).
    expect((await send('PATCH', path, { key: tenantA.api_key, body: { description: 'by key' } })).status).toBe(200);
  });

  it('a session cannot mint API keys', async () => {
    const { cookie, csrf } = await signIn({ api_key: partner.api_key });
    const res = await send('POST', '/v1/api-keys', { cookie, csrf, body: { scope: 'tenant', tenant_id: tenantA.id } });
    expect(res.status).toBe(403);
    expect((await send('POST', '/v1/api-keys', { key: partner.api_key, body: { scope: 'tenant', tenant_id: tenantA.id } })).status).toBe(201);
  });

  it('sign-out ends the session for good; revoking the key ends its sessions', async () => {
    const { cookie, csrf } = await signIn({ api_key: tenantA.api_key });
    const out = await send('DELETE', '/v1/console/session', { cookie, csrf });
    expect(out.status).toBe(204);
    expect(out.setCookie).toMatch(/^switchboard_session=; Path=\/; HttpOnly; SameSite=Strict; Max-Age=0/);
    expect((await send('GET', `/v1/tenants/${tenantA.id}`, { cookie })).status).toBe(401);

    const created = await send('POST', '/v1/api-keys', { key: partner.api_key, body: { scope: 'tenant', tenant_id: tenantA.id } });
    const second = await signIn({ api_key: created.body.api_key });
    expect((await send('GET', `/v1/tenants/${tenantA.id}`, { cookie: second.cookie })).status).toBe(200);
    expect((await send('DELETE', `/v1/api-keys/${created.body.id}`, { key: partner.api_key })).status).toBe(200);
    expect((await send('GET', `/v1/tenants/${tenantA.id}`, { cookie: second.cookie })).status).toBe(401);
  });

  it("a portal link opens a session for its tenant only, and revoking it ends that session", async () => {
    const link = await send('POST', '/v1/portal-links', { key: partner.api_key, body: { tenant_id: tenantA.id, expires_in_seconds: 600 } });
    expect(link.status).toBe(201);
    expect(link.body.url).toBe(`${stack.api}/console/#portal=${link.body.token}`);
    const { cookie, answer } = await signIn({ portal_token: link.body.token });
    expect(answer.body.principal).toEqual({ kind: 'tenant', partner_id: partner.id, tenant_id: tenantA.id, via: 'portal_session' });
    // The session ends with the link at the latest.
    expect(Date.parse(answer.body.expires_at)).toBeLessThanOrEqual(Date.parse(link.body.expires_at));
    expect((await send('GET', `/v1/tenants/${tenantA.id}/endpoints`, { cookie })).status).toBe(200);
    expect((await send('GET', `/v1/tenants/${tenantB.id}/endpoints`, { cookie })).status).toBe(404);
    expect((await send('GET', '/v1/tenants', { cookie })).status).toBe(403);
    expect((await send('GET', '/v1/portal-links', { cookie })).status).toBe(403);

    expect((await send('DELETE', `/v1/portal-links/${link.body.id}`, { key: partner.api_key })).status).toBe(200);
    expect((await send('GET', `/v1/tenants/${tenantA.id}`, { cookie })).status).toBe(401);
    expect((await send('POST', '/v1/console/sessions', { body: { portal_token: link.body.token } })).status).toBe(401);
  });

  it('an expired portal link opens nothing, and sessions opened with it end', async () => {
    const link = await send('POST', '/v1/portal-links', { key: partner.api_key, body: { tenant_id: tenantA.id } });
    const { cookie } = await signIn({ portal_token: link.body.token });
    expect((await send('GET', `/v1/tenants/${tenantA.id}`, { cookie })).status).toBe(200);
    // Expiry without waiting: the link's expiry moves into the past, as time would move it.
    await stack.core.database.db.updateTable('portal_links').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', link.body.id).execute();
    expect((await send('GET', `/v1/tenants/${tenantA.id}`, { cookie })).status).toBe(401);
    expect((await send('POST', '/v1/console/sessions', { body: { portal_token: link.body.token } })).status).toBe(401);
    expect((await send('POST', '/v1/portal-links', { key: partner.api_key, body: { tenant_id: tenantA.id, expires_in_seconds: 86_401 } })).status).toBe(422);
    expect((await send('POST', '/v1/portal-links', { key: tenantA.api_key, body: { tenant_id: tenantA.id } })).status).toBe(403);
  });

  it('serves the console with a strict Content-Security-Policy', async () => {
    const res = await fetch(`${stack.api}/console/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const html = await res.text();
    expect(html).not.toMatch(/<script>|<script [^>]*>[^<]|style=|https?:\/\//);
  });
});
