import { BENCH, log } from '../config';
import type { E2eResult } from '../e2eEnvironment';
import { targetRow, type BenchContext, type Phase } from './phase';

/**
 * Scale: Switchboard end to end at BENCH_SCALE sizes; the cost per event (wall ms per delivered
 * event) must stay flat. A size equal to BENCH_E2E_EVENTS reuses the e2e phase's median round.
 */
export const scalePhase: Phase = {
  name: 'scale',
  async run(ctx: BenchContext) {
    const env = await ctx.e2e();
    log(`phase scale: ${BENCH.scale.join(', ')} events`);
    const fromRounds = (ctx.results['endToEnd'] as { switchboard?: E2eResult } | undefined)?.switchboard;
    const runs: E2eResult[] = [];
    for (const n of BENCH.scale) {
      if (fromRounds && n === fromRounds.events && runs.length === 0) runs.push(fromRounds);
      else {
        const { posted: _posted, ...r } = await env.switchboardRound(n, 'scale');
        runs.push(r);
      }
    }
    const first = runs[0];
    const last = runs[runs.length - 1];
    const costRatio = first && last ? Number((last.msPerEvent / first.msPerEvent).toFixed(2)) : NaN;
    ctx.results['scale'] = { runs, costRatioLargestToSmallest: costRatio };
    ctx.rows.push(
      { metric: `scale: ms/event at ${runs.map((r) => r.events).join(' / ')}`, switchboard: runs.map((r) => r.msPerEvent).join(' / ') },
      targetRow('scale: cost per event, largest / smallest', `${costRatio}`, costRatio, { op: '<=', limit: 1.25, unit: 'x' }),
    );
  },
};
