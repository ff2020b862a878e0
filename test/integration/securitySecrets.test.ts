import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../src/temporal/connection';
import { loadConfig } from '../../src/config';
import { faultEnv } from '../faults/faultRun';
import { WorkerProcess } from '../faults/workerProcess';
import { partnerHeaders } from '../support/inboundSigning';
import { freePort } from '../support/ports';
import { startReceiver, type Receiver } from '../support/receiver';
import { createTestDatabase } from '../support/testStack';

/**
 * Secrets never leak: the server and the worker run as real processes at LOG_LEVEL=debug, a full
 * flow goes through them (admin -> partner -> tenant -> endpoint -> rotation -> signed events ->
 * deliveries, plus refused requests), then every log line, every error body and every workflow
 * history of the task queue is scanned for every secret and API key, and for their key material.
 */
describe('secrets and API keys stay out of logs, error bodies and workflow histories', () => {
  let env: Record<string, string>;
  let server: WorkerProcess;
  let worker: WorkerProcess;
  let receiver: Receiver;
  let temporal: Client;
  let api: string;

  beforeAll(async () => {
    const port = await freePort();
    env = {
      ...faultEnv({ databaseUrl: await createTestDatabase(), temporalAddress: process.env['SWITCHBOARD_TEST_TEMPORAL_ADDRESS']! }),
      LOG_LEVEL: 'debug',
      PORT: String(port),
      HOST: '127.0.0.1',
    };
    api = `http://127.0.0.1:${port}`;
    server = new WorkerProcess(env, 'server');
    worker = new WorkerProcess(env, 'worker');
    receiver = await startReceiver();
    await Promise.all([server.start(), worker.start()]);
    temporal = await connectClient(loadConfig(env).temporal);
  });
  afterAll(async () => {
    await temporal?.connection.close();
    await Promise.all([server?.stop(), worker?.stop()]);
    await receiver?.close();
  });

  it('finds none of them anywhere after a full run', async () => {
    const errorBodies: string[] = [];
    const call = async (method: string, path: string, key: string | null, body?: unknown) => {
      const res = await fetch(`${api}${path}`, {
        method,
        headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status >= 400) errorBodies.push(`${method} ${path} ${res.status} ${text}`);
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
    const admin = env['SWITCHBOARD_ADMIN_KEY']!;
    const partner = (await call('POST', '/v1/partners', admin, { name: 'Leak Check' })).body;
    const tenant = (await call('POST', '/v1/tenants', partner.api_key, { name: 'T', partner_tenant_ref: 'leak-t' })).body;
    const endpoint = (await call('POST', `/v1/tenants/${tenant.id}/endpoints`, partner.api_key, { url: receiver.url })).body;
    const rotated = (await call('POST', `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}/rotate-secret`, partner.api_key, {})).body;
    const partnerRotated = (await call('POST', `/v1/partners/${partner.id}/rotate-secret`, admin, {})).body;
    const extraKey = (await call('POST', '/v1/api-keys', partner.api_key, { scope: 'tenant', tenant_id: tenant.id })).body;
    const revoked = (await call('POST', '/v1/api-keys', partner.api_key, { scope: 'partner' })).body;
    expect((await call('DELETE', `/v1/api-keys/${revoked.id}`, partner.api_key)).status).toBe(200);
    expect((await call('POST', `/v1/tenants/${tenant.id}/endpoints/${endpoint.id}/test`, tenant.api_key, {})).status).toBe(202);

    // Refusals that must not echo what they were given.
    expect((await call('GET', '/v1/tenants', revoked.api_key)).status).toBe(401);
    expect((await call('GET', '/v1/tenants', `${admin}x`)).status).toBe(401);
    expect((await call('POST', '/v1/partners', partner.api_key, { name: 'no' })).status).toBe(403);
    expect((await call('POST', `/v1/tenants/${tenant.id}/endpoints`, tenant.api_key, { url: receiver.url, secret: partner.inbound_secret })).status).toBe(422);

    const inboundSecrets = [partner.inbound_secret, partnerRotated.inbound_secret ?? partnerRotated.secret].filter(Boolean) as string[];
    expect(inboundSecrets).toHaveLength(2);
    const events = ['call.started', 'call.ended'].map((event) => ({
      event,
      call_id: 'leak-call',
      occurred_at: new Date().toISOString(),
      runtime_vars: { partner_tenant_ref: 'leak-t' },
      data: { note: 'hello' },
    }));
    for (const [i, e] of events.entries()) {
      const body = JSON.stringify(e);
      const res = await fetch(`${api}/v1/webhooks/${partner.id}`, { method: 'POST', headers: partnerHeaders(inboundSecrets[i % inboundSecrets.length]!, body), body });
      expect(res.status).toBe(202);
    }
    // A signature made with a wrong secret, and one with the secret sent as the signature itself.
    const bad = JSON.stringify(events[0]);
    const wrong = await fetch(`${api}/v1/webhooks/${partner.id}`, {
      method: 'POST',
      headers: { ...partnerHeaders('whsec_' + randomBytes(24).toString('base64'), bad), 'x-signature': partner.inbound_secret },
      body: bad,
    });
    expect(wrong.status).toBe(401);
    errorBodies.push(await wrong.text());

    await receiver.waitFor(3, 60_000); // two events + the test delivery

    const histories: string[] = [];
    for await (const w of temporal.workflow.list({ query: `TaskQueue = "${env['TEMPORAL_TASK_QUEUE']}"` })) {
      const history = await temporal.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
      histories.push(flattenToText(history));
    }
    expect(histories.length).toBeGreaterThanOrEqual(3); // 2 event workflows + children + test

    const secrets: Record<string, string> = {
      admin_key: admin,
      encryption_key: env['SWITCHBOARD_ENCRYPTION_KEY']!,
      partner_api_key: partner.api_key,
      tenant_api_key: tenant.api_key,
      extra_api_key: extraKey.api_key,
      revoked_api_key: revoked.api_key,
      endpoint_secret: endpoint.secret,
      endpoint_secret_rotated: rotated.secret,
    };
    inboundSecrets.forEach((s, i) => (secrets[`partner_inbound_secret_${i}`] = s));
    for (const [name, value] of Object.entries({ ...secrets })) {
      expect(typeof value).toBe('string');
      if (value.startsWith('whsec_')) {
        const material = value.slice('whsec_'.length);
        secrets[`${name}_key_material_base64`] = material;
        secrets[`${name}_key_material_hex`] = Buffer.from(material, 'base64').toString('hex');
      }
    }

    const logs = [...server.lines, ...worker.lines];
    // The run really was captured, at debug level, from both processes.
    expect(logs.some((l) => l.includes('"level":20'))).toBe(true);
    expect(server.lines.some((l) => l.includes('webhook received'))).toBe(true);
    expect(worker.lines.some((l) => l.includes('delivery succeeded'))).toBe(true);
    const haystacks: Record<string, string[]> = { logs, errorBodies, histories };
    const leaks: string[] = [];
    for (const [where, texts] of Object.entries(haystacks)) {
      for (const [name, secret] of Object.entries(secrets)) {
        // Long enough that a hit cannot be a coincidence.
        expect(secret.length).toBeGreaterThanOrEqual(24);
        const hit = texts.find((t) => t.includes(secret));
        if (hit) leaks.push(`${name} in ${where}: ${hit.slice(0, 200)}`);
      }
    }
    expect(leaks).toEqual([]);
    // Positive control: the scan does find things that are meant to be there.
    expect(logs.some((l) => l.includes(partner.id))).toBe(true);
    expect(histories.some((h) => h.includes(partner.id) && h.includes(endpoint.id))).toBe(true);
  });
});

/** Every string in a history, with payload bytes decoded as UTF-8 (payloads are JSON). */
function flattenToText(value: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (v === null || v === undefined) return;
    if (typeof v === 'string') out.push(v);
    else if (v instanceof Uint8Array) out.push(Buffer.from(v).toString('utf8'), Buffer.from(v).toString('base64'));
    else if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object') Object.values(v as Record<string, unknown>).forEach(walk);
    else out.push(String(v));
  };
  walk(value);
  return out.join('\n');
}
