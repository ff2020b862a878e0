import { waitUntil } from '../../src/dev/childProcess';
import { BENCH, log } from '../config';
import { PATIENT_DELIVERY_TIMEOUT_MS } from '../e2eEnvironment';
import { peakRssMb, resetPeakRss, rssMb } from '../stack/memory';
import { sleep } from '../stack/processes';
import { runPool } from '../stats';
import { targetRow, type BenchContext, type Phase } from './phase';

/**
 * Below the patient worker's DELIVERY_TIMEOUT, counted from the delivery's signature timestamp
 * (floored to the second): a held delivery must never time out and be retried.
 */
const MAX_HOLD_MS = PATIENT_DELIVERY_TIMEOUT_MS - 10_000;
/** How long the phase may take to get its events in flight before it reads the peak anyway. */
const FILL_DEADLINE_MS = MAX_HOLD_MS + 20_000;
/** How long the phase waits, after the last arrival, for its workflows to close. */
const SETTLE_DEADLINE_MS = 120_000;

/**
 * Memory at ~BENCH_MEMORY_IN_FLIGHT (1000) events in flight: the receiver holds its answers (up to
 * 50 s after signing, to a worker that waits 60 s for an answer), so while a burst is ingested and
 * started, deliveries stay open and the events pile up as running workflows in the worker; the running count comes from Temporal's visibility. The
 * worker's peak RSS mark is reset first, so VmHWM is this phase's peak, not the run's.
 */
export const memoryPhase: Phase = {
  name: 'memory',
  async run(ctx: BenchContext) {
    const env = await ctx.e2e();
    await env.useWorker('patient');
    const n = BENCH.memoryInFlight;
    log(`phase memory: ${n} events held in flight`);
    const pid = env.workerPid;
    const reset = resetPeakRss(pid);
    env.receiver.reset();
    env.receiver.hold(MAX_HOLD_MS);
    const running = () => env.client.workflow.count(`WorkflowType = 'eventWorkflow' AND ExecutionStatus = 'Running'`).then((c) => c.count);
    let maxInFlight = 0;
    let maxRss = 0;
    const callIds = env.nextCallIds(n, 'memory');
    const eventIds: string[] = [];
    const t0 = Date.now();
    const posting = runPool(callIds, BENCH.concurrency, async (c) => {
      eventIds.push((await env.post(c)).eventId);
    });
    let posted = false;
    void posting.then(() => (posted = true));
    // Sample until nearly all are running, or the holds are about to lapse.
    while (Date.now() - t0 < FILL_DEADLINE_MS) {
      await sleep(500);
      maxInFlight = Math.max(maxInFlight, await running());
      maxRss = Math.max(maxRss, rssMb(pid));
      if (posted && maxInFlight >= n * 0.95) break;
    }
    await posting;
    env.receiver.release();
    await env.receiver.waitFor(eventIds, 60_000);
    // Arrived is not finished: each workflow still records its attempt and closes. Left running,
    // those tasks fall to the next phase's worker and take the slots its eager starts need (until
    // 2026-12-01 the scale phase began under that backlog: 70-85 % eager, 150-177 first attempts
    // deferred, which a scale run on its own never showed).
    await waitUntil(
      async () => {
        const left = await running();
        if (left > 0) throw new Error(`${left} still running`);
      },
      SETTLE_DEADLINE_MS,
      "the memory phase's workflows to close",
      500,
    ).catch((err: Error) => log(`memory: ${err.message}; the next phase inherits them`));
    const lost = eventIds.filter((id) => !env.receiver.arrivals.has(id)).length;
    env.account('switchboard', { events: n, lost, duplicates: env.receiver.duplicates, badSignatures: env.receiver.badSignatures });
    const peak = reset ? peakRssMb(pid) : maxRss;
    const memory = { events: n, maxInFlight, workerPeakRssMb: peak, peakSource: reset ? 'VmHWM since the phase began' : 'sampled VmRSS (clear_refs not allowed)', workerRunPeakRssMb: peakRssMb(pid), serverPeakRssMb: peakRssMb(env.procs.server?.pid) };
    ctx.results['memory'] = memory;
    log(`memory: worker peak RSS ${peak} MB with up to ${maxInFlight} workflows running`);
    ctx.rows.push(
      targetRow(`memory: worker peak RSS at ${maxInFlight} events in flight`, `${peak} MB`, peak, { op: '<=', limit: 300, unit: ' MB' }),
      { metric: 'memory: server peak RSS (whole run)', switchboard: `${memory.serverPeakRssMb} MB` },
    );
  },
};
