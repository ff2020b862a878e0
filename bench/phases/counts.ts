import { temporal } from '@temporalio/proto';
import { eventWorkflowId } from '../../src/domain/workflowIds';
import { BENCH, log } from '../config';
import type { E2eEnvironment } from '../e2eEnvironment';
import type { BenchStack } from '../stack/benchStack';
import { eagerBetween, eagerStartCounts } from '../stack/switchboardProcesses';
import { sleep } from '../stack/processes';
import { runPool } from '../stats';
import { targetRow, type BenchContext, type Phase } from './phase';

const EventType = temporal.api.enums.v1.EventType;

/** Every statement pg_stat_statements has seen on one database, by query id. */
async function statementCalls(stack: BenchStack, database: string): Promise<Map<string, { calls: number; query: string }>> {
  const rows = await stack.adminQuery<{ queryid: string; calls: string; query: string }>(
    `select queryid::text, calls::text, query from pg_stat_statements s join pg_database d on d.oid = s.dbid where d.datname = $1`,
    [database],
  );
  return new Map(rows.map((r) => [r.queryid, { calls: Number(r.calls), query: r.query }]));
}

function callsBetween(before: Map<string, { calls: number }>, after: Map<string, { calls: number; query: string }>) {
  return [...after].map(([id, a]) => ({ calls: a.calls - (before.get(id)?.calls ?? 0), query: a.query })).filter((s) => s.calls > 0);
}

interface HistoryCounts {
  workflows: number;
  events: number;
  upserts: number;
  workflowTasks: number;
  markers: number;
  byType: Record<string, number>;
  /** How many workflows had a history of each length: shows the happy path's shape beside the average. */
  lengths: Record<string, number>;
}

/** History events of each event's workflows: the event workflow, its children, and delivery workflows the database names. */
async function historyCounts(env: E2eEnvironment, workflowIds: string[]): Promise<HistoryCounts> {
  const out: HistoryCounts = { workflows: 0, events: 0, upserts: 0, workflowTasks: 0, markers: 0, byType: {}, lengths: {} };
  const seen = new Set<string>();
  // In waves: a wave's histories name the next wave's workflows (children).
  const queue = [...workflowIds];
  while (queue.length > 0) await runPool(queue.splice(0), 8, fetchOne);
  return out;

  async function fetchOne(id: string): Promise<void> {
    if (seen.has(id)) return;
    seen.add(id);
    const history = await env.client.workflow.getHandle(id).fetchHistory();
    out.workflows++;
    const length = String(history.events?.length ?? 0);
    out.lengths[length] = (out.lengths[length] ?? 0) + 1;
    for (const e of history.events ?? []) {
      out.events++;
      const type = EventType[e.eventType ?? 0] ?? String(e.eventType);
      out.byType[type] = (out.byType[type] ?? 0) + 1;
      if (e.eventType === EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES) out.upserts++;
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) out.workflowTasks++;
      if (e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED) out.markers++;
      const child = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
      if (child && !seen.has(child)) queue.push(child);
    }
  }
}

const per = (n: number, events: number) => Number((n / events).toFixed(2));

/**
 * The deterministic counts for a delivered event with one endpoint on the happy path, from a small
 * pass at low concurrency with the instrumented worker (after its own warm-up), so instrumentation
 * never touches the throughput rounds: Temporal history events and search-attribute upserts (the
 * histories, fetched through the client), workflow activations (the worker's sink counter), SQL
 * statements from ingest to settled (pg_stat_statements over the pass, everything on the database
 * included), eager starts (the worker's own metric).
 */
