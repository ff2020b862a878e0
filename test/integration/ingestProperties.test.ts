import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { standardSignature } from '../../src/signing/signDelivery';
import { seedPartner } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/testStack';
import { xSignatureHeaders } from './ingestHelpers';

/**
 * Random bodies, headers, signatures, encodings and sizes against the real ingest route: never a
 * 5xx, never a crash, and never an event row or receipt whose body was not validly signed by us.
 */
describe('ingest under random input (property-based)', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  /** sha256 of every body this test signed validly; only these may ever be stored. */
  const validlySigned = new Set<string>();
  const hash = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

  beforeAll(async () => {
    stack = await startTestStack({ worker: false, env: { INGEST_RATE_PER_SECOND: '100000', INGEST_RATE_BURST: '100000' } });
    partner = await seedPartner(stack);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const eventTypes = fc.constantFrom('call.started', 'call.ended', 'call.failed', 'agent.status_changed', 'call.nope', '', 'CALL.ENDED');
  const anyJson = fc.jsonValue({ maxDepth: 4 });
  const plausibleEvent = fc.record(
    {
      event: eventTypes,
      call_id: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null)),
      id: fc.string({ maxLength: 10 }),
      occurred_at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string({ maxLength: 30 }), fc.constant('2024-02-30T00:00:00Z')),
      tenant_id: fc.string({ maxLength: 10 }),
      runtime_vars: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 3 }), anyJson),
      data: fc.oneof(fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 4 }), anyJson),
      extra: anyJson,
    },
    { requiredKeys: [] },
  );
  const validEvent = fc.record({
    event: fc.constantFrom('call.started', 'call.ended', 'call.failed', 'recording.ready', 'cost.calculated'),
    call_id: fc.string({ minLength: 1, maxLength: 20 }),
    occurred_at: fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
    data: fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 4 }),
  });
  const bodyText = fc.oneof(
    { weight: 4, arbitrary: validEvent.map((e) => JSON.stringify(e)) },
    { weight: 6, arbitrary: plausibleEvent.map((e) => JSON.stringify(e)) },
    { weight: 2, arbitrary: fc.string({ maxLength: 200, unit: 'binary' }) },
    { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.constantFrom('', 'null', '{', '{"event":"call.ended","call_id":"x","occurred_at":"2024-01-01T00:00:00Z","data":{"a":"\\u0000"}}', '{"data":"\\ud800"}') },
  );
  const body = fc.oneof(
    { weight: 9, arbitrary: bodyText.map((t) => Buffer.from(t, 'utf8')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) }, // not UTF-8, probably
    { weight: 1, arbitrary: fc.constantFrom(1024 * 1024 - 200, 1024 * 1024 + 1, 3 * 1024 * 1024).map((n) => Buffer.from(JSON.stringify({ event: 'call.ended', call_id: 'big', occurred_at: new Date().toISOString(), data: { pad: 'x'.repeat(n) } }))) },
  );
  const signing = fc.constantFrom('standard-valid', 'x-signature-valid', 'none', 'garbage', 'wrong-secret', 'stale', 'gzip-valid');
  const asciiHeader = fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, ''));
  const extraHeaders = fc.record(
    {
      'content-type': fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'application/json; charset=latin1', 'multipart/form-data'),
      'content-encoding': fc.constantFrom('identity', 'gzip', 'br', 'deflate', 'zstd', 'bogus'),
      'webhook-id': asciiHeader,
      'webhook-timestamp': asciiHeader,
      'webhook-signature': asciiHeader,
      'x-signature': asciiHeader,
    },
    { requiredKeys: [] },
  );

  it('never 5xx, never a crash, never a stored row without a valid signature', async () => {
    const other = await seedPartner(stack, 'Other');
    let cases = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, signing, extraHeaders, async (raw, how, extra) => {
        cases++;
        let sent: Buffer = raw;
        let headers: Record<string, string> = { ...extra };
        const ts = Math.floor(Date.now() / 1000);
        const text = raw.toString('utf8');
        switch (how) {
          case 'standard-valid':
          case 'gzip-valid':
            // Valid only when the bytes are valid UTF-8: the signed string must be the body.
            if (Buffer.from(text, 'utf8').equals(raw)) {
              headers = { 'content-type': 'application/json', 'webhook-id': 'msg_p', 'webhook-timestamp': String(ts), 'webhook-signature': standardSignature(partner.inbound_secret, 'msg_p', ts, text) };
              if (how === 'gzip-valid') {
                headers['content-encoding'] = 'gzip';
                sent = gzipSync(raw);
              }
              validlySigned.add(hash(raw));
            }
            break;
          case 'x-signature-valid':
            headers = xSignatureHeaders(partner.inbound_secret, raw);
            validlySigned.add(hash(raw));
            break;
          case 'wrong-secret':
            headers = xSignatureHeaders(other.inbound_secret, raw);
            break;
          case 'stale':
            headers = { 'webhook-id': 'm', 'webhook-timestamp': String(ts - 3600), 'webhook-signature': standardSignature(partner.inbound_secret, 'm', ts - 3600, text) };
            break;
          case 'garbage':
          case 'none':
            break;
        }
        const res = await fetch(`${stack.api}/v1/webhooks/${partner.id}`, { method: 'POST', headers, body: sent });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status).toBeLessThan(500);
        expect(res.headers.get('content-type') ?? '').toMatch(/application\/json/);
        await res.arrayBuffer();
      }),
      { numRuns: 2000 },
    );
    expect(cases).toBe(2000);

    // Still alive, and every stored receipt is a body we signed validly.
    expect((await fetch(`${stack.api}/healthz`)).status).toBe(200);
    const receipts = await stack.core.database.db.selectFrom('receipts').select('body').execute();
    for (const r of receipts) expect(validlySigned.has(hash(r.body))).toBe(true);
    const events = await stack.core.database.db.selectFrom('events').select('partner_id').execute();
    expect(events.every((e) => e.partner_id === partner.id)).toBe(true);
    // The run exercised both sides: some accepted, many refused.
    expect([...statuses.keys()].some((s) => s === 202 || s === 200)).toBe(true);
    expect([...statuses.keys()].some((s) => s === 401)).toBe(true);
    process.stdout.write(`ingest property run: ${cases} cases, statuses ${JSON.stringify(Object.fromEntries(statuses))}\n`);
  });
});
