import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { BENCH, log } from './config';
import type { TargetRow } from './phases/phase';
import { EventPoster, type PostedEvent } from './eventPoster';
import type { BenchReceiver } from './receiver';
import type { BenchDatabase, BenchStack } from './stack/benchStack';
import { cpuPerEvent, cpuSnapshot } from './stack/cpu';
import { ROOT, spawnTs, stop, waitForLine, type LoggedChild } from './stack/processes';
import { eagerBetween, eagerStartCounts, SwitchboardProcesses, type EagerStarts } from './stack/switchboardProcesses';
import { percentile, runPool } from './stats';

export interface E2eResult {
  events: number;
  seconds: number;
  perSecond: number;
  msPerEvent: number;
  /** POST (or start, for the baseline) → verified delivery, ms; under a burst this includes queueing. */
  p50: number;
  p95: number;
  p99: number;
  lost: number;
  duplicates: number;
  badSignatures: number;
  /** Switchboard only: first attempts the worker deferred to a task-queue activity (over its inline bound). */
  firstAttemptsDeferred?: number;
  /** Switchboard only: relay starts that were eager (the first workflow task came back in the start response). */
  eagerStarts?: EagerStarts;
  /** CPU ms per event by component over the run (load generator and receiver = "bench"). */
  cpuMsPerEvent?: Record<string, number>;
}

export interface RoundTraffic {
  posted: PostedEvent[];
  t0: number;
}

/** Latency and throughput of a round from the receiver's arrivals. */
export function summarise(receiver: BenchReceiver, ids: string[], startedAt: number, sentAt: Map<string, number>): E2eResult {
  const latencies: number[] = [];
  let last = startedAt;
  let lost = 0;
  for (const id of ids) {
    const a = receiver.arrivals.get(id);
    if (!a) {
      lost++;
      continue;
    }
    last = Math.max(last, a.at);
    latencies.push(a.at - (sentAt.get(id) ?? a.receivedAt));
  }
  latencies.sort((x, y) => x - y);
  const seconds = (last - startedAt) / 1000;
  return {
    events: ids.length,
    seconds: Number(seconds.toFixed(2)),
    perSecond: Number((ids.length / seconds).toFixed(1)),
    msPerEvent: Number(((seconds * 1000) / ids.length).toFixed(3)),
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    lost,
    duplicates: receiver.duplicates,
    badSignatures: receiver.badSignatures,
  };
}

type WorkerKind = 'regular' | 'counting' | 'patient';
export const PATIENT_DELIVERY_TIMEOUT_MS = 60_000;
/**
 * The memory phase's worker: deliveries can be held open long enough for ~1000 events to be in
 * flight at once without a timeout turning into a retry, and every first attempt is deferred (an
 * activity of its own) rather than made inside the workflow task: an inline attempt held for most
 * of a minute keeps its workflow task open that long, and on a loaded machine a late task
 * heartbeat times the task out and the attempt is made again (a duplicate; seen at 19 of 1000).
 * At 1000 in flight all but DELIVERY_INLINE_ATTEMPTS (32) are deferred anyway.
 */
const PATIENT_WORKER_ENV = { DELIVERY_TIMEOUT: String(PATIENT_DELIVERY_TIMEOUT_MS), DELIVERY_INLINE_ATTEMPTS: '0' };

/**
 * What the end-to-end phases share: Switchboard's server and worker (separate processes) on the
 * bench_e2e database, the bare-Temporal baseline worker, and a Temporal client (baseline starts,
 * histories, visibility counts).
 */
export class E2eEnvironment {
  readonly procs: SwitchboardProcesses;
  private poster?: EventPoster;
  private baseWorker?: LoggedChild;
  private connection?: Connection;
  client!: Client;
  private workerKind?: WorkerKind;
  private deferredSoFar = 0;
  private roundNo = 0;
  readonly baselineQueue = 'bench-baseline';
  /** Every delivery the receiver expected in this run, by system: nothing may be lost or duplicated. */
  readonly integrity = { switchboard: { events: 0, lost: 0, duplicates: 0, badSignatures: 0 }, baseline: { events: 0, lost: 0, duplicates: 0, badSignatures: 0 } };

  constructor(
    readonly stack: BenchStack,
    readonly receiver: BenchReceiver,
    readonly db: BenchDatabase,
  ) {
    this.procs = new SwitchboardProcesses(stack.baseEnv(db.url));
  }

  static async start(stack: BenchStack, receiver: BenchReceiver): Promise<E2eEnvironment> {
    const db = await stack.prepareDatabase('bench_e2e', receiver.url);
    receiver.setSecrets([db.endpoint.secret]);
    const env = new E2eEnvironment(stack, receiver, db);
    try {
      env.connection = await Connection.connect({ address: stack.temporal.address });
      env.client = new Client({ connection: env.connection });
      await env.procs.startServer();
      env.poster = new EventPoster(env.procs.apiUrl, db.partner, BENCH.concurrency);
      return env;
    } catch (err) {
      await env.stop(); // never leave a half-started server behind
      throw err;
    }
  }

  /**
   * The worker the next phase needs: the regular one, the counts pass's instrumented one, or the
   * memory phase's patient one (PATIENT_WORKER_ENV).
   */
  async useWorker(kind: WorkerKind): Promise<void> {
    if (this.workerKind === kind && this.procs.worker) return;
    await this.procs.stopWorker();
    await this.procs.startWorker({ countActivations: kind === 'counting', env: kind === 'patient' ? PATIENT_WORKER_ENV : {} });
    this.workerKind = kind;
    this.deferredSoFar = 0;
  }

  get workerPid(): number | undefined {
    return this.procs.worker?.pid;
  }

