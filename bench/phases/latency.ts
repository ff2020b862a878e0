import { START_CLAIM_SECONDS } from '../../src/outbox/startClaim';
import { BENCH, log } from '../config';
import type { E2eEnvironment } from '../e2eEnvironment';
import type { PostedEvent } from '../eventPoster';
import { sleep } from '../stack/processes';
import { percentile, runPool } from '../stats';
import { targetRow, type BenchContext, type Phase } from './phase';

/** Timestamps (epoch ms) of one event's way through, each from where it is recorded. */
interface EventTimeline {
  /** bench: the POST was sent. */
  posted: number;
  /** events.received_at: the ingest transaction. */
  received: number | null;
  /** events.start_claimed_until − START_CLAIM_SECONDS: the relay's claim statement. */
  claimed: number | null;
  /** Temporal: the workflow execution's start time (describe). */
  workflowStarted: number | null;
  /** event_checkpoints 'tenant_resolved' (its transaction's now()). */
  tenantResolved: number | null;
  /** event_checkpoints 'delivering': the deliveries planned. */
  planned: number | null;
  /** delivery_attempts.started_at of attempt 1: the worker just before the POST. */
  firstAttemptSent: number | null;
  /** bench receiver: the verified delivery arrived. */
  arrived: number | null;
  /** deliveries.delivered_at: the attempt's outcome recorded. */
  attemptRecorded: number | null;
  /** Temporal: the workflow closed (the event settled). */
  workflowClosed: number | null;
}

/** The hops in order; `toDelivery` marks the consecutive hops from POST to the delivery's arrival: what the POST→delivery latency is made of, so the slowest of them is marked. */
const HOPS: Array<{ name: string; from: keyof EventTimeline; to: keyof EventTimeline; toDelivery: boolean }> = [
  { name: 'POST → receipt (events.received_at)', from: 'posted', to: 'received', toDelivery: true },
  { name: 'receipt → relay claim (start_claimed_until − lease)', from: 'received', to: 'claimed', toDelivery: true },
  { name: 'relay claim → workflow start (Temporal start time)', from: 'claimed', to: 'workflowStarted', toDelivery: true },
  { name: 'workflow start → tenant resolved (checkpoint tenant_resolved)', from: 'workflowStarted', to: 'tenantResolved', toDelivery: true },
  { name: 'tenant resolved → deliveries planned (checkpoint delivering)', from: 'tenantResolved', to: 'planned', toDelivery: true },
  { name: 'deliveries planned → first attempt sent (delivery_attempts.started_at)', from: 'planned', to: 'firstAttemptSent', toDelivery: true },
  { name: 'workflow start → first attempt sent (the three above)', from: 'workflowStarted', to: 'firstAttemptSent', toDelivery: false },
  { name: 'first attempt sent → arrived at receiver', from: 'firstAttemptSent', to: 'arrived', toDelivery: true },
  { name: 'first attempt sent → attempt recorded (deliveries.delivered_at)', from: 'firstAttemptSent', to: 'attemptRecorded', toDelivery: false },
  { name: 'attempt recorded → workflow closed (settled)', from: 'attemptRecorded', to: 'workflowClosed', toDelivery: false },
];

/**
 * Latency at a steady offered load: BENCH_LATENCY_LOAD (50 %) of the end-to-end capacity the e2e
 * phase measured in this run, as POSTs paced evenly for BENCH_LATENCY_SECONDS (not a burst), then
 * POST → verified delivery p50/p99, and per hop for a sample of events, so the slowest is visible.
 */
