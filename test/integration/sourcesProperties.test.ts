import fc from 'fast-check';
import { apiAs, type Caller } from '../support/apiClient';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * No mapping configuration, however odd, and no body can make source ingest or the dry run
 * answer 5xx: every random configuration is either stored (200) or refused (422), and every
 * random request through it is answered with a documented 2xx/4xx.
 */
describe('sources under random mappings and bodies (property-based)', () => {
  let stack: TestStack;
  let asPartner: Caller;
  let partnerId: string;
  let source: { id: string; ingest_path: string };
  let formSource: { id: string; ingest_path: string };
  const TOKEN = 'tok_property_test_token';

  beforeAll(async () => {
    stack = await startTestStack({ worker: false, env: { INGEST_RATE_PER_SECOND: '100000', INGEST_RATE_BURST: '100000' } });
    const partner = (await apiAs(stack, stack.adminKey).post('/v1/partners', { name: 'Props' })).body;
    partnerId = partner.id;
    asPartner = apiAs(stack, partner.api_key);
    source = (await asPartner.post(`/v1/partners/${partnerId}/sources`, { name: 'p', verification: { scheme: 'token' }, secret: TOKEN })).body;
    formSource = (await asPartner.post(`/v1/partners/${partnerId}/sources`, { name: 'f', verification: { scheme: 'token', header: 'x-key' }, secret: TOKEN })).body;
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Keys the pointers below can hit, including the ones RFC 6901 escapes. */
  const key = fc.constantFrom('t', 'id', 'at', 'd', '~', 'a/b', '0', '', 'constructor', '__proto__');
  const validPointer = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('/t', '/id', '/at', '/d', '/d/t', '') },
    { weight: 2, arbitrary: fc.array(key, { maxLength: 3 }).map((ks) => ks.map((k) => '/' + k.replace(/~/g, '~0').replace(/\//g, '~1')).join('')) },
  );
  const pointer = fc.oneof({ weight: 4, arbitrary: validPointer }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
  const anyJson = fc.jsonValue({ maxDepth: 3 });
  /** Valid configurations (stored: 200), however odd their pointers and names. */
  const validMapping = fc.record(
    {
      event: validPointer,
      call_id: validPointer,
      occurred_at: fc.option(validPointer, { nil: undefined }),
      time_format: fc.constantFrom('iso8601', 'unix_s', 'unix_ms'),
      tenant_id: fc.option(validPointer, { nil: undefined }),
      voice_session_id: fc.option(validPointer, { nil: undefined }),
      runtime_vars: fc.dictionary(fc.constantFrom('crm_account_id', 'partner_tenant_ref', 'x'), validPointer, { maxKeys: 3 }),
      data: validPointer,
      event_names: fc.dictionary(fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom('hangup', 'toString', '__proto__')), fc.constantFrom('call.ended', 'agent.status_changed', 'call.started'), { maxKeys: 3 }),
      unknown_events: fc.constantFrom('reject', 'ignore'),
    },
    { requiredKeys: ['event', 'call_id'] },
  ).map((m) => JSON.parse(JSON.stringify(m)) as Record<string, unknown>);
  /** Anything at all in the mapping's place (refused: 422, or stored if it happens to be valid). */
  const oddMapping = fc.oneof(
    fc.record(
      {
        event: pointer,
        call_id: pointer,
        time_format: fc.constantFrom('iso8601', 'rfc2822'),
        runtime_vars: fc.dictionary(fc.constantFrom('bad name', 'x'), pointer, { maxKeys: 2 }),
        event_names: fc.dictionary(fc.string({ maxLength: 8 }), fc.constantFrom('switchboard.test', 'nope', 'call.ended'), { maxKeys: 2 }),
        unknown_events: fc.constantFrom('drop', 'ignore'),
      },
      { requiredKeys: [] },
    ),
    anyJson,
  );
  /** Configurations that point where the shaped bodies below put things, so odd values get mapped. */
  const plausibleMapping = fc
    .record({
      time_format: fc.constantFrom('iso8601', 'unix_s', 'unix_ms'),
      occurred_at: fc.constantFrom('/at', undefined),
      tenant_id: fc.constantFrom('/d', '/d/t', '/at', undefined),
      voice_session_id: fc.constantFrom('/d/id', '/t', undefined),
      runtime_vars: fc.constantFrom({}, { crm_account_id: '/d' }, { partner_tenant_ref: '/d/t', x: '/at' }),
      data: fc.constantFrom('', '/d', '/at'),
      unknown_events: fc.constantFrom('reject', 'ignore'),
    })
    .map((m) => JSON.parse(JSON.stringify({ event: '/t', call_id: '/id', event_names: { hangup: 'call.ended' }, ...m })) as Record<string, unknown>);
  const mapping = fc.oneof({ weight: 4, arbitrary: plausibleMapping }, { weight: 3, arbitrary: validMapping }, { weight: 1, arbitrary: oddMapping });
  const value: fc.Arbitrary<unknown> = fc.oneof(
    anyJson,
    fc.constantFrom('call.ended', 'agent.status_changed', 'hangup', '', '\u0000', '2024-02-30T00:00:00Z', 1e21, -1, 1686089970, '1686089970123', 'x'.repeat(300)),
  );
  /** Bodies shaped like the pointers above expect, with odd values where they look. */
  const shaped = fc.record(
    {
      t: fc.oneof({ weight: 3, arbitrary: fc.constantFrom('call.ended', 'agent.status_changed', 'hangup', 'call.nope') }, { weight: 1, arbitrary: value }),
      id: fc.oneof({ weight: 3, arbitrary: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()) }, { weight: 1, arbitrary: value }),
      at: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(1e21, -1e21, 1686089970, '1686089970123', 1e15, -62135596800001, '2024-01-01T00:00:00Z', '2024-02-30T00:00:00Z', 'x') }, { weight: 1, arbitrary: value }),
      d: fc.oneof(value, fc.dictionary(key, value, { maxKeys: 3 })),
    },
    { requiredKeys: [] },
  );
  const body = fc.oneof(
    { weight: 8, arbitrary: shaped.map((o) => JSON.stringify(o)) },
    { weight: 3, arbitrary: fc.dictionary(key, fc.oneof(value, fc.dictionary(key, value, { maxKeys: 3 })), { maxKeys: 6 }).map((o) => JSON.stringify(o)) },
    { weight: 1, arbitrary: anyJson.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '[]', '{"t":"call.ended","id":"c","d":{"a":"\\u0000"}}', '{"t":"\\ud800","id":"\\ud800"}', '{"t":1,"t":2}') },
  );

  const DOCUMENTED = [200, 202, 400, 401, 403, 413, 415, 422, 429];
  /** Passes when `status` is one of `allowed`; otherwise fails showing the case that broke it. */
  const expectIn = (allowed: number[], status: number, context: Record<string, unknown>) =>
    expect(allowed.includes(status) ? 'expected status' : { ...context, status }).toBe('expected status');

  it('PATCH any mapping -> 200 or 422; then any body through ingest and the dry run -> never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(mapping, body, async (m, text) => {
        const patched = await asPartner.patch(`/v1/partners/${partnerId}/sources/${source.id}`, { mapping: m });
        expectIn([200, 422], patched.status, { mapping: m, answer: patched.text });
        const res = await fetch(`${stack.api}${source.ingest_path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: text });
        const answer = await res.text();
        expectIn(DOCUMENTED, res.status, { mapping: m, text, answer });
        const dry = await asPartner.post(`/v1/partners/${partnerId}/sources/${source.id}/test`, { body: text, headers: { authorization: `Bearer ${TOKEN}` } });
        expectIn([200, 422], dry.status, { mapping: m, text, answer: dry.text });
        if (dry.status === 200 && res.status < 500) {
          // The dry run and ingest agree on whether the body would be taken.
          const taken = res.status === 200 || res.status === 202;
          const agrees = taken === ['accepted', 'ignored'].includes(dry.body.outcome as string);
          expect(agrees ? 'agree' : { mapping: m, text, dry: dry.body, status: res.status }).toBe('agree');
        }
      }),
      { numRuns: 300, seed: 19 },
    );
  });

  it('random form-ish and binary bodies with a valid token -> never 5xx', async () => {
    await asPartner.patch(`/v1/partners/${partnerId}/sources/${formSource.id}`, { mapping: { event: '/t', call_id: '/id', unknown_events: 'ignore' } });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=latin1'), async (bytes, type) => {
        const res = await fetch(`${stack.api}${formSource.ingest_path}`, { method: 'POST', headers: { 'content-type': type, 'x-key': TOKEN }, body: Buffer.from(bytes) });
        expectIn(DOCUMENTED, res.status, { bytes: Buffer.from(bytes).toString('base64'), type, answer: await res.text() });
      }),
      { numRuns: 60, seed: 19 },
    );
  });
});
