import { randomBytes } from 'node:crypto';
import { apiAs, type Caller } from '../support/apiClient';
import { startTestStack, type TestStack } from '../support/testStack';
import { basic, bearer, github, PROVIDERS, stripe, svix, twilio, type ProviderFixture } from '../fixtures/sources/providers';
import { callEvent, countRows, postSigned } from './ingestHelpers';

type Ack = { event_id?: string; workflow_id?: string; duplicate: boolean; ignored?: boolean; receipt_id?: string };

/**
 * Ingest through sources on the real stack: each provider's own format verifies, maps and is
 * stored exactly as the default route stores an event (raw body in the receipt, the normalised
 * event as the payload, dedupe); what verifies but does not map is a rejected receipt (422),
 * what the source ignores an ignored one (202); the dry run says the same and stores nothing.
 */
describe('inbound sources', () => {
  let stack: TestStack;
  let partner: { id: string; api_key: string; inbound_secret: string };
  let asPartner: Caller;
  const uid = () => randomBytes(4).toString('hex');

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
    partner = (await apiAs(stack, stack.adminKey).post('/v1/partners', { name: 'Sources' })).body;
    asPartner = apiAs(stack, partner.api_key);
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function createSource(fixture: ProviderFixture, extra: Record<string, unknown> = {}): Promise<{ id: string; ingest_path: string }> {
    const res = await asPartner.post(`/v1/partners/${partner.id}/sources`, { name: fixture.name, ...fixture.source, ...extra });
    expect(res.status).toBe(201);
    expect(res.body.secret).toBe(fixture.source.secret);
    expect(res.body.ingest_path).toBe(`/v1/sources/${res.body.id}/events`);
    return res.body;
  }

  function post(path: string, body: string, headers: Record<string, string>): Promise<Response> {
    return fetch(`${stack.api}${path}`, { method: 'POST', headers, body });
  }

  const urlOf = (fixture: ProviderFixture, path: string) => (fixture.source.verification['url'] as string | undefined) ?? `${stack.api}${path}`;

  it.each(PROVIDERS.map((p) => [p.name, p] as const))('%s: the provider\'s own request -> 202, the raw body kept, the mapped event stored; a duplicate -> 200', async (_name, fixture) => {
    const source = await createSource(fixture);
    const callId = `call-${uid()}`;
    const body = fixture.body(callId);
    const res = await post(source.ingest_path, body, fixture.headers(fixture.source.secret, body, urlOf(fixture, source.ingest_path)));
    expect({ status: res.status, body: await res.clone().text() }).toEqual({ status: 202, body: expect.any(String) });
    const ack = (await res.json()) as Ack;
    const expected = fixture.expected(callId);
    expect(ack.workflow_id).toBe(`${partner.id}:${expected.call_id}:${expected.event}`);

    const db = stack.core.database.db;
    const event = await db.selectFrom('events').selectAll().where('id', '=', ack.event_id!).executeTakeFirstOrThrow();
    expect({ event: event.event_type, call: event.call_id, partner: event.partner_id }).toEqual({ event: expected.event, call: expected.call_id, partner: partner.id });
    const receipt = await db.selectFrom('receipts').selectAll().where('event_id', '=', ack.event_id!).executeTakeFirstOrThrow();
    expect(receipt.body).toBe(body); // exactly as received, in the partner's own format
    if (fixture.source.mapping) expect((event.payload as { event: string }).event).toBe(expected.event); // the normalised event
    // Which source it came through: on the event, on its receipt, and in the event view.
    expect({ event: event.source_id, receipt: receipt.source_id }).toEqual({ event: source.id, receipt: source.id });
    const view = await asPartner.get(`/v1/events/${ack.event_id}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id: ack.event_id, source: 'partner', source_id: source.id });

    const again = await post(source.ingest_path, body, fixture.headers(fixture.source.secret, body, urlOf(fixture, source.ingest_path)));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ...ack, duplicate: true });
  });

  it.each(PROVIDERS.map((p) => [p.name, p] as const))('%s: signed with another secret -> 401 invalid_signature, nothing stored', async (_name, fixture) => {
    const source = await createSource(fixture);
    const body = fixture.body(`call-${uid()}`);
    const wrong = fixture.source.verification['scheme'] === 'standard_webhooks' ? 'whsec_' + randomBytes(24).toString('base64') : 'not-the-secret';
    const before = await countRows(stack, partner.id);
    const res = await post(source.ingest_path, body, fixture.headers(wrong, body, urlOf(fixture, source.ingest_path)));
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_signature');
    expect(await countRows(stack, partner.id)).toEqual(before);
  });

  it('the default route is unchanged beside sources (its events name no source)', async () => {
    const res = await postSigned(stack, partner.id, partner.inbound_secret, callEvent('call.started', `call-${uid()}`));
    expect(res.status).toBe(202);
    const { event_id: eventId } = (await res.json()) as Ack;
    const view = await asPartner.get(`/v1/events/${eventId}`);
    expect(view.body).toMatchObject({ id: eventId, source: 'partner', source_id: null });
    const receipt = await stack.core.database.db.selectFrom('receipts').select('source_id').where('event_id', '=', eventId!).executeTakeFirstOrThrow();
    expect(receipt.source_id).toBeNull();
  });

  it('Stripe: an event name the source ignores -> 202 ignored, kept as an ignored receipt the partner can read', async () => {
    const source = await createSource(stripe);
    const body = stripe.body(`call-${uid()}`).replace('"invoice.paid"', '"customer.created"');
    const res = await post(source.ingest_path, body, stripe.headers(stripe.source.secret, body, ''));
    expect(res.status).toBe(202);
    const ack = (await res.json()) as Ack;
    expect(ack).toEqual({ duplicate: false, ignored: true, receipt_id: expect.stringMatching(/^srr_/) });
    const receipts = await asPartner.get(`/v1/partners/${partner.id}/sources/${source.id}/receipts`);
    expect(receipts.status).toBe(200);
    expect(receipts.body.data).toEqual([expect.objectContaining({ id: ack.receipt_id, outcome: 'ignored', body })]);
  });

  it('verified but unmappable -> 422 naming the rule and pointer, kept as a rejected receipt; never a 5xx', async () => {
    const source = await createSource(github);
    const before = await countRows(stack, partner.id);
    const body = JSON.stringify({ action: 'completed', call: { ended_at_ms: 1764547141000 } }); // no call.sid
    const res = await post(source.ingest_path, body, github.headers(github.source.secret, body, ''));
    expect(res.status).toBe(422);
    const error = ((await res.json()) as { error: { message: string; details: Array<Record<string, string>> } }).error;
    expect(error.message).toContain('call_id');
    expect(error.details[0]).toMatchObject({ field: 'mapping.call_id', pointer: '/call/sid', code: 'pointer_not_found', receipt_id: expect.stringMatching(/^srr_/) });
    expect(await countRows(stack, partner.id)).toEqual(before);
    const receipts = await asPartner.get(`/v1/partners/${partner.id}/sources/${source.id}/receipts`);
    expect(receipts.body.data).toEqual([expect.objectContaining({ id: error.details[0]!['receipt_id'], outcome: 'rejected', body, reason: error.message })]);

    // The event name is the X-GitHub-Event header's: an unknown one, or none, is refused naming the header.
    const ringing = JSON.stringify({ action: 'ringing', call: { sid: 'c1', ended_at_ms: 1 } });
    const refused = await post(source.ingest_path, ringing, { ...github.headers(github.source.secret, ringing, ''), 'x-github-event': 'call_ringing' });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { details: Array<Record<string, string>> } }).error.details[0]).toMatchObject({ field: 'mapping.event', code: 'unknown_event', header: 'X-GitHub-Event' });
    const { 'x-github-event': _name, ...nameless } = github.headers(github.source.secret, ringing, '');
    const missing = await post(source.ingest_path, ringing, nameless);
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { error: { details: Array<Record<string, string>> } }).error.details[0]).toMatchObject({ field: 'mapping.event', code: 'header_not_found', header: 'X-GitHub-Event' });

    // Three rejections, one `source.rejected` operational event: the first one's, for this window.
    const signals = await asPartner.get('/v1/operational-events?type=source.rejected');
    expect(signals.status).toBe(200);
    const ofSource = (signals.body.data as Array<{ detail: Record<string, unknown> }>).filter((e) => e.detail['source_id'] === source.id);
    expect(ofSource.map((e) => e.detail)).toEqual([{ source_id: source.id, receipt_id: error.details[0]!['receipt_id'], reason: error.message, window_minutes: 5 }]);
  });

  it('GitHub: the event name comes from the X-GitHub-Event header, in ingest and in the dry run alike', async () => {
    const source = await createSource(github);
    const callId = `call-${uid()}`;
    const body = github.body(callId);
    const started = { ...github.headers(github.source.secret, body, ''), 'x-github-event': 'call_started' };
    const res = await post(source.ingest_path, body, started);
    expect(res.status).toBe(202);
    const ack = (await res.json()) as Ack;
    expect(ack.workflow_id).toBe(`${partner.id}:${callId}:call.started`); // the header's name, not the body's `action`
    const path = `/v1/partners/${partner.id}/sources/${source.id}/test`;
    const { 'x-github-event': _name, ...nameless } = started;
    const dry = await asPartner.post(path, { body, headers: { ...nameless, 'X-GitHub-Event': 'call_ended' } }); // names case-insensitive
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ outcome: 'accepted', verified: true, event: { event: 'call.ended', call_id: callId } });
    const none = await asPartner.post(path, { body, headers: nameless });
    expect(none.body).toMatchObject({ outcome: 'rejected', verified: true, failure: { stage: 'mapping', rule: 'event', code: 'header_not_found', header: 'X-GitHub-Event' } });
  });

  it('a mapping names the event in exactly one place: a body pointer or a header', async () => {
    const base = { name: 'both', verification: github.source.verification, secret: github.source.secret };
    const both = await asPartner.post(`/v1/partners/${partner.id}/sources`, { ...base, mapping: { ...github.source.mapping, event: '/action' } });
    expect(both.status).toBe(422);
    expect(both.body.error.details).toEqual([expect.objectContaining({ field: 'mapping.event', message: expect.stringContaining('exactly one of event') })]);
    const { event_header: _h, ...neither } = github.source.mapping as Record<string, unknown>;
    expect((await asPartner.post(`/v1/partners/${partner.id}/sources`, { ...base, mapping: neither })).status).toBe(422);
    const badHeader = await asPartner.post(`/v1/partners/${partner.id}/sources`, { ...base, mapping: { ...github.source.mapping, event_header: 'X GitHub Event' } });
    expect(badHeader.status).toBe(422);
    // The document says the same (and shows the event's source in the event view).
    const doc = (await apiAs(stack, stack.adminKey).get('/openapi.json')).body as { components: { schemas: Record<string, { properties: Record<string, unknown>; oneOf?: unknown }> } };
    const mapping = doc.components.schemas['SourceMapping']!;
    expect(Object.keys(mapping.properties)).toEqual(expect.arrayContaining(['event', 'event_header']));
    expect(mapping.oneOf).toEqual([{ required: ['event'] }, { required: ['event_header'] }]);
    expect(doc.components.schemas['EventView']!.properties['source_id']).toMatchObject({ type: expect.anything() });
  });

  it('dry run: answers what ingest would do, for each step, and stores nothing', async () => {
    const source = await createSource(stripe);
    const path = `/v1/partners/${partner.id}/sources/${source.id}/test`;
    const callId = `call-${uid()}`;
    const body = stripe.body(callId);
    const before = await countRows(stack, partner.id);
    const ok = await asPartner.post(path, { body, headers: stripe.headers(stripe.source.secret, body, '') });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({
      outcome: 'accepted',
      verified: true,
      event: {
        event: 'cost.calculated',
        call_id: callId,
        occurred_at: '2023-06-06T22:19:30.000Z',
        runtime_vars: { crm_account_id: 'cus_NffrFeUfNV2Hib' },
        data: expect.objectContaining({ object: 'invoice', amount_paid: 1250 }),
      },
    });
    const unsigned = await asPartner.post(path, { body, headers: {} });
    expect(unsigned.body).toEqual({ outcome: 'refused', verified: false, failure: { stage: 'verification', code: 'missing_signature', message: 'missing Stripe-Signature header' } });
    const noTime = body.replace('"created":1686089970', '"created":"yesterday"');
    const unmapped = await asPartner.post(path, { body: noTime, headers: stripe.headers(stripe.source.secret, noTime, '') });
    expect(unmapped.body).toMatchObject({ outcome: 'rejected', verified: true, failure: { stage: 'mapping', rule: 'occurred_at', pointer: '/created', code: 'wrong_type' } });
    expect(await countRows(stack, partner.id)).toEqual(before);
    const receipts = await asPartner.get(`/v1/partners/${partner.id}/sources/${source.id}/receipts`);
    expect(receipts.body.data).toEqual([]);
  });

  it('secrets are never returned after creation; a rotation keeps the previous secret for its grace period', async () => {
    const source = await createSource(bearer);
    const got = await asPartner.get(`/v1/partners/${partner.id}/sources/${source.id}`);
    const listed = await asPartner.get(`/v1/partners/${partner.id}/sources`);
    expect(got.text).not.toContain(bearer.source.secret);
    expect(listed.text).not.toContain(bearer.source.secret);
    const stored = await stack.core.database.db.selectFrom('source_secrets').select('secret_ciphertext').where('source_id', '=', source.id).execute();
    expect(stored.map((s) => s.secret_ciphertext.includes(bearer.source.secret))).toEqual([false]);

    const rotated = await asPartner.post(`/v1/partners/${partner.id}/sources/${source.id}/rotate-secret`, { secret: 'tok_next_secret_value', grace_period_seconds: 3600 });
    expect(rotated.status).toBe(200);
    for (const secret of [bearer.source.secret, 'tok_next_secret_value']) {
      const body = bearer.body(`call-${uid()}`);
      expect((await post(source.ingest_path, body, bearer.headers(secret, body, ''))).status).toBe(202);
    }
    await asPartner.post(`/v1/partners/${partner.id}/sources/${source.id}/rotate-secret`, { secret: 'tok_third', grace_period_seconds: 0 });
    const body = bearer.body(`call-${uid()}`);
    expect((await post(source.ingest_path, body, bearer.headers('tok_next_secret_value', body, ''))).status).toBe(401);
    expect((await post(source.ingest_path, body, bearer.headers('tok_third', body, ''))).status).toBe(202);
  });

  it('a token in a named header is a credential: never kept with a receipt, accepted or rejected', async () => {
    const fixture = { ...bearer, source: { ...bearer.source, verification: { scheme: 'token', header: 'X-Source-Token' } } };
    const source = await createSource(fixture);
    const good = bearer.body(`call-${uid()}`);
    const headers = { 'content-type': 'application/json', 'x-source-token': bearer.source.secret };
    const res = await post(source.ingest_path, good, headers);
    expect(res.status).toBe(202);
    const ack = (await res.json()) as Ack;
    const stored = await stack.core.database.db.selectFrom('receipts').select('headers').where('event_id', '=', ack.event_id!).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored.headers)).not.toContain(bearer.source.secret);
    expect((await post(source.ingest_path, '{"kind":"hangup"}', headers)).status).toBe(422);
    const receipts = await asPartner.get(`/v1/partners/${partner.id}/sources/${source.id}/receipts`);
    expect(receipts.body.data).toHaveLength(1);
    expect(receipts.text).not.toContain(bearer.source.secret);
  });

  it('IP allowlist: the client address must be listed; a deleted source is 404', async () => {
    const listed = await createSource(basic, { ip_allowlist: ['127.0.0.0/8', '2001:db8::/32'] });
    const elsewhere = await createSource(basic, { ip_allowlist: ['203.0.113.0/24'] });
    const body = basic.body(`call-${uid()}`);
    expect((await post(listed.ingest_path, body, basic.headers(basic.source.secret, body, ''))).status).toBe(202);
    const refused = await post(elsewhere.ingest_path, body, basic.headers(basic.source.secret, body, ''));
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe("127.0.0.1 is not in the source's ip_allowlist");

    expect((await asPartner.delete(`/v1/partners/${partner.id}/sources/${listed.id}`)).status).toBe(204);
    expect((await post(listed.ingest_path, body, basic.headers(basic.source.secret, body, ''))).status).toBe(404);
  });

  it('Twilio: a JSON body is refused 415 (the scheme signs form params), and the wrong URL does not verify', async () => {
    const source = await createSource(twilio);
    const body = twilio.body(`CA${uid()}`);
    const json = await post(source.ingest_path, JSON.stringify({ CallSid: 'x' }), { 'content-type': 'application/json', 'x-twilio-signature': 'x' });
    expect(json.status).toBe(415);
    const wrongUrl = await post(source.ingest_path, body, twilio.headers(twilio.source.secret, body, `${stack.api}${source.ingest_path}`));
    expect(wrongUrl.status).toBe(401);
  });

  it('a Standard Webhooks source also takes the webhook-* header names, and a stale timestamp is 401', async () => {
    const source = await createSource(svix);
    const body = svix.body(`call-${uid()}`);
    const svixHeaders = svix.headers(svix.source.secret, body, '');
    const renamed = Object.fromEntries(Object.entries(svixHeaders).map(([k, v]) => [k.replace(/^svix-/, 'webhook-'), v]));
    expect((await post(source.ingest_path, body, renamed)).status).toBe(202);
    const stale = { ...svixHeaders, 'svix-timestamp': String(Math.floor(Date.now() / 1000) - 3600) };
    const res = await post(source.ingest_path, body, stale);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('svix-timestamp');
  });

  it('management: validation errors are 422 naming the field; another partner sees nothing', async () => {
    const bad = await asPartner.post(`/v1/partners/${partner.id}/sources`, { name: 'x', verification: { scheme: 'hmac', header: 'X-Sig', signed: 'timestamp_body' }, mapping: { event: 'type', call_id: '/id' } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['mapping.event', 'verification.timestamp_header']);
    const weak = await asPartner.post(`/v1/partners/${partner.id}/sources`, { name: 'x', verification: { scheme: 'standard_webhooks' }, secret: 'short' });
    expect(weak.status).toBe(422);
    const source = await createSource(bearer);
    const other = (await apiAs(stack, stack.adminKey).post('/v1/partners', { name: 'Other' })).body;
    expect((await apiAs(stack, other.api_key).get(`/v1/partners/${partner.id}/sources/${source.id}`)).status).toBe(404);
    expect((await apiAs(stack, other.api_key).get(`/v1/partners/${other.id}/sources/${source.id}`)).status).toBe(404);
    expect((await apiAs(stack, stack.adminKey).get(`/v1/partners/${partner.id}/sources/${source.id}`)).status).toBe(200);
  });
});

/**
 * X-Forwarded-For is believed only from TRUSTED_PROXIES. The stack above trusts loopback (the
 * default), so a proxy on this machine names the client; with TRUSTED_PROXIES=none the same
 * header is the sender's claim and changes nothing.
 */
describe('source IP allowlist behind proxies', () => {
  const stacks: TestStack[] = [];
  afterAll(async () => {
    await Promise.all(stacks.map((s) => s.close()));
  });

  async function allowlistedSource(env: Record<string, string>) {
    const stack = await startTestStack({ worker: false, env });
    stacks.push(stack);
    const partner = (await apiAs(stack, stack.adminKey).post('/v1/partners', { name: 'P' })).body;
    const source = (await apiAs(stack, partner.api_key).post(`/v1/partners/${partner.id}/sources`, { name: 'b', ...basic.source, ip_allowlist: ['203.0.113.0/24'] })).body;
    const body = basic.body(`call-${randomBytes(4).toString('hex')}`);
    return (xff: string) => fetch(`${stack.api}${source.ingest_path}`, { method: 'POST', headers: { ...basic.headers(basic.source.secret, body, ''), 'x-forwarded-for': xff }, body });
  }

  it('a trusted proxy (loopback, the default) names the client; an untrusted one does not', async () => {
    const trusting = await allowlistedSource({});
    expect((await trusting('203.0.113.9')).status).toBe(202);
    expect((await trusting('198.51.100.1')).status).toBe(403);
    const untrusting = await allowlistedSource({ TRUSTED_PROXIES: 'none' });
    expect((await untrusting('203.0.113.9')).status).toBe(403);
  });
});