export const latencyPhase: Phase = {
  name: 'latency',
  async run(ctx: BenchContext) {
    const env = await ctx.e2e();
    await env.useWorker('regular');
    const capacity = ctx.capacityPerSecond ?? (await env.switchboardRound(BENCH.e2eEvents, 'capacity')).perSecond;
    const rate = Math.max(1, capacity * BENCH.latencyLoad);
    const n = Math.max(1, Math.round(rate * BENCH.latencySeconds));
    log(`phase latency: ${rate.toFixed(1)}/s (${BENCH.latencyLoad * 100} % of ${capacity}/s) for ${BENCH.latencySeconds} s, ${n} events`);
    env.receiver.reset();
    const posted = await paced(env.nextCallIds(n, 'latency'), rate, (callId) => env.post(callId));
    const { latencies, lost } = await deliveredLatencies(env, posted);
    env.account('switchboard', { events: n, lost, duplicates: env.receiver.duplicates, badSignatures: env.receiver.badSignatures });
    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    const sample = posted.filter((_, i) => i % Math.max(1, Math.floor(n / BENCH.latencyHopSample)) === 0).slice(0, BENCH.latencyHopSample);
    const timelines = await timelinesOf(env, sample);
    const hops = HOPS.map(({ name, from, to, toDelivery }) => {
      const d = timelines.flatMap((t) => (t[from] !== null && t[to] !== null ? [t[to]! - t[from]!] : [])).sort((a, b) => a - b);
      return { hop: name, toDelivery, samples: d.length, p50: Math.round(percentile(d, 50)), p99: Math.round(percentile(d, 99)) };
    });
    // Read the hops above first: the baseline's run resets the receiver's arrivals.
    // The floor with Temporal in the path, at the same rate on the same machine: no ingest, no outbox.
    env.receiver.reset();
    const started = await paced(await env.baselineIds(n), rate, async (id) => {
      const sentAt = Date.now();
      await env.baselineStart(id);
      return { eventId: id, sentAt };
    });
    const base = await deliveredLatencies(env, started);
    env.account('baseline', { events: n, lost: base.lost, duplicates: env.receiver.duplicates, badSignatures: env.receiver.badSignatures });
    const baseline = { p50: percentile(base.latencies, 50), p99: percentile(base.latencies, 99), lost: base.lost };
    ctx.results['latency'] = { offeredPerSecond: Number(rate.toFixed(1)), capacityPerSecond: capacity, seconds: BENCH.latencySeconds, events: n, lost, p50, p90: percentile(latencies, 90), p99, hops, baseline };
    log(`latency: p50 ${p50} ms p99 ${p99} ms, lost ${lost}; baseline (client start → activity POST) p50 ${baseline.p50} ms p99 ${baseline.p99} ms, lost ${baseline.lost}`);
    for (const h of hops) log(`  ${h.hop}: p50 ${h.p50} ms p99 ${h.p99} ms (${h.samples} samples)`);
    const slowest = hops.filter((h) => h.toDelivery && h.samples > 0).sort((a, b) => b.p50 - a.p50)[0];
    ctx.rows.push(
      targetRow(`latency at ${rate.toFixed(1)}/s steady (${BENCH.latencyLoad * 100} % of capacity): POST→delivery p50`, `${p50} ms`, p50, { op: '<=', limit: 15, unit: ' ms' }, `${baseline.p50} ms`),
      targetRow('latency: POST→delivery p99 (baseline: client start → delivery)', `${p99} ms`, p99, { op: '<=', limit: 60, unit: ' ms' }, `${baseline.p99} ms`),
      ...hops.map((h) => ({ metric: `  hop ${h.hop}`, switchboard: `p50 ${h.p50} / p99 ${h.p99} ms${h.samples ? '' : ' (no timestamps)'}${h === slowest ? '  <- slowest' : ''}` })),
    );
  },
};

/** One send per item at a steady rate: each at its own time slot, whether or not earlier ones have answered. */
async function paced<T>(items: string[], rate: number, send: (item: string) => Promise<T>): Promise<T[]> {
  const interval = 1000 / rate;
  const t0 = Date.now();
  const sends: Array<Promise<T>> = [];
  for (let i = 0; i < items.length; i++) {
    const wait = t0 + i * interval - Date.now();
    if (wait > 0) await sleep(wait);
    sends.push(send(items[i]!));
  }
  return Promise.all(sends);
}

/** Waits for every delivery; send → verified arrival of each, sorted, and how many never came. */
async function deliveredLatencies(env: E2eEnvironment, sent: Array<Pick<PostedEvent, 'eventId' | 'sentAt'>>): Promise<{ latencies: number[]; lost: number }> {
  await env.receiver.waitFor(sent.map((p) => p.eventId), 60_000);
  const latencies = sent.flatMap((p) => {
    const a = env.receiver.arrivals.get(p.eventId);
    return a ? [a.at - p.sentAt] : [];
  });
  latencies.sort((a, b) => a - b);
  return { latencies, lost: sent.length - latencies.length };
}

const ms = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Each sampled event's timestamps, read after the phase (never during it). */
async function timelinesOf(env: E2eEnvironment, sample: PostedEvent[]): Promise<EventTimeline[]> {
  const rows = await env.stack.adminQueryOn<Record<string, unknown>>(
    env.db.name,
    `select e.id, e.workflow_id,
            extract(epoch from e.received_at) * 1000 as received,
            extract(epoch from e.start_claimed_until - make_interval(secs => $2)) * 1000 as claimed,
            (select extract(epoch from min(c.at)) * 1000 from event_checkpoints c where c.event_id = e.id and c.stage = 'tenant_resolved') as tenant_resolved,
            (select extract(epoch from min(c.at)) * 1000 from event_checkpoints c where c.event_id = e.id and c.stage = 'delivering') as planned,
            (select extract(epoch from min(a.started_at)) * 1000 from delivery_attempts a join deliveries d on d.id = a.delivery_id
              where d.event_id = e.id and a.attempt_number = 1) as first_attempt,
            (select extract(epoch from min(d.delivered_at)) * 1000 from deliveries d where d.event_id = e.id) as recorded
       from events e where e.id = any($1)`,
    [sample.map((s) => s.eventId), START_CLAIM_SECONDS],
  );
  const byId = new Map(rows.map((r) => [String(r['id']), r]));
  const timelines: EventTimeline[] = [];
  await runPool(sample, 8, async (s) => {
    const row = byId.get(s.eventId);
    let workflowStarted: number | null = null;
    let workflowClosed: number | null = null;
    if (row) {
      const d = await env.client.workflow.getHandle(String(row['workflow_id'])).describe().catch(() => undefined);
      workflowStarted = d?.startTime.getTime() ?? null;
      workflowClosed = d?.closeTime?.getTime() ?? null;
    }
    timelines.push({
      posted: s.sentAt,
      received: ms(row?.['received']),
      claimed: ms(row?.['claimed']),
      workflowStarted,
      tenantResolved: ms(row?.['tenant_resolved']),
      planned: ms(row?.['planned']),
      firstAttemptSent: ms(row?.['first_attempt']),
      arrived: env.receiver.arrivals.get(s.eventId)?.at ?? null,
      attemptRecorded: ms(row?.['recorded']),
      workflowClosed,
    });
  });
  return timelines;
}
