import { SecretBox } from '../../src/crypto/secretBox';
import { log } from '../config';
import { freePort, spawnTs, stop, SWITCHBOARD_CLI, waitForLine } from '../stack/processes';
import { runFlappingPhase } from './flappingRun';
import { targetRow, type BenchContext, type Phase } from './phase';

/**
 * Flapping endpoint (bench/phases/flappingRun.ts): 20 events whose first two attempts fail; each
 * must be delivered within 1.5x the time the retry schedule alone gives. Its own database, server
 * and worker (with the retry and breaker timings it sets), on the bench's Postgres and Temporal.
 */
export const flappingPhase: Phase = {
  name: 'flapping',
  async run(ctx: BenchContext) {
    log('phase flapping: each message fails its first two attempts');
    const { DATABASE_URL: _db, ...baseEnv } = ctx.stack.baseEnv('');
    const r = await runFlappingPhase({
      databaseUrl: (name) => ctx.stack.pg.url(name),
      box: new SecretBox(ctx.stack.encryptionKey),
      baseEnv,
      freePort,
      log,
      startSwitchboard: async (role, env) => {
        const child = spawnTs(SWITCHBOARD_CLI, [role], { env });
        await waitForLine(child, role === 'server' ? /API server listening/ : /"worker started"|worker started/);
        return { stop: () => stop(child) };
      },
    });
    ctx.results['flapping'] = r;
    ctx.rows.push(
      targetRow(
        `flapping endpoint: slowest delivery / retry schedule alone (${r.delivered}/${r.events} delivered; max ${(r.maxMs / 1000).toFixed(1)} s, p50 ${(r.p50Ms / 1000).toFixed(1)} s)`,
        `${(r.maxMs / 1000).toFixed(1)} s`,
        r.delivered === r.events ? r.ratioMaxToExpected : NaN,
        { op: '<=', limit: 1.5, unit: 'x' },
        `schedule ${(r.expectedMs / 1000).toFixed(1)} s`,
      ),
    );
  },
};
