import { gzipSync } from 'node:zlib';
import { seedPartner } from '../support/fixtures';
import { partnerHeaders } from '../support/inboundSigning';
import { startTestStack, type TestStack } from '../support/testStack';
import { callEvent, countRows, metricValue, signBytes, xSignatureHeaders } from './ingestHelpers';

/**
 * The hand-made ingest cases (the ones the fuzzer's run was checked against, plus what it found),
 * as one table: each row is a request and the answer it must get. A refused row gets the
 * documented error shape with its code, is counted under its reason, is not logged as an error,
 * carries no Retry-After (nothing about it changes by retrying) and stores nothing; an accepted
 * row stores exactly one event.
 */
type Partner = Awaited<ReturnType<typeof seedPartner>>;
type Row = {
  name: string;
  request: (p: Partner, other: Partner) => { path?: string; headers: Record<string, string>; body?: string | Buffer | (() => ReadableStream<Uint8Array>) };
  status: number;
  code?: string;
  /** switchboard_ingest_rejections_total{reason}; null when the request never reaches ingest. */
  reason?: string | null;
  mentions?: RegExp;
};

const MiB = 1024 * 1024;
const now = () => Math.floor(Date.now() / 1000);
const event = (extra: Record<string, unknown> = {}) => JSON.stringify(callEvent('call.started', `call-${Math.random().toString(36).slice(2)}`, extra));
const signed = (p: Partner, body: string, ts?: number) => ({ body, headers: partnerHeaders(p.inbound_secret, body, ts) });
const signedAs = (p: Partner, body: string, contentType: string | null) => {
  const headers = partnerHeaders(p.inbound_secret, body);
  if (contentType === null) delete headers['content-type'];
  else headers['content-type'] = contentType;
  return { body, headers };
};
/** A body streamed in chunks with no Content-Length (Transfer-Encoding: chunked). */
const chunked = (bytes: Buffer) => () =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.subarray(i, i + 64 * 1024));
      controller.close();
    },
  });

