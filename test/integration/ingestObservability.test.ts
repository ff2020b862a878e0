import { Writable } from 'node:stream';
import pino from 'pino';
import { createCoreServices, type CoreServices } from '../../src/bootstrap';
import { loadConfig } from '../../src/config';
import { generateEncryptionKey } from '../../src/crypto/secretBox';
import { startServer, type RunningServer } from '../../src/server/startServer';
import { createPartner } from '../../src/tenancy/partners';
import { partnerHeaders } from '../support/inboundSigning';
import { createTestDatabase } from '../support/testStack';
import { callEvent, sampleValue } from './ingestHelpers';

/**
 * The server with its logger writing into memory, so the one-line-per-receipt contract can be
 * checked field by field. (No worker: starting the workflow is enough here.)
 */
describe('ingest observability', () => {
  const lines: Array<Record<string, unknown>> = [];
  let core: CoreServices;
  let server: RunningServer;

  beforeAll(async () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATABASE_URL: await createTestDatabase(),
      TEMPORAL_ADDRESS: process.env['SWITCHBOARD_TEST_TEMPORAL_ADDRESS'],
      TEMPORAL_TASK_QUEUE: `test-obs-${Date.now()}`,
      SWITCHBOARD_ENCRYPTION_KEY: generateEncryptionKey(),
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        done();
      },
    });
    const base = createCoreServices(config, 'test');
    core = { ...base, logger: pino({ level: 'info' }, sink) };
    server = await startServer(core);
  });
  afterAll(async () => {
    await server?.close();
    await core?.database.close();
  });

  const receiptLines = () => lines.filter((l) => l['msg'] === 'webhook received' || l['msg'] === 'webhook refused');

  it('one pino line per receipt with event id, partner, tenant, type, call id, workflow id, outcome, latency', async () => {
    const partner = await createPartner(core.database.db, core.secretBox, { name: 'Obs' });
    const body = JSON.stringify(callEvent('call.ended', 'call-obs', { tenant_id: 'ten_claimed' }));
    const post = (headers: Record<string, string>) =>
      fetch(`${server.url}/v1/webhooks/${partner.id}`, { method: 'POST', headers, body });

    const first = (await (await post(partnerHeaders(partner.inbound_secret, body))).json()) as { event_id: string; workflow_id: string };
    await post(partnerHeaders(partner.inbound_secret, body)); // duplicate
    await post({ 'content-type': 'application/json' }); // unsigned: rejected

    const got = receiptLines();
    expect(got).toHaveLength(3);
    const [accepted, duplicate, rejected] = got;
    for (const [line, outcome] of [[accepted, 'accepted'], [duplicate, 'duplicate']] as const) {
      expect(line).toMatchObject({
        event_id: first.event_id,
        partner_id: partner.id,
        tenant_id: 'ten_claimed',
        event_type: 'call.ended',
        call_id: 'call-obs',
        workflow_id: first.workflow_id,
        outcome,
        source_ip: expect.any(String),
        webhook_id: expect.stringMatching(/^msg_/),
      });
      expect(typeof line!['latency_ms']).toBe('number');
    }
    expect(rejected).toMatchObject({ partner_id: partner.id, outcome: 'rejected', reason: 'missing_signature', status: 401 });
    expect(typeof rejected!['latency_ms']).toBe('number');
    // No secret or signature material in any line.
    const all = JSON.stringify(lines);
    expect(all).not.toContain(partner.inbound_secret);
    expect(all).not.toContain(partner.inbound_secret.slice('whsec_'.length));

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(sampleValue(metrics, 'switchboard_ingest_total', { outcome: 'accepted' })).toBe(1);
    expect(sampleValue(metrics, 'switchboard_ingest_total', { outcome: 'duplicate' })).toBe(1);
    expect(sampleValue(metrics, 'switchboard_ingest_total', { outcome: 'rejected' })).toBe(1);
    expect(sampleValue(metrics, 'switchboard_ingest_latency_seconds_count', { outcome: 'accepted' })).toBe(1);
    expect(sampleValue(metrics, 'switchboard_ingest_latency_seconds_bucket', { outcome: 'accepted', le: '+Inf' })).toBe(1);
    expect(sampleValue(metrics, 'switchboard_ingest_latency_seconds_count', { outcome: 'rejected' })).toBe(1);
  });
});
