import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createCoreServices, type CoreServices } from '../src/bootstrap';
import { loadConfig } from '../src/config';
import { portsFromFrontend } from '../src/dev/cluster/serverConfig';
import type { LocalSecrets } from '../src/dev/localSecrets';
import { readLocalStackState } from '../src/dev/localStackState';
import { seedRoute } from '../test/support/launchedCluster';
import { partnerHeaders } from '../test/support/inboundSigning';
import { freeStackPorts, killAll, launchStack, portsInUse, processTree, waitForBanner, waitUntilAllGone, type LaunchedStack } from '../test/support/launchedStack';

/**
 * `npm run bench:cluster`: what an event costs on the full Temporal server compared with the dev
 * server, and what a second worker changes, measured end to end on the stacks users run
 * (`switchboard start` and `switchboard start --cluster`): a burst of signed events posted to the
 * one API URL, timed until a local receiver has every delivery; CPU is every process of the stack
 * (launcher, API servers, workers, Temporal, Postgres; /proc utime+stime) over the same interval.
 *
 * On two cores the point is not throughput but the per-event cost on the real server, and that
 * nothing serialises across workers: the outbox relay's starts per worker are read from each
 * worker's /metrics (switchboard_workflow_starts_total).
 *
 * Ratios only, in alternating rounds (dev, cluster 1 worker, cluster 2 workers, again…): absolute
 * figures on a shared two-core machine are noise. Options: --events N (default 400), --rounds N
 * (default 1), --concurrency N (default 32).
 */
interface Variant {
  name: string;
  args: string[];
  workers: number;
}

const VARIANTS: Variant[] = [
  { name: 'dev server, 1 worker', args: [], workers: 1 },
  { name: 'cluster, 1 worker', args: ['--cluster', '--servers', '1', '--workers', '1'], workers: 1 },
  { name: 'cluster, 2 workers', args: ['--cluster', '--servers', '1', '--workers', '2'], workers: 2 },
];

interface Measurement {
  variant: string;
  events: number;
  seconds: number;
  deliveredPerSecond: number;
  cpuMsPerEvent: number;
  relayStartsPerWorker: number[];
}

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of every process in the tree, in ms (processes gone by the second read count 0 then). */
function treeCpuMs(rootPid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const p of processTree(rootPid)) {
    try {
      const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(p.pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}

async function startCountingReceiver(): Promise<{ url: string; delivered: Set<string>; close(): Promise<void> }> {
  const delivered = new Set<string>();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      delivered.add(String(req.headers['webhook-id']));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, delivered, close: () => new Promise((r) => server.close(() => r())) };
}

async function freeFrontendPort(): Promise<number> {
  for (;;) {
    const { temporal } = await freeStackPorts();
    if (temporal > 1_000 && temporal < 32_000 && (await portsInUse(Object.values(portsFromFrontend(temporal)))).length === 0) return temporal;
  }
}

async function postAll(api: string, partner: { id: string; inbound_secret: string }, events: number, concurrency: number, tag: string): Promise<void> {
  let next = 0;
  const one = async (i: number) => {
    const body = JSON.stringify({ event: 'call.ended', call_id: `${tag}-${i}`, occurred_at: new Date().toISOString(), runtime_vars: { crm_account_id: `bench-${tag}` } });
    for (;;) {
      const res = await fetch(`${api}/v1/webhooks/${partner.id}`, { method: 'POST', headers: partnerHeaders(partner.inbound_secret, body), body }).catch(() => undefined);
      if (res?.status === 202) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events) await one(next++);
    }),
  );
}

async function relayStarts(workerMetricsPorts: number[]): Promise<number[]> {
  return Promise.all(
    workerMetricsPorts.map(async (port) => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => l.startsWith('switchboard_workflow_starts_total'))
        .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    }),
  );
}

