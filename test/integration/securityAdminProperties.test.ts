import fc from 'fast-check';
import { apiAs, tenancyRowCounts, type Caller } from '../support/apiClient';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * Property-based bad input for the admin API: every write route gets bodies that are invalid by
 * construction (unknown field, wrong type, huge value, malformed or truncated JSON, non-object
 * JSON). Each must get a clear 4xx with an error body, never a 5xx, and nothing may be written.
 */
type RouteCase = { name: string; method: 'POST' | 'PATCH'; path: () => string; caller: () => Caller; valid: Record<string, unknown>; stringFields: string[] };

describe('admin API: bad input is refused with a clear 4xx and writes nothing', () => {
  let stack: TestStack;
  let admin: Caller;
  let partner: Caller;
  const ids = {} as { tenant: string; endpoint: string };

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    admin = apiAs(stack, stack.adminKey);
    const p = (await admin.post('/v1/partners', { name: 'P' })).body;
    partner = apiAs(stack, p.api_key);
    ids.tenant = (await partner.post('/v1/tenants', { name: 'T' })).body.id;
    ids.endpoint = (await partner.post(`/v1/tenants/${ids.tenant}/endpoints`, { url: 'http://127.0.0.1:9/x' })).body.id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const routes: RouteCase[] = [
    { name: 'create partner', method: 'POST', path: () => '/v1/partners', caller: () => admin, valid: { name: 'N', ops_webhook_url: 'http://127.0.0.1:9/ops' }, stringFields: ['name', 'ops_webhook_url'] },
    { name: 'create tenant', method: 'POST', path: () => '/v1/tenants', caller: () => partner, valid: { name: 'N', partner_tenant_ref: 'ref-1' }, stringFields: ['name', 'partner_tenant_ref'] },
    { name: 'update tenant', method: 'PATCH', path: () => `/v1/tenants/${ids.tenant}`, caller: () => partner, valid: { name: 'N2' }, stringFields: ['name'] },
    { name: 'add route', method: 'POST', path: () => `/v1/tenants/${ids.tenant}/routes`, caller: () => partner, valid: { kind: 'crm_account_id', value: 'v-1' }, stringFields: ['kind', 'value'] },
    { name: 'create endpoint', method: 'POST', path: () => `/v1/tenants/${ids.tenant}/endpoints`, caller: () => partner, valid: { url: 'http://127.0.0.1:9/y', description: 'd' }, stringFields: ['url', 'description'] },
    { name: 'update endpoint', method: 'PATCH', path: () => `/v1/tenants/${ids.tenant}/endpoints/${ids.endpoint}`, caller: () => partner, valid: { url: 'http://127.0.0.1:9/z', description: 'd' }, stringFields: ['url', 'description'] },
    { name: 'create api key', method: 'POST', path: () => '/v1/api-keys', caller: () => partner, valid: { scope: 'tenant', tenant_id: ids.tenant }, stringFields: ['scope', 'tenant_id'] },
  ];

  /** A body (raw text) that is invalid for `r` by construction, and why. */
  function badBody(r: RouteCase): fc.Arbitrary<{ why: string; text: string }> {
    const known = new Set([...Object.keys(r.valid), 'partner_id', 'enabled', 'event_types', 'max_attempts', 'rate_limit_per_second', 'secret']);
    const field = fc.constantFrom(...r.stringFields);
    const wrongType = fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }));
    return fc.oneof(
      fc
        .tuple(fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !known.has(k) && k !== '__proto__'), fc.jsonValue())
        .map(([k, v]) => ({ why: `unknown field ${JSON.stringify(k)}`, text: JSON.stringify({ ...r.valid, [k]: v }) })),
      fc.tuple(field, wrongType).map(([f, v]) => ({ why: `wrong type for ${f}`, text: JSON.stringify({ ...r.valid, [f]: v }) })),
      fc.tuple(field, fc.integer({ min: 10_000, max: 200_000 })).map(([f, n]) => ({ why: `huge ${f}`, text: JSON.stringify({ ...r.valid, [f]: 'x'.repeat(n) }) })),
      fc.nat().map((n) => {
        const full = JSON.stringify(r.valid);
        return { why: 'truncated JSON', text: full.slice(0, 1 + (n % (full.length - 1))) };
      }),
      fc.string({ minLength: 1, maxLength: 30 }).map((s) => ({ why: 'garbage', text: `{${s}` })),
      fc.oneof(fc.array(fc.jsonValue(), { maxLength: 3 }), fc.integer(), fc.string(), fc.constant(null)).map((v) => ({ why: 'not an object', text: JSON.stringify(v) })),
    );
  }

  it.each(routes.map((r) => [r.name, r] as const))('%s', async (_name, r) => {
    const before = await tenancyRowCounts(stack);
    const snapshot = async () => [(await partner.get(`/v1/tenants/${ids.tenant}`)).text, (await partner.get(`/v1/tenants/${ids.tenant}/endpoints/${ids.endpoint}`)).text];
    const rowsBefore = await snapshot();
    await fc.assert(
      fc.asyncProperty(badBody(r), async ({ why, text }) => {
        const res = await r.caller().raw(r.method, r.path(), text);
        expect({ why, status: res.status >= 400 && res.status < 500 ? '4xx' : res.status }).toEqual({ why, status: '4xx' });
        expect(typeof res.body?.error?.code).toBe('string');
        expect(typeof res.body?.error?.message).toBe('string');
      }),
      { numRuns: 60 },
    );
    // A 2 MB body: refused before parsing.
    const big = await r.caller().raw(r.method, r.path(), JSON.stringify({ ...r.valid, pad: 'x'.repeat(2_000_000) }));
    expect(big.status).toBe(413);
    expect(await tenancyRowCounts(stack)).toEqual(before);
    expect(await snapshot()).toEqual(rowsBefore); // updates changed nothing either
  });

  it('list routes: bad query strings (limit out of range or not a number, bad cursor, unknown or repeated params) -> 4xx, never 5xx', async () => {
    const lists = ['/v1/partners', '/v1/tenants', '/v1/api-keys', () => `/v1/tenants/${ids.tenant}/endpoints`]; // (the routing map list takes no query: it ignores one)
    const badQuery = fc.oneof(
      fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 501 }), fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true })).map((n) => `limit=${n}`),
      fc.string({ minLength: 1, maxLength: 12 }).filter((v) => !/^\s*\d+(\.0*)?\s*$/.test(v)).map((v) => `limit=${encodeURIComponent(v)}`),
      fc.integer({ min: 1, max: 500 }).map((n) => `limit=${n}&limit=${n}`),
      fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== 'limit' && k !== 'after' && k !== 'partner_id').map((k) => `${encodeURIComponent(k)}=1`),
      fc.constantFrom('after=%00', `after=${'x'.repeat(5000)}`, 'after[]=a', 'limit[x]=1'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...lists), badQuery, async (list, q) => {
        const path = typeof list === 'string' ? list : list();
        const res = await (path.startsWith('/v1/partners') ? admin : partner).get(`${path}?${q}`);
        expect({ q, path, status: res.status >= 400 && res.status < 500 ? '4xx' : res.status }).toEqual({ q, path, status: '4xx' });
        expect(typeof res.body?.error?.code).toBe('string');
      }),
      { numRuns: 200 },
    );
  });
});