  cpuRoots(): Record<string, number | undefined> {
    return { temporal: this.stack.temporal.pid, postgres: this.stack.pg.pid, server: this.procs.server?.pid, worker: this.procs.worker?.pid, bench: process.pid };
  }

  nextCallIds(n: number, label: string): string[] {
    const round = `${label}-${++this.roundNo}-${randomBytes(3).toString('hex')}`;
    return Array.from({ length: n }, (_, i) => `${round}-${i}`);
  }

  post(callId: string): Promise<PostedEvent> {
    return this.poster!.post(callId);
  }

  /** A burst of n events at the bench's concurrency, through Switchboard; waits for every delivery. */
  async switchboardRound(n: number, label = 'e2e', concurrency = BENCH.concurrency): Promise<E2eResult & { posted: PostedEvent[] }> {
    await this.useWorker('regular');
    this.receiver.reset();
    const callIds = this.nextCallIds(n, label);
    const posted: PostedEvent[] = [];
    const cpu0 = cpuSnapshot(this.cpuRoots());
    const eager0 = await eagerStartCounts((s) => this.procs.workerMetric(s));
    const t0 = Date.now();
    await runPool(callIds, concurrency, async (callId) => {
      posted.push(await this.post(callId));
    });
    await this.receiver.waitFor(posted.map((p) => p.eventId), 60_000);
    const r = summarise(this.receiver, posted.map((p) => p.eventId), t0, new Map(posted.map((p) => [p.eventId, p.sentAt])));
    r.cpuMsPerEvent = cpuPerEvent(cpu0, cpuSnapshot(this.cpuRoots()), n);
    this.account('switchboard', r);
    r.eagerStarts = eagerBetween(eager0, await eagerStartCounts((s) => this.procs.workerMetric(s)));
    const deferred = await this.procs.workerMetric('switchboard_first_attempts_total{mode="deferred"}');
    r.firstAttemptsDeferred = deferred - this.deferredSoFar;
    this.deferredSoFar = deferred;
    log(`switchboard ${label} ${n}: ${r.perSecond}/s, p50 ${r.p50} ms p99 ${r.p99} ms, lost ${r.lost}, duplicates ${r.duplicates}, eager ${r.eagerStarts.percent} %, first attempts deferred ${r.firstAttemptsDeferred}, CPU ms/event ${JSON.stringify(r.cpuMsPerEvent)}`);
    return { ...r, posted };
  }

  /** The same burst through the bare-Temporal baseline: a workflow with one activity doing the signed POST. */
  async baselineRound(n: number): Promise<E2eResult> {
    this.receiver.reset();
    const ids = await this.baselineIds(n);
    const sentAt = new Map<string, number>();
    const roots = { temporal: this.stack.temporal.pid, postgres: this.stack.pg.pid, worker: this.baseWorker!.pid, bench: process.pid };
    const cpu0 = cpuSnapshot(roots);
    const t0 = Date.now();
    await runPool(ids, BENCH.concurrency, async (id) => {
      sentAt.set(id, Date.now());
      await this.baselineStart(id);
    });
    await this.receiver.waitFor(ids, 60_000);
    const r = summarise(this.receiver, ids, t0, sentAt);
    r.cpuMsPerEvent = cpuPerEvent(cpu0, cpuSnapshot(roots), ids.length);
    this.account('baseline', r);
    log(`baseline e2e ${n}: ${r.perSecond}/s, p50 ${r.p50} ms p99 ${r.p99} ms, CPU ms/event ${JSON.stringify(r.cpuMsPerEvent)}`);
    return r;
  }

  /** n fresh baseline ids, the worker running: for a phase that starts baseline workflows its own way. */
  async baselineIds(n: number): Promise<string[]> {
    await this.ensureBaselineWorker();
    return Array.from({ length: n }, (_, i) => `base-${i}-${randomBytes(3).toString('hex')}`);
  }

  /** Starts one baseline workflow (its activity POSTs `id` to the receiver). */
  async baselineStart(id: string): Promise<void> {
    await this.client.workflow.start('baselineDeliveryWorkflow', {
      taskQueue: this.baselineQueue,
      workflowId: id,
      args: [{ id, url: this.receiver.url, receivedAt: new Date().toISOString() }],
    });
  }

  /** Adds a round's deliveries to the run's integrity totals. */
  account(system: 'switchboard' | 'baseline', r: Pick<E2eResult, 'events' | 'lost' | 'duplicates' | 'badSignatures'>): void {
    const t = this.integrity[system];
    t.events += r.events;
    t.lost += r.lost;
    t.duplicates += r.duplicates;
    t.badSignatures += r.badSignatures;
  }

  integrityRow(): TargetRow {
    const { switchboard: s, baseline: b } = this.integrity;
    const bad = s.lost + s.duplicates + s.badSignatures;
    return {
      metric: `lost / duplicate / badly signed deliveries (all ${s.events} events of the run)`,
      switchboard: `${s.lost} / ${s.duplicates} / ${s.badSignatures}`,
      baseline: `${b.lost} / ${b.duplicates} / ${b.badSignatures}`,
      value: String(bad),
      target: '0 / 0 / 0',
      met: bad === 0,
    };
  }

  private async ensureBaselineWorker(): Promise<void> {
    if (this.baseWorker) return;
    this.baseWorker = spawnTs(path.join(ROOT, 'bench/baselineWorker.ts'), [this.stack.temporal.address, this.baselineQueue, this.db.endpoint.secret]);
    await waitForLine(this.baseWorker, /ready/);
  }

  async stop(): Promise<void> {
    await this.poster?.close();
    await this.connection?.close().catch(() => undefined);
    await stop(this.baseWorker);
    await this.procs.stopAll();
  }
}
