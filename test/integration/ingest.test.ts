import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { eventually } from '../support/eventually';
import { seedPartner, waitForWorkflowResult } from '../support/fixtures';
import { partnerHeaders } from '../support/inboundSigning';
import { startTestStack, type TestStack } from '../support/testStack';
import { callEvent, metricValue, postRaw, postSigned, workflowRuns, xSignatureHeaders } from './ingestHelpers';

type Ack = { event_id: string; workflow_id: string; duplicate: boolean };
type ErrorBody = { error: { code: string; message: string; details: unknown } };

describe('ingest on real Postgres + Temporal', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;

  beforeAll(async () => {
    stack = await startTestStack();
    partner = await seedPartner(stack);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('a signed event -> 202 and one running workflow with typed search attributes', async () => {
    const res = await postSigned(stack, partner.id, partner.inbound_secret, callEvent('call.started', 'call-run'));
    expect(res.status).toBe(202);
    const ack = (await res.json()) as Ack;
    expect(ack).toEqual({ event_id: expect.stringMatching(/^evt_/), workflow_id: `${partner.id}:call-run:call.started`, duplicate: false });

    const description = await eventually(
      () => stack.temporal.workflow.getHandle(ack.workflow_id).describe().catch(() => undefined),
      (d) => d !== undefined,
    );
    expect(['RUNNING', 'COMPLETED']).toContain(description!.status.name);
    const attrs = description!.typedSearchAttributes;
    expect(attrs.get({ name: 'PartnerId', type: 'KEYWORD' } as never)).toBe(partner.id);
    expect(attrs.get({ name: 'CallId', type: 'KEYWORD' } as never)).toBe('call-run');
    expect(attrs.get({ name: 'EventType', type: 'KEYWORD' } as never)).toBe('call.started');

    const row = await stack.core.database.db.selectFrom('events').selectAll().where('id', '=', ack.event_id).executeTakeFirstOrThrow();
    expect(row.occurred_at).toBeInstanceOf(Date);
    expect(row.received_at).toBeInstanceOf(Date);
    await eventually(
      () => stack.core.database.db.selectFrom('events').select('workflow_started_at').where('id', '=', ack.event_id).executeTakeFirstOrThrow(),
      (r) => r.workflow_started_at !== null,
    );
  });

  it('the same event 3 times (the last after its workflow completed) -> one event row, three receipts, one run', async () => {
    const event = callEvent('call.ended', 'call-dup', { data: { duration_seconds: 7 } });
    const first = await postSigned(stack, partner.id, partner.inbound_secret, event);
    expect(first.status).toBe(202);
    const ack = (await first.json()) as Ack;

    const second = await postSigned(stack, partner.id, partner.inbound_secret, event);
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ ...ack, duplicate: true });

    await waitForWorkflowResult(stack, ack.workflow_id); // completed (no tenant -> quarantined)
    const third = await postSigned(stack, partner.id, partner.inbound_secret, event);
    expect(third.status).toBe(200);
    expect(await third.json()).toEqual({ ...ack, duplicate: true });

    const db = stack.core.database.db;
    const events = await db.selectFrom('events').select('id').where('workflow_id', '=', ack.workflow_id).execute();
    expect(events).toEqual([{ id: ack.event_id }]);
    const receipts = await db.selectFrom('receipts').select(['duplicate', 'body', 'headers']).where('event_id', '=', ack.event_id).orderBy('id').execute();
    expect(receipts.map((r) => r.duplicate)).toEqual([false, true, true]);
    expect(receipts[0]!.body).toBe(JSON.stringify(event)); // the exact bytes received
    expect(Object.keys(receipts[0]!.headers as object)).toContain('webhook-id');

    // Temporal itself: exactly one execution of this workflow id, and it completed.
    const runs = await eventually(() => workflowRuns(stack, ack.workflow_id), (r) => r.length > 0 && r[0]!.status === 'COMPLETED');
    expect(runs).toHaveLength(1);
  });

  it('20 concurrent identical POSTs -> one event row, 20 receipts, one 202, 19 duplicates, one workflow run', async () => {
    const body = JSON.stringify(callEvent('recording.ready', 'call-race'));
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => postRaw(stack, partner.id, body, partnerHeaders(partner.inbound_secret, body))),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, ...Array(18).fill(200), 202].sort());
    const acks = (await Promise.all(responses.map((r) => r.json()))) as Ack[];
    expect(new Set(acks.map((a) => a.event_id)).size).toBe(1);
    expect(acks.filter((a) => !a.duplicate)).toHaveLength(1);

    const db = stack.core.database.db;
    const workflowId = `${partner.id}:call-race:recording.ready`;
    expect(await db.selectFrom('events').select('id').where('workflow_id', '=', workflowId).execute()).toHaveLength(1);
    const receipts = await db.selectFrom('receipts').select('duplicate').where('event_id', '=', acks[0]!.event_id).execute();
    expect(receipts).toHaveLength(20);
    expect(receipts.filter((r) => !r.duplicate)).toHaveLength(1);
    const runs = await eventually(() => workflowRuns(stack, workflowId), (r) => r.length > 0);
    expect(runs).toHaveLength(1);
  });

  it('interop: a signature made by the official standardwebhooks package verifies; so does X-Signature', async () => {
    const body = JSON.stringify(callEvent('call.queued', 'call-interop'));
    const id = 'msg_interop_1';
    const now = new Date();
    const signature = new Webhook(partner.inbound_secret).sign(id, now, body);
    const res = await postRaw(stack, partner.id, body, {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature,
    });
    expect(res.status).toBe(202);

    const body2 = JSON.stringify(callEvent('call.queued', 'call-xsig'));
    const res2 = await postRaw(stack, partner.id, body2, xSignatureHeaders(partner.inbound_secret, body2));
    expect(res2.status).toBe(202);
  });

  it('out of order: an older event never rewinds call state; a newer one moves it forward', async () => {
    const t = (s: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, s)).toISOString();
    const post = (event: string, at: string) =>
      postSigned(stack, partner.id, partner.inbound_secret, { event, call_id: 'call-ooo', occurred_at: at, data: {} });
    const state = () =>
      stack.core.database.db.selectFrom('call_states').selectAll().where('partner_id', '=', partner.id).where('call_id', '=', 'call-ooo').executeTakeFirstOrThrow();

    expect((await post('call.ended', t(30))).status).toBe(202);
    expect((await post('call.started', t(10))).status).toBe(202); // late, older
    expect((await post('call.queued', t(5))).status).toBe(202); // later still, even older
    let s = await state();
    expect(s.last_event_type).toBe('call.ended');
    expect(s.last_occurred_at.toISOString()).toBe(t(30));
    expect(s.terminal).toBe(true);

    expect((await post('transcript.available', t(50))).status).toBe(202); // newer: moves forward, stays terminal
    s = await state();
    expect(s.last_event_type).toBe('transcript.available');
    expect(s.last_occurred_at.toISOString()).toBe(t(50));
    expect(s.terminal).toBe(true);

    // Every event is kept with both clocks, whatever its order of arrival.
    const rows = await sql<{ event_type: string; occurred_at: Date; received_at: Date }>`
      select event_type, occurred_at, received_at from events where partner_id = ${partner.id} and call_id = 'call-ooo' order by received_at`.execute(stack.core.database.db);
    expect(rows.rows.map((r) => r.event_type)).toEqual(['call.ended', 'call.started', 'call.queued', 'transcript.available']);
  });
});

