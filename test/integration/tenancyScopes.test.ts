import { apiAs, type ApiResponse } from '../support/apiClient';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * The scope matrix: every tenancy route x {no key, revoked key, admin, partner A, partner B,
 * tenant A1, tenant A2 (same partner), tenant B1}. Only the intended callers succeed; everyone else
 * gets 401/403/404 with an error body and none of partner A's ids or secrets.
 */
type Who = 'none' | 'revoked' | 'admin' | 'pA' | 'pB' | 'tA1' | 'tA2' | 'tB1';
const EVERYONE: Who[] = ['none', 'revoked', 'admin', 'pA', 'pB', 'tA1', 'tA2', 'tB1'];

describe('tenancy scope boundaries', () => {
  let stack: TestStack;
  const keys = {} as Record<Who, string | null>;
  const ids = {} as {
    pA: string;
    pB: string;
    tA1: string;
    tA2: string;
    tB1: string;
    epA1: string;
    epB1: string;
    routeA1: string;
    keyA1: string;
    secretA: string;
    secretEpA1: string;
  };
  let n = 0;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    const admin = apiAs(stack, stack.adminKey);
    const pA = (await admin.post('/v1/partners', { name: 'A' })).body;
    const pB = (await admin.post('/v1/partners', { name: 'B' })).body;
    const A = apiAs(stack, pA.api_key);
    const B = apiAs(stack, pB.api_key);
    const tA1 = (await A.post('/v1/tenants', { name: 'A1', partner_tenant_ref: 'a1' })).body;
    const tA2 = (await A.post('/v1/tenants', { name: 'A2' })).body;
    const tB1 = (await B.post('/v1/tenants', { name: 'B1' })).body;
    const epA1 = (await A.post(`/v1/tenants/${tA1.id}/endpoints`, { url: 'http://127.0.0.1:9/a1' })).body;
    const epB1 = (await B.post(`/v1/tenants/${tB1.id}/endpoints`, { url: 'http://127.0.0.1:9/b1' })).body;
    const routeA1 = (await A.get(`/v1/tenants/${tA1.id}/routes`)).body.data[0];
    const revoked = (await A.post('/v1/api-keys', { scope: 'partner' })).body;
    expect((await A.delete(`/v1/api-keys/${revoked.id}`)).status).toBe(200);
    const keyA1 = (await A.post('/v1/api-keys', { scope: 'tenant', tenant_id: tA1.id })).body;
    Object.assign(keys, { none: null, revoked: revoked.api_key, admin: stack.adminKey, pA: pA.api_key, pB: pB.api_key, tA1: tA1.api_key, tA2: tA2.api_key, tB1: tB1.api_key });
    Object.assign(ids, {
      pA: pA.id,
      pB: pB.id,
      tA1: tA1.id,
      tA2: tA2.id,
      tB1: tB1.id,
      epA1: epA1.id,
      epB1: epB1.id,
      routeA1: routeA1.id,
      keyA1: keyA1.id,
      secretA: pA.inbound_secret,
      secretEpA1: epA1.secret,
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** A's identifiers that must never reach a caller outside A. */
  function secretsOfA(): string[] {
    return [ids.pA, ids.tA1, ids.tA2, ids.epA1, ids.routeA1, ids.keyA1, ids.secretA, ids.secretEpA1, keys.pA!, keys.tA1!];
  }

  function assertNoLeak(who: Who, label: string, res: ApiResponse) {
    if (res.status >= 400) {
      expect({ label, who, keys: Object.keys(res.body ?? {}) }).toEqual({ label, who, keys: ['error'] });
    }
    if (who === 'pB' || who === 'tB1' || who === 'tA2' || res.status >= 400) {
      // tA2 shares partner A but must not see tenant A1's things either.
      const forbidden = who === 'tA2' ? [ids.tA1, ids.epA1, ids.routeA1, ids.keyA1, ids.secretEpA1, keys.tA1!] : secretsOfA();
      for (const s of forbidden) expect({ label, who, leaked: res.text.includes(s) ? s : null }).toEqual({ label, who, leaked: null });
    }
  }

  type Case = {
    label: string;
    /** Expected status per caller; callers not listed must get `otherwise`. */
    expect: Partial<Record<Who, number>>;
    run: (who: Who) => Promise<ApiResponse>;
  };

  const call = (who: Who) => apiAs(stack, keys[who]);
  const uniq = () => `v${++n}`;

  const cases = (): Case[] => [
    { label: 'POST /v1/partners', expect: { admin: 201 }, run: (w) => call(w).post('/v1/partners', { name: uniq() }) },
    { label: 'GET /v1/partners', expect: { admin: 200, pA: 200, pB: 200 }, run: (w) => call(w).get('/v1/partners') },
    { label: 'GET /v1/partners/A', expect: { admin: 200, pA: 200, pB: 404 }, run: (w) => call(w).get(`/v1/partners/${ids.pA}`) },
    {
      label: 'POST /v1/partners/A/rotate-secret',
      expect: { admin: 200, pA: 200, pB: 404 },
      run: (w) => call(w).post(`/v1/partners/${ids.pA}/rotate-secret`, { grace_period_seconds: 3600 }),
    },
    { label: 'POST /v1/tenants (for A)', expect: { admin: 201, pA: 201, pB: 404 }, run: (w) => call(w).post('/v1/tenants', { name: uniq(), partner_id: ids.pA }) },
    { label: 'GET /v1/tenants', expect: { admin: 200, pA: 200, pB: 200 }, run: (w) => call(w).get('/v1/tenants') },
    { label: 'GET /v1/tenants?partner_id=A', expect: { admin: 200, pA: 200, pB: 200 }, run: (w) => call(w).get(`/v1/tenants?partner_id=${ids.pA}`) },
    { label: 'GET /v1/tenants/A1', expect: { admin: 200, pA: 200, pB: 404, tA1: 200, tA2: 404, tB1: 404 }, run: (w) => call(w).get(`/v1/tenants/${ids.tA1}`) },
    { label: 'PATCH /v1/tenants/A1', expect: { admin: 200, pA: 200, pB: 404 }, run: (w) => call(w).patch(`/v1/tenants/${ids.tA1}`, { name: 'A1' }) },
    {
      label: 'DELETE /v1/tenants/:id',
      expect: { admin: 204, pA: 204, pB: 404 },
      run: async (w) => {
        // Allowed callers delete a throwaway tenant of A; the rest try A1 itself (which must survive).
        const target = w === 'admin' || w === 'pA' ? (await call('pA').post('/v1/tenants', { name: uniq() })).body.id : ids.tA1;
        return call(w).delete(`/v1/tenants/${target}`);
      },
    },
    {
      label: 'POST /v1/tenants/A1/routes',
      expect: { admin: 201, pA: 201, pB: 404 },
      run: (w) => call(w).post(`/v1/tenants/${ids.tA1}/routes`, { kind: 'crm_account_id', value: uniq() }),
    },
    { label: 'GET /v1/tenants/A1/routes', expect: { admin: 200, pA: 200, pB: 404 }, run: (w) => call(w).get(`/v1/tenants/${ids.tA1}/routes`) },
    {
      label: 'DELETE /v1/tenants/A1/routes/:id',
      expect: { admin: 204, pA: 204, pB: 404 },
      run: async (w) => {
        const target =
          w === 'admin' || w === 'pA'
            ? (await call('pA').post(`/v1/tenants/${ids.tA1}/routes`, { kind: 'call_id', value: uniq() })).body.id
            : ids.routeA1;
        return call(w).delete(`/v1/tenants/${ids.tA1}/routes/${target}`);
      },
    },
    {
      label: 'POST /v1/tenants/A1/endpoints',
      expect: { admin: 201, pA: 201, pB: 404, tA1: 201, tA2: 404, tB1: 404 },
      run: (w) => call(w).post(`/v1/tenants/${ids.tA1}/endpoints`, { url: `http://127.0.0.1:9/${uniq()}` }),
    },
    {
      label: 'GET /v1/tenants/A1/endpoints',
      expect: { admin: 200, pA: 200, pB: 404, tA1: 200, tA2: 404, tB1: 404 },
      run: (w) => call(w).get(`/v1/tenants/${ids.tA1}/endpoints`),
    },
    {
      label: 'GET /v1/tenants/A1/endpoints/epA1',
      expect: { admin: 200, pA: 200, pB: 404, tA1: 200, tA2: 404, tB1: 404 },
      run: (w) => call(w).get(`/v1/tenants/${ids.tA1}/endpoints/${ids.epA1}`),
    },
    {
      label: "GET B1's endpoint under A1's path",
      expect: { admin: 404, pA: 404, pB: 404, tA1: 404, tA2: 404, tB1: 404 },
      run: (w) => call(w).get(`/v1/tenants/${ids.tA1}/endpoints/${ids.epB1}`),
    },
    {
      label: 'PATCH /v1/tenants/A1/endpoints/epA1',
      expect: { admin: 200, pA: 200, pB: 404, tA1: 200, tA2: 404, tB1: 404 },
      run: (w) => call(w).patch(`/v1/tenants/${ids.tA1}/endpoints/${ids.epA1}`, { description: uniq() }),
    },
    {
      label: 'POST /v1/tenants/A1/endpoints/epA1/rotate-secret',
      expect: { admin: 200, pA: 200, pB: 404, tA1: 200, tA2: 404, tB1: 404 },
      run: (w) => call(w).post(`/v1/tenants/${ids.tA1}/endpoints/${ids.epA1}/rotate-secret`, { grace_period_seconds: 3600 }),
    },
    {
      label: 'POST /v1/tenants/A1/endpoints/epA1/test',
      expect: { admin: 202, pA: 202, pB: 404, tA1: 202, tA2: 404, tB1: 404 },
      run: (w) => call(w).post(`/v1/tenants/${ids.tA1}/endpoints/${ids.epA1}/test`),
    },
    {
      label: 'DELETE /v1/tenants/A1/endpoints/:id',
      expect: { admin: 204, pA: 204, pB: 404, tA1: 204, tA2: 404, tB1: 404 },
      run: async (w) => {
        const target = ['admin', 'pA', 'tA1'].includes(w)
          ? (await call('pA').post(`/v1/tenants/${ids.tA1}/endpoints`, { url: `http://127.0.0.1:9/${uniq()}` })).body.id
          : ids.epA1;
        return call(w).delete(`/v1/tenants/${ids.tA1}/endpoints/${target}`);
      },
    },
    { label: 'GET /v1/api-keys', expect: { admin: 200, pA: 200, pB: 200, tA1: 200, tA2: 200, tB1: 200 }, run: (w) => call(w).get('/v1/api-keys') },
    {
      label: 'GET /v1/api-keys?tenant_id=A1',
      expect: { admin: 200, pA: 200, pB: 200, tA1: 200, tA2: 200, tB1: 200 },
      run: (w) => call(w).get(`/v1/api-keys?tenant_id=${ids.tA1}&include_revoked=true`),
    },
    {
      label: 'POST /v1/api-keys (tenant A1)',
      expect: { admin: 201, pA: 201, pB: 404, tA1: 201, tA2: 404, tB1: 404 },
      run: (w) => call(w).post('/v1/api-keys', { scope: 'tenant', tenant_id: ids.tA1 }),
    },
    {
      label: 'POST /v1/api-keys (partner A)',
      expect: { admin: 201, pA: 201, pB: 404, tA1: 403, tA2: 403, tB1: 403 },
      run: (w) => call(w).post('/v1/api-keys', { scope: 'partner', partner_id: ids.pA }),
    },
    {
      label: 'DELETE /v1/api-keys/:id (a key of A1)',
      expect: { admin: 200, pA: 200, pB: 404, tA1: 200, tA2: 404, tB1: 404 },
      run: async (w) => {
        const target = ['admin', 'pA', 'tA1'].includes(w) ? (await call('pA').post('/v1/api-keys', { scope: 'tenant', tenant_id: ids.tA1 })).body.id : ids.keyA1;
        return call(w).delete(`/v1/api-keys/${target}`);
      },
    },
  ];

  function defaultStatus(who: Who, c: Case): number {
    if (who === 'none' || who === 'revoked') return 401;
    // Not listed: a wrong-scope key (tenant key on a partner route) -> 403.
    return c.expect[who] ?? 403;
  }

  it('every route x every caller: only the intended succeed, nobody else sees anything of A', async () => {
    const outcomes: string[] = [];
    for (const c of cases()) {
      for (const who of EVERYONE) {
        const res = await c.run(who);
        const want = c.expect[who] ?? defaultStatus(who, c);
        outcomes.push(`${c.label} as ${who}: ${res.status}`);
        expect({ label: c.label, who, status: res.status }).toEqual({ label: c.label, who, status: want });
        assertNoLeak(who, c.label, res);
      }
    }
    expect(outcomes.length).toBe(cases().length * EVERYONE.length);
  });

  it("list answers are scoped: B never sees A's partners, tenants or keys; a tenant sees only its own keys", async () => {
    const pBPartners = await call('pB').get('/v1/partners');
    expect(pBPartners.body.data.map((p: { id: string }) => p.id)).toEqual([ids.pB]);
    const pBTenants = await call('pB').get(`/v1/tenants?partner_id=${ids.pA}`);
    expect(pBTenants.body.data).toEqual([]);
    expect((await call('pB').get('/v1/tenants')).body.data.map((t: { id: string }) => t.id)).toEqual([ids.tB1]);
    const pAKeys = (await call('pA').get('/v1/api-keys?include_revoked=true')).body.data as Array<{ partner_id: string }>;
    expect(pAKeys.length).toBeGreaterThan(3);
    expect(new Set(pAKeys.map((k) => k.partner_id))).toEqual(new Set([ids.pA]));
    const tA2Keys = (await call('tA2').get(`/v1/api-keys?tenant_id=${ids.tA1}`)).body.data;
    expect(tA2Keys).toEqual([]);
    const tA1Keys = (await call('tA1').get('/v1/api-keys')).body.data as Array<{ tenant_id: string }>;
    expect(tA1Keys.length).toBeGreaterThan(0);
    expect(new Set(tA1Keys.map((k) => k.tenant_id))).toEqual(new Set([ids.tA1]));
  });

  it('refused destructive calls changed nothing', async () => {
    const db = stack.core.database.db;
    const t = await db.selectFrom('tenants').select(['deleted_at', 'name']).where('id', '=', ids.tA1).executeTakeFirstOrThrow();
    expect(t).toEqual({ deleted_at: null, name: 'A1' });
    const ep = await db.selectFrom('endpoints').select('deleted_at').where('id', '=', ids.epA1).executeTakeFirstOrThrow();
    expect(ep.deleted_at).toBeNull();
    expect(await db.selectFrom('tenant_routes').select('id').where('id', '=', ids.routeA1).executeTakeFirst()).toBeDefined();
    const key = await db.selectFrom('api_keys').select('revoked_at').where('id', '=', ids.keyA1).executeTakeFirstOrThrow();
    expect(key.revoked_at).toBeNull();
  });
});
