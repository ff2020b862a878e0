import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/db/schema';
import { bearer } from '../fixtures/sources/providers';
import { apiAs, type Caller } from '../support/apiClient';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * The audit log on the real stack: privileged actions taken through the API are recorded with who
 * (the key's id, never the key), what, when and from where (client address, X-Request-Id); a
 * partner reads its own records only, a tenant none, the admin all; the filters and the cursor
 * work; and the table refuses to be rewritten. Redrive, quarantine, reconciliation and incident
 * records are asserted by the scope matrix, which has that data.
 */
type AuditRow = {
  id: string;
  at: string;
  partner_id: string | null;
  tenant_id: string | null;
  action: string;
  actor: { kind: string; key_id: string | null; client_ip: string | null; request_id: string | null };
  target: { type: string; id: string };
  detail: Record<string, unknown>;
};

describe('audit log', () => {
  let stack: TestStack;
  let db: Kysely<Database>;
  let admin: Caller;
  const a = {} as { id: string; key: string; keyId: string; tenantId: string; tenantKey: string; endpointId: string; secrets: string[] };
  const b = {} as { id: string; key: string };

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    db = stack.core.database.db;
    admin = apiAs(stack, stack.adminKey);
    const pa = (await admin.post('/v1/partners', { name: 'Audit A' })).body;
    const pb = (await admin.post('/v1/partners', { name: 'Audit B' })).body;
    Object.assign(a, { id: pa.id, key: pa.api_key, secrets: [pa.api_key, pa.inbound_secret] });
    Object.assign(b, { id: pb.id, key: pb.api_key });
    a.keyId = (await db.selectFrom('api_keys').select('id').where('partner_id', '=', a.id).executeTakeFirstOrThrow()).id;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const list = async (key: string, query = ''): Promise<AuditRow[]> => {
    const res = await apiAs(stack, key).get(`/v1/audit-log${query}`);
    expect(res.status).toBe(200);
    return res.body.data;
  };

  it('records each privileged action with the acting key id, client address and request id, never a secret', async () => {
    const pa = apiAs(stack, a.key);
    const tenant = await pa.raw('POST', '/v1/tenants', JSON.stringify({ name: 'A1' }), { 'x-request-id': 'audit-req-1' });
    expect(tenant.status).toBe(201);
    a.tenantId = tenant.body.id;
    a.tenantKey = tenant.body.api_key;
    const ep = await pa.post(`/v1/tenants/${a.tenantId}/endpoints`, { url: 'http://127.0.0.1:9/hook' });
    expect(ep.status).toBe(201);
    a.endpointId = ep.body.id;
    const steps = [
      await pa.patch(`/v1/tenants/${a.tenantId}/endpoints/${a.endpointId}`, { description: 'renamed', enabled: false }),
      await pa.post(`/v1/tenants/${a.tenantId}/endpoints/${a.endpointId}/rotate-secret`, {}),
      await pa.post(`/v1/partners/${a.id}/rotate-secret`, {}),
      await pa.post(`/v1/tenants/${a.tenantId}/routes`, { kind: 'crm_account_id', value: 'crm-audit-1' }),
      await pa.patch(`/v1/tenants/${a.tenantId}`, { name: 'A1 renamed' }),
    ];
    expect(steps.map((r) => r.status)).toEqual([200, 200, 200, 201, 200]);
    a.secrets.push(ep.body.secret, steps[1]!.body.secret, steps[2]!.body.inbound_secret, a.tenantKey);
    const newKey = await pa.post('/v1/api-keys', { scope: 'tenant', tenant_id: a.tenantId });
    expect(newKey.status).toBe(201);
    a.secrets.push(newKey.body.api_key);
    expect((await pa.delete(`/v1/api-keys/${newKey.body.id}`)).status).toBe(200);
    expect((await pa.delete(`/v1/tenants/${a.tenantId}/routes/${steps[3]!.body.id}`)).status).toBe(204);
    expect((await pa.delete(`/v1/tenants/${a.tenantId}/endpoints/${a.endpointId}`)).status).toBe(204);

    const rows = await list(a.key);
    expect(rows.map((r) => r.action).reverse()).toEqual([
      'partner.created',
      'tenant.created',
      'endpoint.created',
      'endpoint.updated',
      'endpoint.secret_rotated',
      'partner.secret_rotated',
      'tenant_route.created',
      'tenant.updated',
      'api_key.created',
      'api_key.revoked',
      'tenant_route.deleted',
      'endpoint.deleted',
    ]);
    const byAction = Object.fromEntries(rows.map((r) => [r.action, r]));
    expect(byAction['partner.created']!.actor).toMatchObject({ kind: 'admin', key_id: null });
    expect(byAction['tenant.created']).toMatchObject({
      partner_id: a.id,
      tenant_id: a.tenantId,
      target: { type: 'tenant', id: a.tenantId },
      actor: { kind: 'partner', key_id: a.keyId, client_ip: expect.stringMatching(/127\.0\.0\.1/), request_id: 'audit-req-1' },
    });
    expect(byAction['endpoint.updated']!.detail).toEqual({ fields: ['description', 'enabled'] });
    expect(byAction['api_key.revoked']!.target).toEqual({ type: 'api_key', id: newKey.body.id });
    // Every record has a request id (generated when the caller sent none) and the response said which.
    expect(rows.every((r) => typeof r.actor.request_id === 'string' && r.actor.request_id.length > 0)).toBe(true);
    const stored = JSON.stringify(await db.selectFrom('audit_log').selectAll().execute());
    expect(a.secrets.filter((s) => stored.includes(s))).toEqual([]);
  });

  it('a response carries its X-Request-Id, the one the record names', async () => {
    const res = await fetch(`${stack.api}/v1/tenants`, {
      method: 'POST',
      headers: { authorization: `Bearer ${a.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'A2' }),
    });
    expect(res.status).toBe(201);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^req_/);
    const [latest] = await list(a.key, '?action=tenant.created&limit=1');
    expect(latest!.actor.request_id).toBe(requestId);
  });

  it('scoped: a partner sees its own records only, a tenant key none, the admin all; filters and cursor', async () => {
    await apiAs(stack, b.key).post('/v1/tenants', { name: 'B1' });
    const ofA = await list(a.key);
    const ofB = await list(b.key);
    expect(new Set(ofA.map((r) => r.partner_id))).toEqual(new Set([a.id]));
    expect(new Set(ofB.map((r) => r.partner_id))).toEqual(new Set([b.id]));
    expect((await apiAs(stack, b.key).get(`/v1/audit-log?partner_id=${a.id}`)).status).toBe(403);
    expect((await apiAs(stack, a.tenantKey).get('/v1/audit-log')).status).toBe(403);
    const all = await list(stack.adminKey);
    expect(all.map((r) => r.id).sort()).toEqual([...ofA, ...ofB].map((r) => r.id).sort());
    expect((await list(stack.adminKey, `?partner_id=${b.id}`)).map((r) => r.id)).toEqual(ofB.map((r) => r.id));

    // Filters: action, actor key, target, time range.
    expect((await list(a.key, '?action=endpoint.updated')).map((r) => r.action)).toEqual(['endpoint.updated']);
    expect((await list(a.key, `?actor_key_id=${a.keyId}`)).every((r) => r.actor.key_id === a.keyId)).toBe(true);
    expect((await list(a.key, `?target_id=${a.endpointId}`)).map((r) => r.action).sort()).toEqual(['endpoint.created', 'endpoint.deleted', 'endpoint.secret_rotated', 'endpoint.updated']);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect(await list(a.key, `?since=${future}`)).toEqual([]);
    expect((await list(a.key, `?until=${future}`)).length).toBe(ofA.length);
    expect((await apiAs(stack, a.key).get('/v1/audit-log?since=yesterday')).status).toBe(422);
    expect((await apiAs(stack, a.key).get('/v1/audit-log?action=endpoint.exploded')).status).toBe(422);

    // Cursor: pages of 5 walk the whole list, newest first, without gaps or repeats.
    const walked: string[] = [];
    let after: string | null = null;
    do {
      const res: { body: { data: AuditRow[]; next_after: string | null } } = await apiAs(stack, a.key).get(`/v1/audit-log?limit=5${after ? `&after=${after}` : ''}`);
      walked.push(...res.body.data.map((r) => r.id));
      after = res.body.next_after;
    } while (after);
    expect(walked).toEqual(ofA.map((r) => r.id));
  });

  it("a source's life is recorded: created, updated, secret rotated, deleted; never its secret", async () => {
    const pa = apiAs(stack, a.key);
    const created = await pa.post(`/v1/partners/${a.id}/sources`, { name: bearer.name, ...bearer.source });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const rotated = await pa.post(`/v1/partners/${a.id}/sources/${id}/rotate-secret`, {});
    const steps = [
      await pa.patch(`/v1/partners/${a.id}/sources/${id}`, { name: 'Bearer, renamed' }),
      rotated,
      await pa.delete(`/v1/partners/${a.id}/sources/${id}`),
    ];
    expect(steps.map((r) => r.status)).toEqual([200, 200, 204]);
    const rows = await list(a.key, `?target_id=${id}`);
    expect(rows.map((r) => [r.action, r.target.type, r.actor.key_id]).reverse()).toEqual([
      ['source.created', 'source', a.keyId],
      ['source.secret_rotated', 'source', a.keyId],
      ['source.updated', 'source', a.keyId],
      ['source.deleted', 'source', a.keyId],
    ]);
    expect(rows.find((r) => r.action === 'source.updated')!.detail).toEqual({ fields: ['name'] });
    const stored = JSON.stringify(await db.selectFrom('audit_log').selectAll().where('target_id', '=', id).execute());
    expect([bearer.source.secret, rotated.body.secret].filter((x) => stored.includes(x))).toEqual([]);
  });

  it('an action and its record commit together: a record that cannot be written undoes the action', async () => {
    // The audit store fails for one action only (a trigger), as a full disk or a lost connection would.
    await sql`create function audit_test_refuse() returns trigger language plpgsql as $$
      begin if new.action = 'tenant.created' then raise exception 'audit store unavailable (test)'; end if; return new; end $$`.execute(db);
    await sql`create trigger audit_test_refuse before insert on audit_log for each row execute function audit_test_refuse()`.execute(db);
    const keys = () => db.selectFrom('api_keys').select('id').where('partner_id', '=', a.id).execute();
    const keysBefore = await keys();
    try {
      const res = await apiAs(stack, a.key).post('/v1/tenants', { name: 'Unrecorded' });
      expect(res.status).toBe(500);
      expect(await db.selectFrom('tenants').select('id').where('partner_id', '=', a.id).where('name', '=', 'Unrecorded').execute()).toEqual([]);
      expect(await keys()).toEqual(keysBefore); // nor the tenant's first key, written by the same service
    } finally {
      await sql`drop trigger audit_test_refuse on audit_log`.execute(db);
      await sql`drop function audit_test_refuse()`.execute(db);
    }
    const after = await apiAs(stack, a.key).post('/v1/tenants', { name: 'Recorded' });
    expect(after.status).toBe(201);
    expect((await list(a.key, '?action=tenant.created&limit=1'))[0]!.target.id).toBe(after.body.id);
  });

  it('append-only: the database refuses to update, truncate or delete a recent record', async () => {
    const [row] = await list(a.key, '?limit=1');
    await expect(sql`update audit_log set action = 'tenant.created' where id = ${row!.id}`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log where id = ${row!.id}`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(/append-only/);
    expect((await list(a.key, '?limit=1'))[0]).toEqual(row);
  });
});