describe('ingest rate limiting (per-partner token bucket)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false, env: { INGEST_RATE_PER_SECOND: '1', INGEST_RATE_BURST: '3' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('over its bucket a partner gets 429 + Retry-After; another partner is unaffected; after the wait it is accepted', async () => {
    const a = await seedPartner(stack, 'Noisy');
    const b = await seedPartner(stack, 'Quiet');
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const res = await postSigned(stack, a.id, a.inbound_secret, callEvent('call.started', `rl-${i}`));
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(((await res.json()) as ErrorBody).error.code).toBe('rate_limited');
      }
    }
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses.slice(3)).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect((await postSigned(stack, b.id, b.inbound_secret, callEvent('call.started', 'rl-b'))).status).toBe(202);
    expect(await metricValue(stack, 'switchboard_ingest_total', { outcome: 'rate_limited' })).toBeGreaterThanOrEqual(1);
    // Unsigned junk does not spend the bucket: it is refused before the bucket is consulted.
    await new Promise((r) => setTimeout(r, Number(retryAfter) * 1000 + 100));
    for (let i = 0; i < 5; i++) await postRaw(stack, a.id, '{}', { 'content-type': 'application/json' });
    expect((await postSigned(stack, a.id, a.inbound_secret, callEvent('call.started', 'rl-after'))).status).toBe(202);
  });
});
