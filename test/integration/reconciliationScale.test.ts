import type { WorkflowHandle } from '@temporalio/client';
import { sql } from 'kysely';
import type { ReconciliationWorkflowResult } from '../../workflows/reconciliationWorkflow';
import { seedPartner, seedTenant } from '../support/fixtures';
import { startTestStack, type TestStack } from '../support/testStack';

/**
 * A 20,000-call window: pages of 1,000 calls, 5 pages per run, so the workflow must continue as
 * new several times, and every run's history stays a few dozen events long.
 */
type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

describe('reconciliation over a large window', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ env: { RECONCILIATION_PAGE_SIZE: '1000', RECONCILIATION_PAGES_PER_RUN: '5' } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('20,000 calls complete with continue-as-new and small histories', async () => {
    const db = stack.core.database.db;
    const partner = await seedPartner(stack, 'Big Voice');
    const tenant = await seedTenant(stack, partner.id, 'Big tenant');
    const from = new Date('2025-03-01T00:00:00Z');
    const to = new Date('2025-03-02T00:00:00Z');
    // Loaded straight into the tables (as partners may): the call log and its delivered events,
    // except 5 calls that never produced an event.
    await sql`
      insert into voice_sessions (partner_id, call_id, tenant_id, status, started_at, ended_at, terminal)
      select ${partner.id}, 'big-' || g, ${tenant.id}, 'ended', ${from}::timestamptz, ${from}::timestamptz + g * interval '4 seconds', true
      from generate_series(1, 20000) g`.execute(db);
    await sql`
      insert into events (id, partner_id, call_id, event_type, terminal, tenant_id, occurred_at, payload, status, workflow_id, workflow_started_at)
      select 'evt_big' || g, ${partner.id}, 'big-' || g, 'call.ended', true, ${tenant.id}, now(), '{}'::jsonb, 'delivered', 'wf-big-' || g, now()
      from generate_series(1, 20000) g where g % 4000 <> 0`.execute(db);

    const res = await fetch(`${stack.api}/v1/reconciliations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${partner.api_key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ from: from.toISOString(), to: to.toISOString() }),
    });
    expect(res.status).toBe(202);
    const { workflow_id } = (await res.json()) as { workflow_id: string };
    const handle = stack.temporal.workflow.getHandle(workflow_id);
    const result = (await handle.result()) as ReconciliationWorkflowResult;
    expect(result).toMatchObject({ terminalCalls: 20_000, processed: 19_995, missing: 5, replayed: 5, failed: 0 });
    expect(result.continuedAsNew).toBe(4); // 20 full pages / 5 per run, then one empty page

    // Walk the chain of runs back from the last: each run's start event names the run it continues.
    const runs: Array<{ events: number; continued: boolean }> = [];
    let runId: string | undefined = (await handle.describe()).runId;
    while (runId) {
      const history: { events?: HistoryEvent[] | null } = await stack.temporal.workflow.getHandle(workflow_id, runId).fetchHistory();
      const events: HistoryEvent[] = history.events ?? [];
      expect(events.some((e) => e.workflowTaskFailedEventAttributes)).toBe(false);
      runs.push({ events: events.length, continued: !!events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes });
      runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
    }
    expect(runs).toHaveLength(5);
    expect(runs.filter((r) => r.continued)).toHaveLength(4);
    for (const r of runs) expect(r.events).toBeLessThan(2_000);
    expect(Math.max(...runs.map((r) => r.events))).toBeLessThan(100);

    const run = await db.selectFrom('reconciliation_runs').selectAll().where('workflow_id', '=', workflow_id).executeTakeFirstOrThrow();
    expect(run).toMatchObject({ status: 'completed', terminal_calls: 20_000, missing: 5, replayed: 5, continued_as_new: 4 });
  }, 600_000);
});

