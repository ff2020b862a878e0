import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { SecretBox } from '../../src/crypto/secretBox';
import { stopChild } from '../../src/dev/childProcess';
import { loadOrCreateLocalSecrets } from '../../src/dev/localSecrets';
import { BENCH, log } from '../config';
import { summarise, type E2eResult } from '../e2eEnvironment';
import { EventPoster } from '../eventPoster';
import { seedDatabase } from '../stack/benchStack';
import { componentOfCommand, cpuLine, cpuPerEvent, cpuSnapshot, totalCpu } from '../stack/cpu';
import { freePort, ROOT, waitForLine, type LoggedChild } from '../stack/processes';
import { eagerBetween, eagerStartCounts, metricValue } from '../stack/switchboardProcesses';
import { ratio, runPool } from '../stats';
import { targetRow, type BenchContext, type Phase } from './phase';

/**
 * `npm start` (the one-command launcher users run first: its own Postgres, Temporal dev server,
 * worker and server, under its own data dir and ports) against the bench's separate processes:
 * a warm-up, then one round through the launcher and one through the separate processes right
 * after it, same size. Target: the launcher within 10 % of the separate processes.
 */
export const npmStartPhase: Phase = {
  name: 'npmstart',
  async run(ctx: BenchContext) {
    const env = await ctx.e2e();
    log('phase npmstart: one round through `switchboard start` vs one through the separate processes');
    const dataDir = path.join(ctx.root, 'npmstart');
    const secrets = loadOrCreateLocalSecrets(dataDir);
    const ports = { PORT: await freePort(), EMBEDDED_POSTGRES_PORT: await freePort(), TEMPORAL_PORT: await freePort(), TEMPORAL_UI_PORT: await freePort(), WORKER_METRICS_PORT: await freePort(), WORKER_SDK_METRICS_PORT: await freePort() };
    const launcherEnv: Record<string, string> = {
      ...process.env,
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
      SWITCHBOARD_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      INGEST_RATE_PER_SECOND: '1000000',
      INGEST_RATE_BURST: '1000000',
    };
    delete launcherEnv['DATABASE_URL'];
    delete launcherEnv['TEMPORAL_ADDRESS'];
    const launcher = spawnLauncher(ctx.root, launcherEnv);
    try {
      await waitForLine(launcher, /Switchboard is running/, 180_000);
      const db = await seedDatabase(`postgres://postgres:${encodeURIComponent(secrets.postgresPassword)}@127.0.0.1:${ports.EMBEDDED_POSTGRES_PORT}/switchboard`, new SecretBox(secrets.encryptionKey), ctx.receiver.url);
      ctx.receiver.setSecrets([env.db.endpoint.secret, db.endpoint.secret]);
      const poster = new EventPoster(`http://127.0.0.1:${ports.PORT}`, db.partner, BENCH.concurrency);
      const metric = async (series: string) => metricValue(await (await fetch(`http://127.0.0.1:${ports.WORKER_METRICS_PORT}/metrics`)).text(), series);
      const round = async (n: number, label: string): Promise<E2eResult> => {
        ctx.receiver.reset();
        const callIds = env.nextCallIds(n, label);
        const sent = new Map<string, number>();
        const cpu0 = cpuSnapshot({ launcher: launcher.pid, bench: process.pid }, componentOfCommand);
        const eager0 = await eagerStartCounts(metric);
        const t0 = Date.now();
        await runPool(callIds, BENCH.concurrency, async (c) => {
          const p = await poster.post(c);
          sent.set(p.eventId, p.sentAt);
        });
        await ctx.receiver.waitFor(sent.keys(), 60_000);
        const r = summarise(ctx.receiver, [...sent.keys()], t0, sent);
        r.cpuMsPerEvent = cpuPerEvent(cpu0, cpuSnapshot({ launcher: launcher.pid, bench: process.pid }, componentOfCommand), n);
        r.eagerStarts = eagerBetween(eager0, await eagerStartCounts(metric));
        env.account('switchboard', r);
        log(`npm start ${label} ${n}: ${r.perSecond}/s, p50 ${r.p50} ms p99 ${r.p99} ms, lost ${r.lost}, eager ${r.eagerStarts.percent} %, CPU ms/event ${JSON.stringify(r.cpuMsPerEvent)}`);
        return r;
      };
      if (BENCH.e2eWarmup > 0) await round(BENCH.e2eWarmup, 'npmstart-warmup');
      const launched = await round(BENCH.e2eEvents, 'npmstart');
      await poster.close();
      const { posted: _posted, ...separate } = await env.switchboardRound(BENCH.e2eEvents, 'separate');
      const r = ratio(launched.perSecond, separate.perSecond);
      ctx.results['npmStart'] = { launcher: launched, separate, ratio: r };
      ctx.rows.push(
        targetRow(`npm start: delivered/s vs separate processes (${BENCH.e2eEvents}, 1 round each)`, `${launched.perSecond}`, r, { op: '>=', limit: 0.9, unit: 'x' }, `${separate.perSecond} (separate)`),
        { metric: 'npm start: CPU ms/event temporal / postgres / worker / server (total)', switchboard: `${cpuLine(launched.cpuMsPerEvent)} (${totalCpu(launched.cpuMsPerEvent)})`, baseline: `${cpuLine(separate.cpuMsPerEvent)} (${totalCpu(separate.cpuMsPerEvent)})` },
        targetRow('npm start: eager workflow starts', `${launched.eagerStarts?.eager} of ${launched.eagerStarts?.total}`, launched.eagerStarts?.percent ?? NaN, { op: '>=', limit: 95, unit: ' %' }),
      );
    } finally {
      await stopChild(launcher, 60_000, 'SIGINT');
      ctx.receiver.setSecrets([env.db.endpoint.secret]);
    }
  },
};

/** `node bin/switchboard start`, its output to a log file. */
function spawnLauncher(root: string, env: Record<string, string | undefined>): LoggedChild {
  const logFile = path.join(root, 'npmstart.log');
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/switchboard'), 'start'], { cwd: ROOT, env, stdio: ['ignore', fd, fd] }) as LoggedChild;
  closeSync(fd);
  child.logFile = logFile;
  return child;
}