async function measure(variant: Variant, events: number, concurrency: number): Promise<Measurement> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-cluster-'));
  const ports = { ...(await freeStackPorts()), temporal: await freeFrontendPort() };
  const launched: LaunchedStack = launchStack({ how: 'launcher', dataDir, ports, args: variant.args, env: { LOG_LEVEL: 'warn' } });
  let core: CoreServices | undefined;
  const receiver = await startCountingReceiver();
  try {
    await waitForBanner(launched, 900_000);
    const state = readLocalStackState(dataDir)!;
    const secrets = JSON.parse(readFileSync(path.join(dataDir, 'local-secrets.json'), 'utf8')) as LocalSecrets;
    core = createCoreServices(loadConfig({ DATABASE_URL: state.databaseUrl, SWITCHBOARD_ENCRYPTION_KEY: secrets.encryptionKey, LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '2' }), 'bench');
    const tag = `b${Date.now().toString(36)}`;
    const { partner } = await seedRoute(core, receiver.url, `bench-${tag}`);
    const before = treeCpuMs(launched.child.pid!);
    const startsBefore = await relayStarts(Array.from({ length: variant.workers }, (_, i) => ports.workerMetrics + 2 * i));
    const t0 = Date.now();
    await postAll(state.apiUrl, partner, events, concurrency, tag);
    while (receiver.delivered.size < events) await new Promise((r) => setTimeout(r, 50));
    const seconds = (Date.now() - t0) / 1000;
    const cpuMs = cpuDelta(before, treeCpuMs(launched.child.pid!));
    const startsAfter = await relayStarts(Array.from({ length: variant.workers }, (_, i) => ports.workerMetrics + 2 * i));
    return {
      variant: variant.name,
      events,
      seconds,
      deliveredPerSecond: events / seconds,
      cpuMsPerEvent: cpuMs / events,
      relayStartsPerWorker: startsAfter.map((n, i) => n - startsBefore[i]!),
    };
  } finally {
    await core?.database.close();
    await receiver.close();
    const tree = processTree(launched.child.pid!);
    launched.child.kill('SIGTERM');
    killAll(await waitUntilAllGone(tree, 60_000));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const events = option('events', 400);
  const rounds = option('rounds', 1);
  const concurrency = option('concurrency', 32);
  const results: Measurement[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const variant of VARIANTS) {
      process.stderr.write(`round ${round}: ${variant.name}…\n`);
      const m = await measure(variant, events, concurrency);
      process.stderr.write(`  ${JSON.stringify(m)}\n`);
      results.push(m);
    }
  }
  const mean = (name: string, pick: (m: Measurement) => number) => {
    const xs = results.filter((m) => m.variant === name).map(pick);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const [dev, c1, c2] = VARIANTS.map((v) => v.name) as [string, string, string];
  const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
  const summary = {
    events,
    rounds,
    delivered_per_s: Object.fromEntries(VARIANTS.map((v) => [v.name, Number(mean(v.name, (m) => m.deliveredPerSecond).toFixed(1))])),
    cpu_ms_per_event: Object.fromEntries(VARIANTS.map((v) => [v.name, Number(mean(v.name, (m) => m.cpuMsPerEvent).toFixed(2))])),
    ratios: {
      'cluster/dev delivered per s (1 worker)': ratio(mean(c1, (m) => m.deliveredPerSecond), mean(dev, (m) => m.deliveredPerSecond)),
      'cluster/dev CPU per event (1 worker)': ratio(mean(c1, (m) => m.cpuMsPerEvent), mean(dev, (m) => m.cpuMsPerEvent)),
      '2 workers/1 worker delivered per s (cluster)': ratio(mean(c2, (m) => m.deliveredPerSecond), mean(c1, (m) => m.deliveredPerSecond)),
      '2 workers/1 worker CPU per event (cluster)': ratio(mean(c2, (m) => m.cpuMsPerEvent), mean(c1, (m) => m.cpuMsPerEvent)),
    },
    relay_starts_per_worker_2_workers: results.filter((m) => m.variant === c2).map((m) => m.relayStartsPerWorker),
  };
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:cluster failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
