import { apiAs } from '../support/apiClient';
import { partnerHeaders } from '../support/inboundSigning';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * The scope matrix for the routes outside the tenancy API (that one has its own matrix in
 * tenancyScopes.test.ts): the public routes answer everyone the same and carry no tenant data;
 * ingest is authenticated by the partner's signature only, so no bearer key (admin included)
 * substitutes for it and partner A's signature never opens partner B's route.
 */
type Who = 'none' | 'revoked' | 'admin' | 'pA' | 'pB' | 'tA1' | 'tB1';
const EVERYONE: Who[] = ['none', 'revoked', 'admin', 'pA', 'pB', 'tA1', 'tB1'];

describe('scope matrix: ingest, catalog, OpenAPI, metrics, health', () => {
  let stack: TestStack;
  const keys = {} as Record<Who, string | null>;
  let A: { id: string; inbound_secret: string; api_key: string };
  let B: { id: string; inbound_secret: string; api_key: string };
  let private_: string[];

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    const admin = apiAs(stack, stack.adminKey);
    A = (await admin.post('/v1/partners', { name: 'A' })).body;
    B = (await admin.post('/v1/partners', { name: 'B' })).body;
    const tA1 = (await apiAs(stack, A.api_key).post('/v1/tenants', { name: 'A1', partner_tenant_ref: 'a1' })).body;
    const tB1 = (await apiAs(stack, B.api_key).post('/v1/tenants', { name: 'B1', partner_tenant_ref: 'b1' })).body;
    const revoked = (await apiAs(stack, A.api_key).post('/v1/api-keys', { scope: 'partner' })).body;
    expect((await apiAs(stack, A.api_key).delete(`/v1/api-keys/${revoked.id}`)).status).toBe(200);
    Object.assign(keys, { none: null, revoked: revoked.api_key, admin: stack.adminKey, pA: A.api_key, pB: B.api_key, tA1: tA1.api_key, tB1: tB1.api_key });
    private_ = [A.id, B.id, tA1.id, tB1.id, A.inbound_secret, B.inbound_secret, A.api_key, B.api_key, tA1.api_key, tB1.api_key, stack.adminKey];
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each(['/v1/event-types', '/openapi.json', '/metrics', '/healthz', '/readyz'])('GET %s: same answer for every caller, no ids or secrets in it', async (path) => {
    // Traffic first, so /metrics has per-partner activity it could (but must not) expose.
    const body = JSON.stringify({ event: 'call.started', call_id: 'scope-1', occurred_at: new Date().toISOString(), data: {} });
    await fetch(`${stack.api}/v1/webhooks/${A.id}`, { method: 'POST', headers: partnerHeaders(A.inbound_secret, body), body });
    const statuses = new Set<number>();
    for (const who of EVERYONE) {
      const res = await apiAs(stack, keys[who]).get(path);
      statuses.add(res.status);
      for (const s of private_) expect({ who, path, leaked: res.text.includes(s) ? s : null }).toEqual({ who, path, leaked: null });
    }
    expect([...statuses]).toEqual([200]);
  });

  it('POST /v1/webhooks/{partner}: a bearer key never replaces the signature; A signature never opens B', async () => {
    const event = (callId: string) => JSON.stringify({ event: 'call.started', call_id: callId, occurred_at: new Date().toISOString(), data: {} });
    for (const who of EVERYONE) {
      for (const target of [A, B]) {
        const body = event(`bearer-${who}-${target.id}`);
        const unsigned = await fetch(`${stack.api}/v1/webhooks/${target.id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(keys[who] ? { authorization: `Bearer ${keys[who]}` } : {}) },
          body,
        });
        expect({ who, target: target.id, status: unsigned.status }).toEqual({ who, target: target.id, status: 401 });
        const text = await unsigned.text();
        expect(Object.keys(JSON.parse(text))).toEqual(['error']);
        for (const s of private_.filter((x) => x !== target.id)) expect(text.includes(s)).toBe(false);
      }
    }
    // A's valid signature on B's route.
    const body = event('cross');
    const cross = await fetch(`${stack.api}/v1/webhooks/${B.id}`, { method: 'POST', headers: partnerHeaders(A.inbound_secret, body), body });
    expect(cross.status).toBe(401);
    // Only the owner's signature is accepted, whoever's bearer key rides along.
    for (const who of EVERYONE) {
      const own = event(`own-${who}`);
      const res = await fetch(`${stack.api}/v1/webhooks/${A.id}`, {
        method: 'POST',
        headers: { ...partnerHeaders(A.inbound_secret, own), ...(keys[who] ? { authorization: `Bearer ${keys[who]}` } : {}) },
        body: own,
      });
      expect({ who, status: res.status }).toEqual({ who, status: 202 });
    }
    const rows = await stack.core.database.db.selectFrom('events').select(['partner_id', 'call_id']).execute();
    expect(rows.filter((r) => r.partner_id === B.id)).toEqual([]);
    expect(rows.filter((r) => r.call_id.startsWith('bearer-') || r.call_id === 'cross')).toEqual([]);
  });
});
