import path from 'node:path';
import { freePort, ROOT, spawnTs, stop, SWITCHBOARD_CLI, waitForLine, type LoggedChild } from './processes';

/**
 * Switchboard's `server` and `worker` as separate OS processes (as production runs them), on one
 * database. The worker can be started with the bench's activation counter (counting/): a preload
 * that adds a workflow interceptor and a sink, for the counts pass only.
 */
export class SwitchboardProcesses {
  server?: LoggedChild;
  worker?: LoggedChild;
  apiUrl = '';
  workerMetricsPort = 0;
  activationCounterPort = 0;

  constructor(private readonly env: Record<string, string>) {}

  async startServer(): Promise<void> {
    const port = await freePort();
    this.server = spawnTs(SWITCHBOARD_CLI, ['server'], { env: { ...this.env, PORT: String(port), HOST: '127.0.0.1' } });
    await waitForLine(this.server, /API server listening/);
    this.apiUrl = `http://127.0.0.1:${port}`;
  }

  async startWorker(opts: { countActivations?: boolean; env?: Record<string, string> } = {}): Promise<void> {
    this.workerMetricsPort = await freePort();
    const env: Record<string, string> = {
      ...this.env,
      ...opts.env,
      WORKER_METRICS_PORT: String(this.workerMetricsPort),
      WORKER_SDK_METRICS_PORT: String(await freePort()),
    };
    const nodeArgs: string[] = [];
    if (opts.countActivations) {
      this.activationCounterPort = await freePort();
      env['BENCH_ACTIVATION_COUNTER_PORT'] = String(this.activationCounterPort);
      nodeArgs.push('--require', path.join(ROOT, 'bench/counting/activationCounterPreload.cjs'));
    } else this.activationCounterPort = 0;
    this.worker = spawnTs(SWITCHBOARD_CLI, ['worker'], { env, nodeArgs });
    // Its /metrics (read for eager-start counts) listens just after the worker starts polling.
    await waitForLine(this.worker, /worker metrics listening/);
  }

  async stopWorker(): Promise<void> {
    await stop(this.worker);
    this.worker = undefined;
  }

  /** One series of the worker's /metrics (e.g. `switchboard_workflow_starts_total{eager="true"}`), 0 if absent. */
  async workerMetric(series: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.workerMetricsPort}/metrics`)).text();
    return metricValue(text, series);
  }

  /** Workflow activations the counting worker concluded so far. */
  async activations(): Promise<number> {
    if (!this.activationCounterPort) throw new Error('the worker was not started with the activation counter');
    const res = await fetch(`http://127.0.0.1:${this.activationCounterPort}/`);
    return ((await res.json()) as { activations: number }).activations;
  }

  async stopAll(): Promise<void> {
    await stop(this.server);
    await this.stopWorker();
    this.server = undefined;
  }
}

/** A series' value in Prometheus text exposition (labels as printed, e.g. `name{eager="true"}`). */
export function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** Eager starts of a metrics-text diff: { eager, total, percent }. */
export interface EagerStarts {
  eager: number;
  total: number;
  percent: number;
}

export async function eagerStartCounts(read: (series: string) => Promise<number>): Promise<{ eager: number; queued: number }> {
  const [eager, queued] = await Promise.all([read('switchboard_workflow_starts_total{eager="true"}'), read('switchboard_workflow_starts_total{eager="false"}')]);
  return { eager, queued };
}

export function eagerBetween(before: { eager: number; queued: number }, after: { eager: number; queued: number }): EagerStarts {
  const eager = after.eager - before.eager;
  const total = eager + after.queued - before.queued;
  return { eager, total, percent: total > 0 ? Number(((100 * eager) / total).toFixed(1)) : NaN };
}