export const countsPhase: Phase = {
  name: 'counts',
  async run(ctx: BenchContext) {
    const env = await ctx.e2e();
    const n = BENCH.countEvents;
    log(`phase counts: ${n} events at concurrency ${BENCH.countConcurrency} with the instrumented worker`);
    await env.useWorker('counting');
    // Warm-up: prepared statements, caches, the relay's first sweeps.
    await deliverAndSettle(env, Math.min(20, n), 'count-warmup');

    // What the database sees with nothing to do (relay polls, gauges): the pass includes its share.
    const idle0 = await statementCalls(ctx.stack, env.db.name);
    const idleMs = 5_000;
    await sleep(idleMs);
    const idleCalls = callsBetween(idle0, await statementCalls(ctx.stack, env.db.name)).reduce((a, s) => a + s.calls, 0);

    const eager0 = await eagerStartCounts((s) => env.procs.workerMetric(s));
    const activations0 = await env.procs.activations();
    const deferred0 = await env.procs.workerMetric('switchboard_first_attempts_total{mode="deferred"}');
    const sql0 = await statementCalls(ctx.stack, env.db.name);
    const t0 = Date.now();
    const callIds = await deliverAndSettle(env, n, 'count');
    const passMs = Date.now() - t0;
    const statements = callsBetween(sql0, await statementCalls(ctx.stack, env.db.name)).sort((a, b) => b.calls - a.calls);
    const activations = (await env.procs.activations()) - activations0;
    const eager = eagerBetween(eager0, await eagerStartCounts((s) => env.procs.workerMetric(s)));
    const firstAttemptsDeferred = (await env.procs.workerMetric('switchboard_first_attempts_total{mode="deferred"}')) - deferred0;

    const eventWorkflows = callIds.map((c) => eventWorkflowId(env.db.partner.id, c, 'call.started'));
    const deliveryWorkflows = await deliveryWorkflowIds(env, eventWorkflows);
    const history = await historyCounts(env, [...eventWorkflows, ...deliveryWorkflows]);
    await env.useWorker('regular');

    const sqlCalls = statements.reduce((a, s) => a + s.calls, 0);
    const background = Math.round((idleCalls * passMs) / idleMs);
    const counts = {
      events: n,
      concurrency: BENCH.countConcurrency,
      passSeconds: Number((passMs / 1000).toFixed(1)),
      historyEventsPerEvent: per(history.events, n),
      upsertsPerEvent: per(history.upserts, n),
      workflowTasksPerEvent: per(history.workflowTasks, n),
      markersPerEvent: per(history.markers, n),
      workflowsPerEvent: per(history.workflows, n),
      historyEventTypes: history.byType,
      historyLengths: history.lengths,
      firstAttemptsDeferred,
      activationsPerEvent: per(activations, n),
      sqlStatementsPerEvent: per(sqlCalls, n),
      sqlBackgroundPerEventEstimate: per(background, n),
      sqlTopStatements: statements.slice(0, 15).map((s) => ({ perEvent: per(s.calls, n), query: s.query.replace(/\s+/g, ' ').slice(0, 160) })),
      eagerStarts: eager,
    };
    ctx.results['counts'] = counts;
    log(`counts: history ${counts.historyEventsPerEvent}, upserts ${counts.upsertsPerEvent}, activations ${counts.activationsPerEvent}, SQL ${counts.sqlStatementsPerEvent} (background ~${counts.sqlBackgroundPerEventEstimate}), eager ${eager.percent} %`);
    for (const s of counts.sqlTopStatements) log(`  SQL ${s.perEvent}/event: ${s.query}`);
    ctx.rows.push(
      targetRow(`counts (${n} events): Temporal history events per event (mean)`, `${counts.historyEventsPerEvent} (${counts.workflowsPerEvent} workflows, ${counts.workflowTasksPerEvent} workflow tasks)`, counts.historyEventsPerEvent, { op: '<=', limit: 8 }),
      { metric: 'counts: workflows by history length (length: workflows)', switchboard: Object.entries(history.lengths).map(([l, c]) => `${l}: ${c}`).join(', ') },
      { metric: 'counts: first attempts deferred to the task queue', switchboard: `${firstAttemptsDeferred} of ${n}` },
      targetRow('counts: search-attribute upserts per event (beyond the start)', `${counts.upsertsPerEvent}`, counts.upsertsPerEvent, { op: '<=', limit: 1 }),
      targetRow('counts: workflow activations per event (worker)', `${counts.activationsPerEvent}`, counts.activationsPerEvent, { op: '<=', limit: 3 }),
      targetRow('counts: SQL statements per event, ingest to settled (all on the db)', `${counts.sqlStatementsPerEvent} (~${counts.sqlBackgroundPerEventEstimate} background)`, counts.sqlStatementsPerEvent, { op: '<=', limit: 5 }),
      targetRow('counts: eager workflow starts (separate processes)', `${eager.eager} of ${eager.total}`, eager.percent, { op: '>=', limit: 95, unit: ' %' }),
    );
  },
};

/** Posts n events, waits for every delivery and for every event workflow to close (nothing left to settle). */
async function deliverAndSettle(env: E2eEnvironment, n: number, label: string): Promise<string[]> {
  env.receiver.reset();
  const callIds = env.nextCallIds(n, label);
  const eventIds: string[] = [];
  await runPool(callIds, BENCH.countConcurrency, async (callId) => {
    eventIds.push((await env.post(callId)).eventId);
  });
  await env.receiver.waitFor(eventIds, 60_000);
  const { arrivals, duplicates, badSignatures } = env.receiver;
  env.account('switchboard', { events: n, lost: n - arrivals.size, duplicates, badSignatures });
  if (env.receiver.arrivals.size < n) throw new Error(`counts pass: only ${env.receiver.arrivals.size} of ${n} deliveries arrived`);
  // Through Temporal, not the database: the pass's statement count must hold Switchboard's statements only.
  await runPool(callIds, 16, async (callId) => {
    await env.client.workflow.getHandle(eventWorkflowId(env.db.partner.id, callId, 'call.started')).result();
  });
  return callIds;
}

/** Delivery workflows of these events (when a first attempt ran as its own workflow), from the deliveries table. */
async function deliveryWorkflowIds(env: E2eEnvironment, eventWorkflows: string[]): Promise<string[]> {
  const rows = await env.stack.adminQueryOn<{ workflow_id: string }>(
    env.db.name,
    `select d.workflow_id from deliveries d join events e on e.id = d.event_id where e.workflow_id = any($1) and d.workflow_id is not null and d.workflow_id <> e.workflow_id`,
    [eventWorkflows],
  );
  return rows.map((r) => r.workflow_id);
}