const rows: Row[] = [
  // Accepted: JSON in UTF-8 in any of its spellings, plain or compressed.
  { name: 'application/json', request: (p) => signed(p, event()), status: 202 },
  { name: 'application/json; charset=utf-8', request: (p) => signedAs(p, event(), 'application/json; charset=UTF-8'), status: 202 },
  { name: 'a +json media type', request: (p) => signedAs(p, event(), 'application/cloudevents+json'), status: 202 },
  { name: 'gzip, within the limit once inflated', request: (p) => { const b = event(); return { body: gzipSync(b), headers: { ...partnerHeaders(p.inbound_secret, b), 'content-encoding': 'gzip' } }; }, status: 202 },
  { name: 'X-Signature', request: (p) => { const b = event(); return { body: b, headers: xSignatureHeaders(p.inbound_secret, b) }; }, status: 202 },

  // The partner id in the path.
  { name: 'path %zz (not percent-encoding)', request: (p) => ({ ...signed(p, event()), path: '/v1/webhooks/%zz' }), status: 400, code: 'bad_request', reason: null, mentions: /percent-encoding/ },
  { name: 'path %ff (not UTF-8)', request: (p) => ({ ...signed(p, event()), path: '/v1/webhooks/%ff' }), status: 400, code: 'bad_request', reason: null, mentions: /percent-encoding/ },
  { name: 'path %00 (NUL)', request: (p) => ({ ...signed(p, event()), path: '/v1/webhooks/%00' }), status: 404, code: 'not_found', reason: 'invalid_partner_id', mentions: /partner id/ },
  { name: 'NUL inside a partner id', request: (p) => ({ ...signed(p, event()), path: `/v1/webhooks/${p.id}%00` }), status: 404, code: 'not_found', reason: 'invalid_partner_id', mentions: /partner id/ },
  { name: 'unknown (well-formed) partner', request: (p) => ({ ...signed(p, event()), path: '/v1/webhooks/ptn_nobody' }), status: 404, code: 'not_found', reason: 'unknown_partner', mentions: /partner/ },

  // Content types: JSON in UTF-8 only.
  { name: 'text/plain', request: (p) => signedAs(p, event(), 'text/plain'), status: 415, code: 'unsupported_media_type', reason: 'unsupported_media_type', mentions: /text\/plain/ },
  { name: 'application/xml', request: (p) => signedAs(p, event(), 'application/xml'), status: 415, code: 'unsupported_media_type', reason: 'unsupported_media_type' },
  { name: 'form-urlencoded', request: (p) => signedAs(p, event(), 'application/x-www-form-urlencoded'), status: 415, code: 'unsupported_media_type', reason: 'unsupported_media_type' },
  { name: 'multipart', request: (p) => signedAs(p, event(), 'multipart/form-data; boundary=x'), status: 415, code: 'unsupported_media_type', reason: 'unsupported_media_type' },
  { name: 'no content type', request: (p) => signedAs(p, event(), null), status: 415, code: 'unsupported_media_type', reason: 'unsupported_media_type', mentions: /application\/json/ },
  { name: 'charset=utf-16', request: (p) => signedAs(p, event(), 'application/json; charset=utf-16'), status: 415, code: 'unsupported_media_type', reason: 'unsupported_media_type' },

  // Size.
  { name: 'empty body', request: (p) => signed(p, ''), status: 400, code: 'invalid_json', reason: 'invalid_json', mentions: /not valid JSON/ },
  { name: 'over the limit (Content-Length)', request: (p) => signed(p, event({ data: { pad: 'x'.repeat(MiB) } })), status: 413, code: 'payload_too_large', reason: 'payload_too_large', mentions: /exceeds 1048576 bytes/ },
  { name: 'over the limit (chunked, no Content-Length)', request: (p) => { const b = event({ data: { pad: 'x'.repeat(MiB) } }); return { body: chunked(Buffer.from(b)), headers: partnerHeaders(p.inbound_secret, b) }; }, status: 413, code: 'payload_too_large', reason: 'payload_too_large' },
  { name: 'over the limit once gzip-inflated', request: (p) => { const b = event({ data: { pad: 'x'.repeat(2 * MiB) } }); return { body: gzipSync(b), headers: { ...partnerHeaders(p.inbound_secret, b), 'content-encoding': 'gzip' } }; }, status: 413, code: 'payload_too_large', reason: 'payload_too_large' },
  { name: 'unknown content encoding', request: (p) => { const b = event(); return { body: b, headers: { ...partnerHeaders(p.inbound_secret, b), 'content-encoding': 'bogus' } }; }, status: 415, code: 'unsupported_media_type', reason: 'unsupported_media_type' },

  // Signatures.
  { name: 'no signature', request: () => ({ body: event(), headers: { 'content-type': 'application/json' } }), status: 401, code: 'invalid_signature', reason: 'missing_signature', mentions: /missing signature/ },
  { name: 'garbled webhook-signature', request: (p) => { const s = signed(p, event()); return { ...s, headers: { ...s.headers, 'webhook-signature': 'v1,@@not base64@@' } }; }, status: 401, code: 'invalid_signature', reason: 'signature_mismatch' },
  { name: 'garbled webhook-timestamp', request: (p) => { const s = signed(p, event()); return { ...s, headers: { ...s.headers, 'webhook-timestamp': 'yesterday' } }; }, status: 401, code: 'invalid_signature', reason: 'malformed_signature_headers' },
  { name: 'malformed X-Signature', request: () => ({ body: event(), headers: { 'content-type': 'application/json', 'x-signature': 'md5=abc' } }), status: 401, code: 'invalid_signature', reason: 'malformed_signature_headers', mentions: /sha256=/ },
  { name: "another partner's secret", request: (_p, other) => signed(other, event()), status: 401, code: 'invalid_signature', reason: 'signature_mismatch', mentions: /matches/ },
  { name: 'body changed after signing', request: (p) => { const b = event(); return { body: b.replace('call-', 'cali-'), headers: partnerHeaders(p.inbound_secret, b) }; }, status: 401, code: 'invalid_signature', reason: 'signature_mismatch' },
  { name: 'timestamp 10 min old', request: (p) => signed(p, event(), now() - 600), status: 401, code: 'invalid_signature', reason: 'stale_timestamp', mentions: /in the past/ },
  { name: 'timestamp 10 min ahead', request: (p) => signed(p, event(), now() + 600), status: 401, code: 'invalid_signature', reason: 'stale_timestamp', mentions: /in the future/ },

  // Encoding and JSON (signed, so these reach the parser).
  { name: 'invalid UTF-8', request: (p) => { const b = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]); return { body: b, headers: signBytes(p.inbound_secret, b) }; }, status: 400, code: 'invalid_json', reason: 'invalid_encoding', mentions: /UTF-8/ },
  { name: 'not JSON', request: (p) => signed(p, '{"event": "call.started",'), status: 400, code: 'invalid_json', reason: 'invalid_json', mentions: /not valid JSON/ },
  { name: 'nesting 10 000 deep', request: (p) => signed(p, event().replace('"data":{}', `"data":{"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`)), status: 422, code: 'validation_failed', reason: 'too_deep', mentions: /nests deeper/ },
  { name: 'top-level array', request: (p) => signed(p, `[${event()}]`), status: 422, code: 'validation_failed', reason: 'validation_failed', mentions: /expected object/ },
  { name: 'duplicate key (event twice, last would win)', request: (p) => signed(p, event().replace('{', '{"event":"call.ended",')), status: 422, code: 'validation_failed', reason: 'duplicate_key', mentions: /"event"/ },
  { name: 'duplicate key spelled with an escape', request: (p) => signed(p, event().replace('{', '{"\\u0065vent":"call.ended",')), status: 422, code: 'validation_failed', reason: 'duplicate_key', mentions: /"event"/ },
  { name: 'duplicate key nested in data', request: (p) => signed(p, event({ data: { amount: 1 } }).replace('"amount":1', '"amount":1,"amount":2')), status: 422, code: 'validation_failed', reason: 'duplicate_key', mentions: /data\.amount/ },

  // Shape.
  { name: 'unknown event type', request: (p) => signed(p, JSON.stringify(callEvent('call.exploded', 'c1'))), status: 422, code: 'validation_failed', reason: 'validation_failed', mentions: /event:/ },
  { name: 'missing call_id', request: (p) => signed(p, JSON.stringify({ event: 'call.ended', occurred_at: new Date().toISOString() })), status: 422, code: 'validation_failed', reason: 'validation_failed', mentions: /call_id/ },
  { name: 'agent event with neither id nor call_id', request: (p) => signed(p, JSON.stringify({ event: 'agent.status_changed', occurred_at: new Date().toISOString() })), status: 422, code: 'validation_failed', reason: 'validation_failed', mentions: /id \(or call_id\) is required/ },
  { name: 'missing occurred_at', request: (p) => signed(p, JSON.stringify({ event: 'call.ended', call_id: 'c1' })), status: 422, code: 'validation_failed', reason: 'validation_failed', mentions: /occurred_at/ },
  { name: 'occurred_at with a UTC offset Postgres cannot store', request: (p) => signed(p, JSON.stringify({ ...callEvent('call.ended', 'c1'), occurred_at: '2020-01-01T00:00:00+16:00' })), status: 422, code: 'validation_failed', reason: 'validation_failed', mentions: /occurred_at: must be a date-time PostgreSQL can store/ },
  { name: 'unknown top-level field', request: (p) => signed(p, event({ colour: 'blue' })), status: 422, code: 'validation_failed', reason: 'validation_failed', mentions: /colour/ },
  { name: 'NUL in call_id', request: (p) => signed(p, JSON.stringify(callEvent('call.ended', 'c\u0000'))), status: 422, code: 'validation_failed', reason: 'validation_failed', mentions: /call_id: must not contain NUL/ },
  { name: 'a \\u0000 Postgres cannot store in jsonb', request: (p) => signed(p, event({ data: { note: 'a\u0000b' } })), status: 422, code: 'validation_failed', reason: 'validation_failed', mentions: /cannot be stored/ },
];

