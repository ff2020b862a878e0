import { BENCH, log } from '../config';
import type { E2eResult } from '../e2eEnvironment';
import { cpuLine, totalCpu } from '../stack/cpu';
import { median, ratio } from '../stats';
import { targetRow, type BenchContext, type Phase } from './phase';

interface Round {
  switchboard: E2eResult;
  baseline: E2eResult;
  /** delivered/s, Switchboard over baseline. */
  throughput: number;
  /** total CPU per event (Temporal + Postgres + worker + server), Switchboard over baseline. */
  totalCpu: number;
  /** the worker's CPU per event, Switchboard over the baseline worker. */
  workerCpu: number;
  /**
   * worker + bench process, Switchboard over baseline: the baseline's workflow starts run in the
   * bench process, Switchboard's in its worker (the relay), so this ratio has both in it. Printed
   * beside the target, never instead of it.
   */
  workerAndStarterCpu: number;
}

/**
 * End to end: bursts of BENCH_E2E_EVENTS events, Switchboard (separate processes) alternating with
 * the bare-Temporal baseline for BENCH_E2E_ROUNDS rounds, after a discarded warm-up of both. Each
 * ratio is the median of the rounds' ratios: the shared VM's speed drifts by tens of percent
 * within minutes, and alternating exposes both sides to the same drift.
 */
export const e2ePhase: Phase = {
  name: 'e2e',
  async run(ctx: BenchContext) {
    const env = await ctx.e2e();
    log('phase e2e: Switchboard alternating with the bare-Temporal baseline');
    if (BENCH.e2eWarmup > 0) {
      log(`end-to-end warm-up: ${BENCH.e2eWarmup} events each (discarded)`);
      await env.switchboardRound(BENCH.e2eWarmup, 'warmup');
      await env.baselineRound(BENCH.e2eWarmup);
    }
    const rounds: Round[] = [];
    for (let i = 0; i < BENCH.e2eRounds; i++) {
      log(`end-to-end round ${i + 1} of ${BENCH.e2eRounds}`);
      const { posted: _posted, ...switchboard } = await env.switchboardRound(BENCH.e2eEvents);
      rounds.push(compareRound(switchboard, await env.baselineRound(BENCH.e2eEvents)));
    }
    // The round whose throughput ratio is the median stands for the figures; each ratio is its own median.
    const mid = [...rounds].sort((a, b) => a.throughput - b.throughput)[Math.floor(rounds.length / 2)]!;
    const sb = mid.switchboard;
    const base = mid.baseline;
    const throughput = median(rounds.map((r) => r.throughput));
    const cpuRatio = median(rounds.map((r) => r.totalCpu));
    const workerRatio = median(rounds.map((r) => r.workerCpu));
    const workerAndStarterRatio = median(rounds.map((r) => r.workerAndStarterCpu));
    const eager = rounds.reduce((a, r) => ({ eager: a.eager + (r.switchboard.eagerStarts?.eager ?? 0), total: a.total + (r.switchboard.eagerStarts?.total ?? 0) }), { eager: 0, total: 0 });
    const eagerPercent = eager.total > 0 ? Number(((100 * eager.eager) / eager.total).toFixed(1)) : NaN;
    ctx.capacityPerSecond = median(rounds.map((r) => r.switchboard.perSecond));
    ctx.results['endToEnd'] = {
      switchboard: sb,
      baseline: base,
      ratio: throughput,
      totalCpuRatio: cpuRatio,
      workerCpuRatio: workerRatio,
      workerAndStarterCpuRatio: workerAndStarterRatio,
      roundRatios: rounds.map((r) => r.throughput),
      eagerStarts: { ...eager, percent: eagerPercent },
      rounds,
    };
    const n = BENCH.e2eEvents;
    ctx.rows.push(
      targetRow(`e2e (${n}, median of ${rounds.length} rounds): delivered/s, ratio`, `${sb.perSecond}`, throughput, { op: '>=', limit: 1.3, unit: 'x' }, `${base.perSecond}`),
      { metric: 'e2e: rounds (delivered/s ratio)', switchboard: rounds.map((r) => r.throughput).join(', ') },
      targetRow('e2e: total CPU ms/event (Temporal+Postgres+worker+server), ratio', `${totalCpu(sb.cpuMsPerEvent)}`, cpuRatio, { op: '<=', limit: 0.8, unit: 'x' }, `${totalCpu(base.cpuMsPerEvent)}`),
      targetRow('e2e: worker CPU ms/event, ratio', `${sb.cpuMsPerEvent?.['worker'] ?? '-'}`, workerRatio, { op: '<=', limit: 1, unit: 'x' }, `${base.cpuMsPerEvent?.['worker'] ?? '-'}`),
      {
        metric: 'e2e: worker + bench process CPU ms/event (the baseline starts its workflows from the bench), ratio',
        switchboard: `${workerAndBench(sb).toFixed(2)}`,
        baseline: `${workerAndBench(base).toFixed(2)}`,
        value: `${workerAndStarterRatio}x (rounds ${rounds.map((r) => r.workerAndStarterCpu).join(', ')})`,
      },
      { metric: 'e2e: CPU ms/event temporal / postgres / worker / server', switchboard: cpuLine(sb.cpuMsPerEvent), baseline: cpuLine(base.cpuMsPerEvent) },
      { metric: 'e2e: POST→delivery p50/p95/p99 ms (burst, includes queueing)', switchboard: `${sb.p50}/${sb.p95}/${sb.p99}`, baseline: `${base.p50}/${base.p95}/${base.p99}` },
      targetRow('e2e: eager workflow starts (separate processes, bursts)', `${eager.eager} of ${eager.total}`, eagerPercent, { op: '>=', limit: 95, unit: ' %' }),
      { metric: 'e2e: first attempts deferred to the task queue', switchboard: `${sb.firstAttemptsDeferred} of ${sb.events}` },
    );
  },
};

function compareRound(switchboard: E2eResult, baseline: E2eResult): Round {
  return {
    switchboard,
    baseline,
    throughput: ratio(switchboard.perSecond, baseline.perSecond),
    totalCpu: ratio(totalCpu(switchboard.cpuMsPerEvent), totalCpu(baseline.cpuMsPerEvent)),
    workerCpu: ratio(switchboard.cpuMsPerEvent?.['worker'] ?? NaN, baseline.cpuMsPerEvent?.['worker'] ?? NaN),
    workerAndStarterCpu: ratio(workerAndBench(switchboard), workerAndBench(baseline)),
  };
}

/** CPU per event of the worker and the bench process together: whoever starts the workflows is in it. */
function workerAndBench(r: E2eResult): number {
  return (r.cpuMsPerEvent?.['worker'] ?? NaN) + (r.cpuMsPerEvent?.['bench'] ?? NaN);
}
