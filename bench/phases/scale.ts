import { BENCH, log } from '../config';
import type { E2eResult } from '../e2eEnvironment';
import { targetRow, type BenchContext, type Phase } from './phase';

/**
 * Scale: Switchboard end to end at BENCH_SCALE sizes; the cost per event (wall ms per delivered
 * event) must stay flat. The smallest size runs again after the others, and the largest is
 * compared with the mean of the smallest's two rounds, which bracket it: this machine's speed
 * drifts by a third within a quarter of an hour (2026-12-02: the same 1000-event round cost 32.1 ms
 * of CPU per event in the e2e phase and 45.3 ms thirteen minutes later), so a figure reused from
 * another phase measured the machine as much as the size.
 */
export const scalePhase: Phase = {
  name: 'scale',
  async run(ctx: BenchContext) {
    const env = await ctx.e2e();
    const sizes = [...BENCH.scale].sort((a, b) => a - b);
    const smallest = sizes[0]!;
    const largest = sizes[sizes.length - 1]!;
    const order = [...sizes, smallest];
    log(`phase scale: ${order.join(', ')} events`);
    // The memory phase before this one ran another worker: warm this one up first, or its JIT
    // warm-up lands in the first small round and flatters the ratio.
    if (BENCH.e2eWarmup > 0) await env.switchboardRound(BENCH.e2eWarmup, 'scale-warmup');
    const runs: E2eResult[] = [];
    for (const n of order) {
      const { posted: _posted, ...r } = await env.switchboardRound(n, 'scale');
      runs.push(r);
    }
    const smallRounds = runs.filter((r) => r.events === smallest);
    const smallMs = smallRounds.reduce((sum, r) => sum + r.msPerEvent, 0) / smallRounds.length;
    const largeMs = runs.find((r) => r.events === largest)!.msPerEvent;
    const costRatio = Number((largeMs / smallMs).toFixed(2));
    ctx.results['scale'] = { runs, smallestMsPerEvent: Number(smallMs.toFixed(3)), costRatioLargestToSmallest: costRatio };
    ctx.rows.push(
      { metric: `scale: ms/event at ${runs.map((r) => r.events).join(' / ')}`, switchboard: runs.map((r) => r.msPerEvent).join(' / ') },
      targetRow(`scale: cost per event, ${largest} / mean of the ${smallest} rounds around it`, `${costRatio}`, costRatio, { op: '<=', limit: 1.25, unit: 'x' }),
    );
  },
};
