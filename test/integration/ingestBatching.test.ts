import { sql } from 'kysely';
import { connectDatabase, type DbHandle } from '../../src/db/connect';
import { ValidationError } from '../../src/errors';
import { EventWriteBatcher } from '../../src/ingest/eventWriteBatcher';
import { persistEvent, persistEvents, type PersistInput } from '../../src/ingest/persistEvent';
import { createTestDatabase } from '../support/testStack';

/**
 * Group commit: many events in one statement must mean exactly what they mean one by one
 * (dedupe, receipts, checkpoints, forward-only call state), and one unstorable event must not
 * take its neighbours down with it.
 */
describe('ingest batching', () => {
  let handle: DbHandle;
  let db: DbHandle['db'];
  beforeAll(async () => {
    handle = connectDatabase(await createTestDatabase(), 4);
    db = handle.db;
    await sql`insert into partners (id, name) values ('prt_a', 'A'), ('prt_b', 'B')`.execute(db);
  });
  afterAll(async () => {
    await handle.close();
  });

  let n = 0;
  const input = (over: Partial<PersistInput> = {}): PersistInput => {
    const callId = over.callId ?? `call-${++n}`;
    const eventType = over.eventType ?? 'call.started';
    const body = over.payloadJson ?? JSON.stringify({ event: eventType, call_id: callId, n });
    return {
      partnerId: 'prt_a',
      callId,
      eventType,
      terminal: eventType === 'call.ended',
      tenantId: null,
      voiceSessionId: null,
      occurredAt: '2026-11-24T10:00:00Z',
      payload: undefined,
      payloadJson: body,
      workflowId: `prt_a:${callId}:${eventType}`,
      source: 'partner',
      receipt: { sourceIp: '127.0.0.1', headers: { 'webhook-id': `msg_${n}` }, body },
      ...over,
    };
  };
  const receipts = async (eventId: string) =>
    (await sql<{ duplicate: boolean }>`select duplicate from receipts where event_id = ${eventId} order by id`.execute(db)).rows.map((r) => r.duplicate);
  const checkpoints = async (eventId: string) =>
    (await sql<{ stage: string }>`select stage from event_checkpoints where event_id = ${eventId}`.execute(db)).rows.map((r) => r.stage);

  it('stores new events, dedupes within the batch and against the table, and keeps input order', async () => {
    const earlier = await persistEvent(db, input({ callId: 'dup-old' }));
    const batch = [
      input({ callId: 'fresh-1' }),
      input({ callId: 'twice' }),
      input({ callId: 'dup-old' }),
      input({ callId: 'twice' }),
      input({ callId: 'same-call-other-partner', partnerId: 'prt_b' }),
      input({ callId: 'fresh-2' }),
    ];
    const results = await persistEvents(db, batch);

    expect(results.map((r) => r.duplicate)).toEqual([false, false, true, true, false, false]);
    expect(results[2]!.eventId).toBe(earlier.eventId);
    expect(results[3]!.eventId).toBe(results[1]!.eventId);
    expect(results.map((r) => r.workflowId)).toEqual(batch.map((b) => b.workflowId).map((w, i) => (i === 3 ? batch[1]!.workflowId : w)));
    expect(new Set(results.map((r) => r.eventId)).size).toBe(5);

    // A receipt per POST, duplicates included; a `received` checkpoint per new event only.
    expect(await receipts(results[1]!.eventId)).toEqual([false, true]);
    expect(await receipts(earlier.eventId)).toEqual([false, true]);
    expect(await checkpoints(results[1]!.eventId)).toEqual(['received']);
    expect(await checkpoints(earlier.eventId)).toEqual(['received']);
    const { rows } = await sql<{ n: string }>`select count(*) as n from events where call_id = 'twice'`.execute(db);
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it('moves call state forward only, whatever the order within a batch', async () => {
    const ended = input({ callId: 'ordered', eventType: 'call.ended', occurredAt: '2026-11-24T10:05:00Z' });
    const started = input({ callId: 'ordered', eventType: 'call.started', occurredAt: '2026-11-24T10:00:00Z' });
    const [e] = await persistEvents(db, [ended, started]);
    const { rows } = await sql<{ last_event_type: string; last_event_id: string; terminal: boolean }>`
      select last_event_type, last_event_id, terminal from call_states where partner_id = 'prt_a' and call_id = 'ordered'`.execute(db);
    expect(rows).toEqual([{ last_event_type: 'call.ended', last_event_id: e!.eventId, terminal: true }]);

    // A later batch with an older event leaves it as it is.
    await persistEvents(db, [input({ callId: 'ordered', eventType: 'transcript.available', occurredAt: '2026-11-24T09:00:00Z' })]);
    const after = await sql<{ last_event_type: string }>`select last_event_type from call_states where call_id = 'ordered'`.execute(db);
    expect(after.rows[0]!.last_event_type).toBe('call.ended');
  });

  it('births a reconciliation event claimed, and an ingest one unclaimed, in the same batch', async () => {
    const [claimed, free] = await persistEvents(db, [input({ claimStart: true, source: 'reconciliation' }), input()]);
    const { rows } = await sql<{ id: string; claimed: boolean; source: string }>`
      select id, start_claimed_until is not null as claimed, source from events where id in (${claimed!.eventId}, ${free!.eventId})`.execute(db);
    const byId = new Map(rows.map((r) => [r.id, r]));
    expect(byId.get(claimed!.eventId)).toMatchObject({ claimed: true, source: 'reconciliation' });
    expect(byId.get(free!.eventId)).toMatchObject({ claimed: false, source: 'partner' });
  });

  it('shares statements among requests arriving while the database is busy', async () => {
    const sizes: number[] = [];
    const writer = new EventWriteBatcher((inputs) => persistEvents(db, inputs), { concurrency: 1, maxBatch: 16, onBatch: (s) => sizes.push(s) });
    const inputs = Array.from({ length: 40 }, () => input());
    const results = await Promise.all(inputs.map((i) => writer.persist(i)));

    // The first is written at once, alone; the rest queued behind it and went in shared statements.
    expect(sizes[0]).toBe(1);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(40);
    expect(Math.max(...sizes)).toBe(16);
    expect(sizes.length).toBeLessThan(10);
    expect(results.every((r) => !r.duplicate)).toBe(true);
    const { rows } = await sql<{ n: string }>`select count(*) as n from events where id in (${sql.join(results.map((r) => r.eventId))})`.execute(db);
    expect(Number(rows[0]!.n)).toBe(40);
  });

  it('caps a statement by body bytes as well as by count', async () => {
    const sizes: number[] = [];
    const writer = new EventWriteBatcher((inputs) => persistEvents(db, inputs), { concurrency: 1, maxBatch: 16, maxBatchBytes: 2500, onBatch: (s) => sizes.push(s) });
    const big = () => {
      const callId = `big-${++n}`;
      return input({ callId, payloadJson: JSON.stringify({ event: 'call.started', call_id: callId, note: 'x'.repeat(1000) }) });
    };
    const results = await Promise.all(Array.from({ length: 9 }, () => writer.persist(big())));
    expect(sizes).toEqual([1, 2, 2, 2, 2]);
    const { rows } = await sql<{ note: string }>`select payload->>'note' as note from events where id = ${results[8]!.eventId}`.execute(db);
    expect(rows[0]!.note).toHaveLength(1000);
  });

  it('refuses only the unstorable event of a batch; its neighbours are stored', async () => {
    const writer = new EventWriteBatcher((inputs) => persistEvents(db, inputs), { concurrency: 1, maxBatch: 16 });
    // Postgres refuses \u0000 in jsonb: the whole statement fails, so the batch is retried one by one.
    const bad = input({ callId: 'nul', payloadJson: '{"event":"call.started","note":"\\u0000"}' });
    const good = Array.from({ length: 8 }, () => input());
    const [blocker, ...settled] = await Promise.allSettled([writer.persist(input()), ...good.slice(0, 4).map((i) => writer.persist(i)), writer.persist(bad), ...good.slice(4).map((i) => writer.persist(i))]);

    expect(blocker!.status).toBe('fulfilled');
    const refused = settled[4]!;
    expect(refused.status).toBe('rejected');
    expect((refused as PromiseRejectedResult).reason).toBeInstanceOf(ValidationError);
    const stored = settled.filter((s) => s !== refused);
    expect(stored.every((s) => s.status === 'fulfilled')).toBe(true);
    const { rows } = await sql<{ n: string }>`select count(*) as n from events where call_id in (${sql.join([...good.map((g) => g.callId), 'nul'])})`.execute(db);
    expect(Number(rows[0]!.n)).toBe(8);
  });
});
