import { sql } from 'kysely';
import { RateLimitedError, ValidationError } from '../../src/errors';
import { PartnerSecretCache } from '../../src/ingest/partnerSecrets';
import { IngestRefusalRecorder } from '../../src/refusals/refusalRecorder';
import { InvalidSignatureError } from '../../src/server/routes/ingestRefusals';
import { apiAs } from '../support/apiClient';
import { eventually } from '../support/eventually';
import { seedPartner } from '../support/fixtures';
import { partnerHeaders } from '../support/inboundSigning';
import { startTestStack, type TestStack } from '../support/testStack';
import { callEvent, postRaw } from './ingestHelpers';

/**
 * The refusals of the default ingest route a partner is shown (GET
 * /v1/partners/{partner_id}/ingest-refusals): which are stored and which are not, with their
 * reasons and no body, the partner's own only, filtered and paged; and the recorder's budget,
 * which is what keeps a flood of refused requests from becoming a flood of rows.
 */
describe('ingest refusals shown to the partner', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;
  let other: Awaited<ReturnType<typeof seedPartner>>;
  const WRONG_SECRET = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;

  beforeAll(async () => {
    // Rate 1/s with a burst of 1: the second signed POST in a row is a 429.
    stack = await startTestStack({ worker: false, env: { INGEST_RATE_PER_SECOND: '1', INGEST_RATE_BURST: '1' } });
    partner = await seedPartner(stack, 'Refused Voice');
    other = await seedPartner(stack, 'Other Voice');
  }, 120_000);
  afterAll(async () => stack?.close());

  const list = async (key: string, partnerId: string, q = '') => apiAs(stack, key).get(`/v1/partners/${partnerId}/ingest-refusals${q}`);
  const deps = () => ({ db: stack.core.database.db, partnerSecrets: new PartnerSecretCache(stack.core.database.db, stack.core.secretBox), logger: stack.core.logger });
  const rowCount = async () => Number((await sql<{ n: number }>`select count(*)::int as n from ingest_refusals`.execute(stack.core.database.db)).rows[0]!.n);

  it('stores the refusals of a named partner with their reasons, never a body, and shows them only to that partner', async () => {
    const secretBody = JSON.stringify(callEvent('call.started', 'call-badsig', { data: { pin: 'hunter2' } }));
    expect((await postRaw(stack, partner.id, secretBody, partnerHeaders(WRONG_SECRET, secretBody))).status).toBe(401);
    const stale = JSON.stringify(callEvent('call.started', 'call-stale'));
    expect((await postRaw(stack, partner.id, stale, partnerHeaders(partner.inbound_secret, stale, Math.floor(Date.now() / 1000) - 3600))).status).toBe(401);
    const unschematic = JSON.stringify({ event: 'call.started', call_id: 42 });
    expect((await postRaw(stack, partner.id, unschematic, partnerHeaders(partner.inbound_secret, unschematic))).status).toBe(422);
    const again = JSON.stringify(callEvent('call.started', 'call-fast'));
    expect((await postRaw(stack, partner.id, again, partnerHeaders(partner.inbound_secret, again))).status).toBe(429);
    // Not stored: an unknown partner (nobody to show it to).
    expect((await postRaw(stack, 'ptn_nobody', stale, partnerHeaders(partner.inbound_secret, stale))).status).toBe(404);

    const shown = await eventually(() => list(partner.api_key, partner.id), (r) => r.status === 200 && r.body.data.length >= 4);
    const byCall = shown.body.data.map((r: { status: number; reason: string; code: string }) => `${r.status} ${r.code} ${r.reason}`).sort();
    expect(byCall).toEqual(['401 invalid_signature signature_mismatch', '401 invalid_signature stale_timestamp', '422 validation_failed validation_failed', '429 rate_limited rate_limited'].sort());
    expect(JSON.stringify(shown.body)).not.toContain('hunter2');
    expect(shown.body.data.every((r: { partner_id: string; source_ip: string | null }) => r.partner_id === partner.id && r.source_ip)).toBe(true);
    expect(await rowCount()).toBe(4);

    // Another partner's key sees a 404 for this partner and an empty list of its own.
    expect((await list(other.api_key, partner.id)).status).toBe(404);
    expect((await list(other.api_key, other.id)).body.data).toEqual([]);
    expect((await list(stack.adminKey, partner.id)).body.data).toHaveLength(4);
  });

  it('filters by status, reason and time and pages newest first', async () => {
    const sigs = await list(partner.api_key, partner.id, '?status=401');
    expect(sigs.body.data.map((r: { reason: string }) => r.reason).sort()).toEqual(['signature_mismatch', 'stale_timestamp']);
    expect((await list(partner.api_key, partner.id, '?reason=rate_limited')).body.data).toHaveLength(1);
    expect((await list(partner.api_key, partner.id, `?since=${new Date(Date.now() + 60_000).toISOString()}`)).body.data).toEqual([]);
    expect((await list(partner.api_key, partner.id, `?until=${new Date(Date.now() + 60_000).toISOString()}`)).body.data).toHaveLength(4);

    const seen: string[] = [];
    let after: string | null = '';
    while (after !== null) {
      const res = await list(partner.api_key, partner.id, `?limit=3${after ? `&after=${after}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((r: { id: string }) => r.id));
      after = res.body.next_after;
    }
    expect(seen).toHaveLength(4);
    expect([...seen].sort().reverse()).toEqual(seen);

    for (const bad of ['?status=500', '?reason=Not%20A%20Reason', '?limit=0', '?after=evt_x', '?since=yesterday', '?extra=1']) {
      const res = await list(partner.api_key, partner.id, bad);
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it("keeps at most a partner's budget, counts the rest and reports them on the next stored refusal", async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const recorder = new IngestRefusalRecorder(
      deps(),
      { partnerBurst: 2, partnerPerSecond: 1 / 60, globalBurst: 100, globalPerSecond: 100, maxInFlight: 4, now: () => clock },
    );
    const line = { partner_id: other.id, source_ip: '127.0.0.1' };
    for (let i = 0; i < 5; i++) await recorder.record({ ...line }, new InvalidSignatureError('signature_mismatch', 'no signature matched'));
    // Not shown: an unknown partner, and refusals that are the service's (503) or nobody's (404).
    await recorder.record({ partner_id: 'ptn_nobody' }, new ValidationError('bad'));
    const stored = async () => (await list(other.api_key, other.id)).body.data as Array<{ dropped_before: number; message: string }>;
    expect(await stored()).toHaveLength(2);
    clock += 60_000; // one token back
    await recorder.record({ ...line }, new RateLimitedError(1));
    const after = await stored();
    expect(after).toHaveLength(3);
    expect(after[0]!.dropped_before).toBe(3);
    expect(after.slice(1).map((r) => r.dropped_before)).toEqual([0, 0]);
  });

  it('cuts long text and makes it storable', async () => {
    const recorder = new IngestRefusalRecorder(deps());
    await recorder.record({ partner_id: partner.id, call_id: `c\u0000${'x'.repeat(5000)}`, event_type: '😀'.repeat(300) }, new ValidationError('y'.repeat(10_000)));
    const rows = (await list(partner.api_key, partner.id, '?limit=1')).body.data as Array<{ message: string; call_id: string; event_type: string }>;
    expect(rows[0]!.message.length).toBeLessThanOrEqual(500);
    expect(rows[0]!.call_id.startsWith('c\uFFFDx')).toBe(true);
    expect(Array.from(rows[0]!.call_id)).toHaveLength(200);
    expect(Array.from(rows[0]!.event_type)).toHaveLength(200);
  });
});
