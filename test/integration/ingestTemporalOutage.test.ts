import { rmSync } from 'node:fs';
import { TemporalDevServer } from '../../src/dev/temporalDevServer';
import { seedPartner } from '../support/fixtures';
import { startPrivateTemporal } from '../support/privateTemporal';
import { startTestStack, type TestStack } from '../support/testStack';
import { eventually } from '../support/eventually';
import { callEvent, postSigned } from './ingestHelpers';

type Ack = { event_id: string; workflow_id: string };

/**
 * A private Temporal dev server (the shared one must keep running for other files) that this test
 * stops and starts again on the same port and SQLite file. Depth bound 3 and one start at a time,
 * so shedding and the sweeper's terminal-first order are observable.
 */
describe('ingest while Temporal is down', () => {
  let temporal: TemporalDevServer;
  let stack: TestStack;
  let root: string;

  beforeAll(async () => {
    ({ temporal, root } = await startPrivateTemporal('ingest-temporal'));
    stack = await startTestStack({
      env: { TEMPORAL_ADDRESS: temporal.address, INGEST_MAX_OUTBOX_DEPTH: '3', INGEST_MAX_INFLIGHT_STARTS: '1' },
    });
  });
  afterAll(async () => {
    await stack?.close();
    await temporal?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('acknowledges (202, committed in the outbox), sheds non-terminal past the bound, and starts everything terminal-first once Temporal is back', async () => {
    const partner = await seedPartner(stack);
    const db = stack.core.database.db;
    const post = async (event: string, callId: string) => postSigned(stack, partner.id, partner.inbound_secret, callEvent(event, callId));

    await temporal.stop();

    const acks: Ack[] = [];
    for (const callId of ['c1', 'c2', 'c3']) {
      const res = await post('call.started', callId);
      expect(res.status).toBe(202);
      acks.push((await res.json()) as Ack);
    }
    const rows = await db.selectFrom('events').select(['id', 'workflow_started_at']).where('partner_id', '=', partner.id).execute();
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.workflow_started_at === null)).toBe(true);

    // The outbox is at its bound (3): non-terminal events are shed, terminal ones still accepted.
    const shed = await post('transcript.available', 'c1');
    expect(shed.status).toBe(503);
    expect(Number(shed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await shed.json()) as { error: { code: string } }).error.code).toBe('overloaded');
    const terminal = await post('call.ended', 'c2');
    expect(terminal.status).toBe(202);
    const terminalAck = (await terminal.json()) as Ack;
    expect(await db.selectFrom('events').select('id').where('partner_id', '=', partner.id).execute()).toHaveLength(4);

    // Wait until a sweep has tried the terminal event (so every later sweep takes it first) …
    await eventually(
      () => db.selectFrom('events').select('start_attempts').where('id', '=', terminalAck.event_id).executeTakeFirstOrThrow(),
      (r) => r.start_attempts >= 1,
    );

    // … then bring Temporal back on the same port and database file.
    await temporal.start();
    const all = [...acks, terminalAck];
    await eventually(
      () => db.selectFrom('events').select('id').where('partner_id', '=', partner.id).where('workflow_started_at', 'is', null).execute(),
      (r) => r.length === 0,
      60_000,
    );
    // They really run: the worker (which rode out the outage) completes every one.
    await Promise.all(all.map((a) => stack.temporal.workflow.getHandle(a.workflow_id).result()));
    const described = await Promise.all(all.map((a) => stack.temporal.workflow.getHandle(a.workflow_id).describe()));
    for (const d of described) expect(d.status.name).toBe('COMPLETED');
    const startOf = (i: number) => described[i]!.startTime.getTime();
    const terminalStart = startOf(all.length - 1);
    for (let i = 0; i < acks.length; i++) expect(terminalStart).toBeLessThan(startOf(i));

    // The shed event is not lost to the partner: a retry after the backlog cleared is accepted.
    expect((await post('transcript.available', 'c1')).status).toBe(202);
  });
});
