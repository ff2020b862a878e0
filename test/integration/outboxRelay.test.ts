import { sql } from 'kysely';
import { seedPartner } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/testStack';
import { eventually } from '../support/eventually';
import { callEvent, postSigned } from './ingestHelpers';

type Ack = { event_id: string; workflow_id: string };

/**
 * Ingest only commits and notifies; the relay in the worker starts the workflows. The relay's
 * poll is set to an hour here, so a prompt start can only come from the notification (LISTEN /
 * NOTIFY), including after the listener's connection was killed.
 */
describe('outbox relay', () => {
  let stack: TestStack;
  let partner: Awaited<ReturnType<typeof seedPartner>>;

  beforeAll(async () => {
    stack = await startTestStack({ env: { OUTBOX_SWEEP_INTERVAL: '1h' } });
    partner = await seedPartner(stack);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const startedAt = (eventId: string) =>
    stack.core.database.db.selectFrom('events').select('workflow_started_at').where('id', '=', eventId).executeTakeFirstOrThrow();
  const listeners = async () =>
    (await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and query ilike 'LISTEN %'`.execute(stack.core.database.db)).rows;

  async function postAndAwaitStart(callId: string): Promise<Ack> {
    const res = await postSigned(stack, partner.id, partner.inbound_secret, callEvent('call.started', callId));
    expect(res.status).toBe(202);
    const ack = (await res.json()) as Ack;
    await eventually(() => startedAt(ack.event_id), (r) => r.workflow_started_at !== null, 15_000);
    expect((await stack.temporal.workflow.getHandle(ack.workflow_id).describe()).type).toBe('eventWorkflow');
    return ack;
  }

  it('a notification from ingest wakes the relay: the workflow starts without waiting for the poll', async () => {
    await postAndAwaitStart('relay-notified');
  });

  it('starts eagerly: the server hands the first workflow task back to the worker sharing the relay\'s connection', async () => {
    const eagerStarts = async () =>
      (await stack.core.metrics.workflowStarts.get()).values.find((v) => v.labels['eager'] === 'true')?.value ?? 0;
    const before = await eagerStarts();
    await postAndAwaitStart('relay-eager');
    // The flag comes from the server's answer (a workflow task in the start response), not from our request.
    expect(await eagerStarts()).toBe(before + 1);
  });

  it('the listener reconnects after Postgres terminates its connection, and is woken again', async () => {
    const before = await listeners();
    expect(before).toHaveLength(1);
    await sql`select pg_terminate_backend(${before[0]!.pid})`.execute(stack.core.database.db);
    const after = await eventually(listeners, (l) => l.length === 1 && l[0]!.pid !== before[0]!.pid, 15_000);
    expect(after[0]!.pid).not.toBe(before[0]!.pid);
    await postAndAwaitStart('relay-after-reconnect');
  });
});

describe('the API server without a worker', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ worker: false, env: { OUTBOX_SWEEP_INTERVAL: '200ms' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('acknowledges and keeps the event in the outbox; it never starts a workflow itself', async () => {
    const partner = await seedPartner(stack);
    const res = await postSigned(stack, partner.id, partner.inbound_secret, callEvent('call.started', 'no-relay'));
    expect(res.status).toBe(202);
    const ack = (await res.json()) as Ack;
    // Several of the server's outbox ticks (200 ms) pass: it only counts.
    await new Promise((r) => setTimeout(r, 2_000));
    const row = await stack.core.database.db.selectFrom('events').select(['workflow_started_at', 'start_claimed_until']).where('id', '=', ack.event_id).executeTakeFirstOrThrow();
    expect(row).toEqual({ workflow_started_at: null, start_claimed_until: null });
    await expect(stack.temporal.workflow.getHandle(ack.workflow_id).describe()).rejects.toThrow(/not found/i);
  });
});