describe('ingest: the hand-made cases, one table', () => {
  let stack: TestStack;
  let victim: Partner;
  let other: Partner;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    victim = await seedPartner(stack, 'Refusals Voice');
    other = await seedPartner(stack, 'Other Voice');
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each(rows)('$name -> $status', async (row) => {
    const { path = `/v1/webhooks/${victim.id}`, headers, body } = row.request(victim, other);
    const refused = row.status >= 400;
    const before = await countRows(stack, victim.id);
    const beforeRejected = await metricValue(stack, 'switchboard_ingest_total', { outcome: 'rejected' });
    const beforeReason = row.reason ? await metricValue(stack, 'switchboard_ingest_rejections_total', { reason: row.reason }) : 0;
    const errorLog = jest.spyOn(stack.server.ctx.logger, 'error');
    try {
      const res = await fetch(`${stack.api}${path}`, {
        method: 'POST',
        headers,
        body: typeof body === 'function' ? body() : body,
        ...(typeof body === 'function' ? { duplex: 'half' } : {}),
      } as RequestInit);
      const json = (await res.json()) as { error?: { code: string; message: string; details: unknown } };
      expect(res.status).toBe(row.status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      if (refused) {
        expect(Object.keys(json)).toEqual(['error']);
        expect(Object.keys(json.error!).sort()).toEqual(['code', 'details', 'message']);
        expect(json.error!.code).toBe(row.code);
        if (row.mentions) expect(json.error!.message).toMatch(row.mentions);
        expect(res.headers.get('retry-after')).toBeNull();
        expect(errorLog).not.toHaveBeenCalled();
        expect(await countRows(stack, victim.id)).toEqual(before);
        if (row.reason !== null) {
          expect(await metricValue(stack, 'switchboard_ingest_total', { outcome: 'rejected' })).toBe(beforeRejected + 1);
          expect(await metricValue(stack, 'switchboard_ingest_rejections_total', { reason: row.reason! })).toBe(beforeReason + 1);
        }
      } else {
        const after = await countRows(stack, victim.id);
        expect(after).toEqual({ events: before.events + 1, receipts: before.receipts + 1 });
      }
    } finally {
      errorLog.mockRestore();
    }
  });

  it('signature rejections are also counted by signature reason', async () => {
    const before = await metricValue(stack, 'switchboard_signature_rejections_total', { reason: 'missing_signature' });
    await fetch(`${stack.api}/v1/webhooks/${victim.id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: event() });
    expect(await metricValue(stack, 'switchboard_signature_rejections_total', { reason: 'missing_signature' })).toBe(before + 1);
  });

  it('refuses the duplicate-key body that a last-wins parser would have stored as call.started', async () => {
    const body = JSON.stringify(callEvent('call.ended', 'call-dupkey')).replace('"event":"call.ended"', '"event":"call.ended","event":"call.started"');
    const res = await fetch(`${stack.api}/v1/webhooks/${victim.id}`, { method: 'POST', headers: partnerHeaders(victim.inbound_secret, body), body });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { details: unknown } }).error.details).toEqual([{ field: 'event', message: 'duplicate key "event"' }]);
    const stored = await stack.core.database.db.selectFrom('events').select('id').where('call_id', '=', 'call-dupkey').execute();
    expect(stored).toEqual([]);
  });
});
