import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, createPublicKey, verify } from 'node:crypto';
import { sql } from 'kysely';
import { endpointFilterPasses } from '../../src/filters/filterDocument';
import { secretKeyBytes } from '../../src/signing/webhookSecret';
import { seedPartner, seedTenant } from '../support/fixtures';
import { startReceiver, type ReceivedRequest, type Receiver } from '../support/receiver';
import { startTestStack, type TestStack } from '../support/testStack';
import { api, eventView, sendEvent, settle, uniqueCallId, waitUntil } from './deliveryHelpers';

/**
 * Per-endpoint delivery options on the real stack (Temporal + Postgres + real receivers): custom
 * headers and receiver auth incl. OAuth2 client credentials against a loopback token server,
 * Ed25519 v1a signatures verified as a tenant would, payload filters applied at planning, 410
 * Gone, and a per-endpoint retry schedule. Endpoints are created through the API, as a tenant would.
 */
interface CreatedEndpoint {
  id: string;
  secret?: string;
  public_keys: string[];
  header_names: string[];
  auth: { type: string } | null;
  filter: unknown;
  max_attempts: number | null;
  retry_schedule_seconds: number[] | null;
}

const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A tenant's v1a check: every v1a entry tried against its trusted whpk_ (Node's own Ed25519). */
function verifiesV1a(whpk: string, r: ReceivedRequest): boolean {
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(whpk.slice(5), 'base64')]), format: 'der', type: 'spki' });
  const content = Buffer.from(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`);
  return String(r.headers['webhook-signature'])
    .split(' ')
    .filter((p) => p.startsWith('v1a,'))
    .some((p) => verify(null, content, key, Buffer.from(p.slice(4), 'base64')));
}

describe('delivery options: auth and headers, v1a signatures, payload filters, 410, retry schedule', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  const receivers: Receiver[] = [];
  const servers: http.Server[] = [];

  beforeAll(async () => {
    stack = await startTestStack({ env: { DELIVERY_TIMEOUT: '2s', DELIVERY_MAX_ATTEMPTS: '3', DELIVERY_INITIAL_INTERVAL: '300ms', DELIVERY_MAX_INTERVAL: '5s' } });
    partner = await seedPartner(stack);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((r) => r.close()));
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await stack?.close();
  });

  async function receiver(behave?: Parameters<typeof startReceiver>[0]) {
    const r = await startReceiver(behave);
    receivers.push(r);
    return r;
  }

  async function createEndpoint(tenantId: string, body: Record<string, unknown>) {
    const res = await api<CreatedEndpoint>(stack, 'POST', `/v1/tenants/${tenantId}/endpoints`, stack.adminKey, body);
    if (res.status !== 201) throw new Error(`create endpoint answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body;
  }

  it('custom headers, Basic auth and an API-key header reach the receiver; reads show names only; the row holds no plaintext', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Headers');
    const r = await receiver();
    const ep = await createEndpoint(tenant.id, {
      url: r.url,
      headers: { 'X-Tenant-Ref': 'acme-42', 'x-extra': 'two words' },
      auth: { type: 'basic', username: 'switchboard', password: 'pa55-very-secret' },
    });
    expect(ep.header_names).toEqual(['X-Tenant-Ref', 'x-extra']);
    expect(ep.auth).toEqual({ type: 'basic' });
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('hdr'), tenant_id: tenant.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });
    const got = r.requests[0]!;
    expect(got.headers['x-tenant-ref']).toBe('acme-42');
    expect(got.headers['x-extra']).toBe('two words');
    expect(got.headers['authorization']).toBe('Basic ' + Buffer.from('switchboard:pa55-very-secret').toString('base64'));
    expect(got.headers['webhook-signature']).toMatch(/^v1,/);
    // The payload inspector: the attempt keeps the headers it was sent with, credentials redacted.
    const view = await api<{ deliveries: Array<{ attempts: Array<{ request_headers: Record<string, string> | null }> }> }>(stack, 'GET', `/v1/events/${ack.event_id}`);
    const shown = view.body.deliveries[0]!.attempts[0]!.request_headers!;
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature', 'x-signature', 'content-type', 'user-agent']) expect({ name, value: shown[name] }).toEqual({ name, value: got.headers[name] });
    expect(shown).toMatchObject({ 'x-tenant-ref': '[redacted]', 'x-extra': '[redacted]', authorization: '[redacted]' });
    expect(JSON.stringify(view.body)).not.toMatch(/pa55-very-secret|acme-42/);

    // Switch to an API key: the headers stay (a PATCH of auth keeps them), Basic is gone.
    const patched = await api<CreatedEndpoint>(stack, 'PATCH', `/v1/tenants/${tenant.id}/endpoints/${ep.id}`, stack.adminKey, {
      auth: { type: 'api_key', header: 'X-Api-Key', key: 'key-123-secret' },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.auth).toEqual({ type: 'api_key', header: 'X-Api-Key' });
    expect(patched.body.header_names).toEqual(['X-Tenant-Ref', 'x-extra']);
    const ack2 = await sendEvent(stack, partner, { call_id: uniqueCallId('hdr'), tenant_id: tenant.id });
    expect(await settle(stack, ack2.workflow_id)).toMatchObject({ status: 'delivered' });
    const got2 = r.requests[1]!;
    expect(got2.headers['x-api-key']).toBe('key-123-secret');
    expect(got2.headers['authorization']).toBeUndefined();
    expect(got2.headers['x-tenant-ref']).toBe('acme-42');

    const read = await api(stack, 'GET', `/v1/tenants/${tenant.id}/endpoints/${ep.id}`);
    const list = await api(stack, 'GET', `/v1/tenants/${tenant.id}/endpoints`);
    for (const text of [JSON.stringify(read.body), JSON.stringify(list.body), JSON.stringify(patched.body)]) {
      expect(text).not.toMatch(/pa55-very-secret|key-123-secret|acme-42/);
    }
    const row = await stack.core.database.db.selectFrom('endpoints').selectAll().where('id', '=', ep.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toMatch(/pa55-very-secret|key-123-secret|acme-42/);
  });

  it('refuses reserved or malformed header names and bad auth with a 422 naming the field, and writes nothing', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Refusals');
    const r = await receiver();
    const refused: Array<Record<string, unknown>> = [
      { headers: { Host: 'evil.example' } },
      { headers: { 'Content-Length': '1' } },
      { headers: { connection: 'close' } },
      { headers: { 'Transfer-Encoding': 'chunked' } },
      { headers: { 'webhook-signature': 'v1,forged' } },
      { headers: { 'X-Signature': 'sha256=00' } },
      { headers: { Authorization: 'Bearer x' } },
      { headers: { 'bad name': 'x' } },
      { headers: { 'x-ok': 'line\r\nInjected: yes' } },
      { auth: { type: 'api_key', header: 'webhook-id', key: 'k' } },
      { auth: { type: 'basic', username: 'a:b', password: 'p' } },
      { auth: { type: 'oauth2_client_credentials', token_url: 'ftp://x', client_id: 'c', client_secret: 's' } },
      { filter: { data: { duration_seconds: { $regex: '.*' } } } },
      { filter: { $gte: 3 } },
      { retry_schedule_seconds: [0] },
    ];
    for (const extra of refused) {
      const res = await api<{ error: { code: string; message: string; details: unknown } }>(stack, 'POST', `/v1/tenants/${tenant.id}/endpoints`, stack.adminKey, { url: r.url, ...extra });
      expect([res.status, JSON.stringify(extra)]).toEqual([422, JSON.stringify(extra)]);
      expect(res.body.error.code).toBeDefined();
    }
    const list = await api<{ data: unknown[] }>(stack, 'GET', `/v1/tenants/${tenant.id}/endpoints`);
    expect(list.body.data).toHaveLength(0);
  });

  it('OAuth2 client credentials: the token is fetched once and cached, and after a 401 fetched again once', async () => {
    const tenant = await seedTenant(stack, partner.id, 'OAuth');
    let current = 'tok-1';
    const tokenRequests: Array<{ authorization?: string; body: string }> = [];
    const tokenServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        tokenRequests.push({ authorization: req.headers.authorization, body });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: current, token_type: 'Bearer', expires_in: 3600 }));
      });
    });
    servers.push(tokenServer);
    await new Promise<void>((resolve) => tokenServer.listen(0, '127.0.0.1', resolve));
    const tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/oauth/token`;
    // The receiver accepts only the token the server issues now.
    const r = await receiver((q) => ({ status: q.headers['authorization'] === `Bearer ${current}` ? 200 : 401 }));
    const ep = await createEndpoint(tenant.id, {
      url: r.url,
      auth: { type: 'oauth2_client_credentials', token_url: tokenUrl, client_id: 'sb-client', client_secret: 'client-secret-xyz', scope: 'webhooks:write' },
    });
    expect(ep.auth).toEqual({ type: 'oauth2_client_credentials', token_url: tokenUrl, client_id: 'sb-client' });

    for (let i = 0; i < 2; i++) {
      const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('oauth'), tenant_id: tenant.id });
      expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });
    }
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.authorization).toBe('Basic ' + Buffer.from('sb-client:client-secret-xyz').toString('base64'));
    expect(new URLSearchParams(tokenRequests[0]!.body).get('grant_type')).toBe('client_credentials');
    expect(new URLSearchParams(tokenRequests[0]!.body).get('scope')).toBe('webhooks:write');

    // The receiver revokes the cached token: one 401, one new token, the same attempt delivers.
    current = 'tok-2';
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('oauth'), tenant_id: tenant.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });
    expect(tokenRequests).toHaveLength(2);
    const view = await eventView(stack, ack.event_id);
    expect(view.deliveries[0]!.attempt_count).toBe(1);
    expect(r.requests.map((q) => q.headers['authorization'])).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1', 'Bearer tok-2']);
    expect(JSON.stringify((await api(stack, 'GET', `/v1/tenants/${tenant.id}/endpoints/${ep.id}`)).body)).not.toMatch(/client-secret-xyz|tok-/);
  });

  it('v1a: the tenant gets only the whpk_ public key and verifies Ed25519 signatures; a rotation signs with both keys', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Ed25519');
    const r = await receiver();
    const ep = await createEndpoint(tenant.id, { url: r.url, signature_scheme: 'v1a' });
    expect(ep.secret).toBeUndefined();
    expect(ep.public_keys).toHaveLength(1);
    const [first] = ep.public_keys as [string];
    expect(first).toMatch(/^whpk_/);

    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('v1a'), tenant_id: tenant.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });
    expect(r.requests[0]!.headers['webhook-signature']).toMatch(/^v1a,\S+$/);
    expect(r.requests[0]!.headers['x-signature']).toBeUndefined();
    expect(verifiesV1a(first, r.requests[0]!)).toBe(true);

    const rotated = await api<{ public_key: string; secret?: string; signature_scheme: string }>(stack, 'POST', `/v1/tenants/${tenant.id}/endpoints/${ep.id}/rotate-secret`, stack.adminKey, {
      grace_period_seconds: 3600,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toBeUndefined();
    expect(rotated.body.signature_scheme).toBe('v1a');
    const second = rotated.body.public_key;
    const read = await api<CreatedEndpoint>(stack, 'GET', `/v1/tenants/${tenant.id}/endpoints/${ep.id}`);
    expect(read.body.public_keys).toEqual([second, first]);

    const ack2 = await sendEvent(stack, partner, { call_id: uniqueCallId('v1a'), tenant_id: tenant.id });
    expect(await settle(stack, ack2.workflow_id)).toMatchObject({ status: 'delivered' });
    const got = r.requests[1]!;
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifiesV1a(first, got)).toBe(true);
    expect(verifiesV1a(second, got)).toBe(true);
  });

  it('v1 to v1a by rotation: during the grace period an HMAC receiver and an Ed25519 receiver both verify', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Switch scheme');
    const r = await receiver();
    const ep = await createEndpoint(tenant.id, { url: r.url });
    const rotated = await api<{ public_key: string; signature_scheme: string }>(stack, 'POST', `/v1/tenants/${tenant.id}/endpoints/${ep.id}/rotate-secret`, stack.adminKey, {
      signature_scheme: 'v1a',
    });
    expect(rotated.body.signature_scheme).toBe('v1a');
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('switch'), tenant_id: tenant.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });
    const got = r.requests[0]!;
    expect(verifiesV1a(rotated.body.public_key, got)).toBe(true);
    const v1 = String(got.headers['webhook-signature']).split(' ').find((p) => p.startsWith('v1,'))!;
    const mac = createHmac('sha256', secretKeyBytes(ep.secret!)).update(`${got.headers['webhook-id']}.${got.headers['webhook-timestamp']}.${got.body}`).digest('base64');
    expect(v1).toBe(`v1,${mac}`);
  });

  it('payload filters: a filtered-out endpoint gets no delivery row; the test route agrees with planning', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Filters', [['crm_account_id', 'acc-filter-1']]);
    const long = await receiver();
    const crm = await receiver();
    const all = await receiver();
    const longEp = await createEndpoint(tenant.id, { url: long.url, filter: { data: { duration_seconds: { $gte: 30 } } } });
    const crmEp = await createEndpoint(tenant.id, { url: crm.url, filter: { runtime_vars: { crm_account_id: { $in: ['acc-filter-1', 'acc-other'] } } } });
    const allEp = await createEndpoint(tenant.id, { url: all.url });
    expect(longEp.filter).toEqual({ data: { duration_seconds: { $gte: 30 } } });

    const short = await sendEvent(stack, partner, { call_id: uniqueCallId('flt'), data: { duration_seconds: 12 }, runtime_vars: { crm_account_id: 'acc-filter-1' } });
    expect(await settle(stack, short.workflow_id)).toMatchObject({ status: 'delivered' });
    const shortView = await eventView(stack, short.event_id);
    expect(shortView.deliveries.map((d) => d.endpoint_id).sort()).toEqual([crmEp.id, allEp.id].sort());

    const longCall = await sendEvent(stack, partner, { call_id: uniqueCallId('flt'), data: { duration_seconds: 45 }, runtime_vars: { crm_account_id: 'acc-filter-1' } });
    expect(await settle(stack, longCall.workflow_id)).toMatchObject({ status: 'delivered' });
    expect((await eventView(stack, longCall.event_id)).deliveries.map((d) => d.endpoint_id).sort()).toEqual([longEp.id, crmEp.id, allEp.id].sort());
    expect(long.requests).toHaveLength(1);
    expect(JSON.parse(long.requests[0]!.body).data.duration_seconds).toBe(45);

    const test = (body: unknown) => api<{ matches: boolean; document: Record<string, unknown> }>(stack, 'POST', `/v1/tenants/${tenant.id}/filters/test`, stack.adminKey, body);
    const f = { data: { duration_seconds: { $gte: 30 } } };
    expect((await test({ filter: f, event_id: short.event_id })).body.matches).toBe(false);
    expect((await test({ filter: f, event_id: longCall.event_id })).body).toMatchObject({ matches: true, document: { type: 'call.ended', data: { duration_seconds: 45 } } });
    expect((await test({ filter: f, event: { data: { duration_seconds: 30 } } })).body.matches).toBe(true);
    expect((await test({ filter: { $or: [{ type: 'call.started' }, { data: { tags: 'vip' } }] }, event: { type: 'call.ended', data: { tags: ['x', 'vip'] } } })).body.matches).toBe(true);
    expect((await test({ filter: f })).status).toBe(422);
    expect((await test({ filter: { data: { $bogus: 1 } }, event: {} })).status).toBe(422);
    expect((await test({ filter: f, event: { data: { s: 'nul \u0000 inside' } } })).status).toBe(422);
    // Another tenant's event is not found, not evaluated.
    const other = await seedTenant(stack, partner.id, 'Other');
    expect((await api(stack, 'POST', `/v1/tenants/${other.id}/filters/test`, stack.adminKey, { filter: f, event_id: longCall.event_id })).status).toBe(404);

    // Clearing the filter: the endpoint receives everything again.
    const cleared = await api<CreatedEndpoint>(stack, 'PATCH', `/v1/tenants/${tenant.id}/endpoints/${longEp.id}`, stack.adminKey, { filter: null });
    expect(cleared.body.filter).toBeNull();
    const again = await sendEvent(stack, partner, { call_id: uniqueCallId('flt'), data: { duration_seconds: 1 }, runtime_vars: { crm_account_id: 'acc-filter-1' } });
    expect(await settle(stack, again.workflow_id)).toMatchObject({ status: 'delivered' });
    expect((await eventView(stack, again.event_id)).deliveries).toHaveLength(3);
  });

  it('410 Gone: the delivery is parked after one attempt, the endpoint disabled with the reason and endpoint.disabled recorded once', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Gone');
    const r = await receiver(() => ({ status: 410 }));
    const ep = await createEndpoint(tenant.id, { url: r.url });
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('gone'), tenant_id: tenant.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'dead_lettered' });
    const d = (await eventView(stack, ack.event_id)).deliveries[0]!;
    expect(d.attempt_count).toBe(1);
    const read = await api<{ enabled: boolean; disabled_reason: string }>(stack, 'GET', `/v1/tenants/${tenant.id}/endpoints/${ep.id}`);
    expect(read.body).toMatchObject({ enabled: false, disabled_reason: 'receiver answered 410 Gone' });
    const ops = await stack.core.database.db.selectFrom('operational_events').select(['type', 'detail', 'tenant_id']).where('type', '=', 'endpoint.disabled').execute();
    expect(ops.filter((o) => (o.detail as { endpoint_id?: string }).endpoint_id === ep.id)).toEqual([
      { type: 'endpoint.disabled', tenant_id: tenant.id, detail: { endpoint_id: ep.id, reason: 'gone', status_code: 410 } },
    ]);
    // Disabled: the next event plans nothing for it.
    const next = await sendEvent(stack, partner, { call_id: uniqueCallId('gone'), tenant_id: tenant.id });
    expect(await settle(stack, next.workflow_id)).toMatchObject({ status: 'no_subscribers' });
    expect(r.requests).toHaveLength(1);
  });

  it("a per-endpoint retry schedule: its attempts, its delays (jittered by at most 20 %), then the dead letter", async () => {
    const tenant = await seedTenant(stack, partner.id, 'Schedule');
    const r = await receiver(() => ({ status: 503 }));
    const ep = await createEndpoint(tenant.id, { url: r.url, retry_schedule_seconds: [1, 2, 2] });
    expect(ep.max_attempts).toBe(4);
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('sched'), tenant_id: tenant.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'dead_lettered' });
    await waitUntil('the dead letter', async () => (await eventView(stack, ack.event_id)).deliveries[0]!.status === 'dead_lettered');
    expect(r.requests).toHaveLength(4);
    const gaps = r.requests.slice(1).map((q, i) => q.at - r.requests[i]!.at);
    // Lower bounds only: the schedule's delay minus the jitter bound (no upper bound: the machine may be slow).
    expect(gaps[0]).toBeGreaterThanOrEqual(800);
    expect(gaps[1]).toBeGreaterThanOrEqual(1_600);
    expect(gaps[2]).toBeGreaterThanOrEqual(1_600);
    // A schedule and max_attempts in one body: both kept (past the schedule the last delay repeats).
    const both = await api<CreatedEndpoint>(stack, 'PATCH', `/v1/tenants/${tenant.id}/endpoints/${ep.id}`, stack.adminKey, { retry_schedule_seconds: [1], max_attempts: 3 });
    expect([both.status, both.body.max_attempts, both.body.retry_schedule_seconds]).toEqual([200, 3, [1]]);
  });

  it('without a filter, planning never builds the event document (the cost of the no-options path is unchanged)', async () => {
    const tenant = await seedTenant(stack, partner.id, 'Plan cost');
    const r = await receiver();
    await createEndpoint(tenant.id, { url: r.url });
    const ack = await sendEvent(stack, partner, { call_id: uniqueCallId('cost'), tenant_id: tenant.id });
    expect(await settle(stack, ack.workflow_id)).toMatchObject({ status: 'delivered' });
    // Planning's own filter clause (shared with stampAndPlan): how often did the document subquery run?
    const documentRuns = async () => {
      const { rows } = await sql<{ 'QUERY PLAN': unknown }>`explain (analyze, format json)
        select ep.id from endpoints ep where ep.tenant_id = ${tenant.id} and ${endpointFilterPasses('ep', ack.event_id, tenant.id)}`.execute(stack.core.database.db);
      const subplans: Array<{ loops: number }> = [];
      const walk = (node: Record<string, unknown>) => {
        if (typeof node['Parent Relationship'] === 'string' && /SubPlan|InitPlan/.test(node['Parent Relationship'] as string)) subplans.push({ loops: node['Actual Loops'] as number });
        for (const child of (node['Plans'] as Array<Record<string, unknown>> | undefined) ?? []) walk(child);
      };
      walk((rows[0]!['QUERY PLAN'] as Array<{ Plan: Record<string, unknown> }>)[0]!.Plan);
      return subplans;
    };
    const unfiltered = await documentRuns();
    expect(unfiltered.length).toBeGreaterThan(0);
    expect(unfiltered.every((p) => p.loops === 0)).toBe(true);
    // With a filter the same clause does build it: the measurement can tell the two apart.
    await createEndpoint(tenant.id, { url: r.url, filter: { type: 'call.ended' } });
    expect((await documentRuns()).some((p) => p.loops > 0)).toBe(true);
  });
});
